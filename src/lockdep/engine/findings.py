"""Findings: what the validator reports, as data only.  Every format (text in
either style, JSON, HTML, SARIF) is rendered from it by ``lockdep.report``."""

from __future__ import annotations

from typing import Any

from .record import Record

CIRCULAR = "circular_dependency"
RECURSIVE = "recursive_locking"
INCONSISTENT = "inconsistent_lock_state"
IRQ_INVERSION = "irq_inversion"
BAD_UNLOCK = "bad_unlock_balance"
HELD_AT_EXIT = "held_lock_at_exit"
HELD_FREED = "held_lock_freed"
HELD_AT_FORK = "held_lock_at_fork"
DEADLOCK = "deadlock"  # a wait-for cycle among threads that really hang (the runtime's hang watchdog)

KINDS = (CIRCULAR, RECURSIVE, INCONSISTENT, IRQ_INVERSION, BAD_UNLOCK, HELD_AT_EXIT, HELD_FREED, HELD_AT_FORK,
         DEADLOCK)


class HeldInfo(Record):
    """One entry of a task's held-lock list, as printed under "N locks held by"."""

    _fields = ("cls", "lock", "usage", "mode", "site", "line")

    def __init__(self, cls: str, lock: str, usage: str, mode: str, site: str | None, line: int):
        self.cls = cls
        self.lock = lock
        self.usage = usage
        self.mode = mode
        self.site = site
        self.line = line

    def to_dict(self) -> dict:
        return {"class": self.cls, "lock": self.lock, "mode": self.mode, "site": self.site, "line": self.line}


class Finding(Record):
    _fields = ("kind", "classes", "events", "task", "line", "guarded_by", "details", "held", "sites", "count",
               "tasks")

    def __init__(self, kind: str, classes: list[str], events: list[int], task: str | None = None, line: int = 0,
                 guarded_by: str | None = None, details: dict[str, Any] | None = None,
                 held: list[HeldInfo] | None = None, sites: dict[str, str] | None = None, count: int = 1,
                 tasks: list[str] | None = None):
        self.kind = kind
        self.classes = classes
        self.events = events
        self.task = task
        self.line = line
        self.guarded_by = guarded_by
        #: kind-specific data for the text report (chain of witnesses, usage bits, ...)
        self.details: dict[str, Any] = details if details is not None else {}
        self.held: list[HeldInfo] = held if held is not None else []
        #: creation site of each class, where known (lock_init's site)
        self.sites: dict[str, str] = sites if sites is not None else {}
        #: how often the problem was seen, and by which tasks (one root cause, many threads)
        self.count = count
        self.tasks: list[str] = tasks if tasks is not None else []

    def to_dict(self) -> dict:
        d: dict[str, Any] = {
            "kind": self.kind,
            "classes": list(self.classes),
            "events": list(self.events),
            "task": self.task,
            "line": self.line,
        }
        if self.kind == CIRCULAR:
            d["guarded_by"] = self.guarded_by
        d["sites"] = [self.sites.get(c) for c in self.classes]
        d.update(self.details)
        d["held"] = [h.to_dict() for h in self.held]
        d["count"] = self.count
        # the tasks that met it (a kind's own details may already list "threads", as the watchdog's do)
        d.setdefault("threads", list(self.tasks) or ([self.task] if self.task else []))
        return d
