"""Findings: what the validator reports, as data only.  Every format (text in
either style, JSON, HTML, SARIF) is rendered from it by ``lockdep.report``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

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


@dataclass
class HeldInfo:
    """One entry of a task's held-lock list, as printed under "N locks held by"."""

    cls: str
    lock: str
    usage: str
    mode: str
    site: str | None
    line: int

    def to_dict(self) -> dict:
        return {"class": self.cls, "lock": self.lock, "mode": self.mode, "site": self.site, "line": self.line}


@dataclass
class Finding:
    kind: str
    classes: list[str]
    events: list[int]
    task: str | None = None
    line: int = 0
    guarded_by: str | None = None
    #: kind-specific data for the text report (chain of witnesses, usage bits, ...)
    details: dict[str, Any] = field(default_factory=dict)
    held: list[HeldInfo] = field(default_factory=list)
    #: creation site of each class, where known (lock_init's site)
    sites: dict[str, str] = field(default_factory=dict)
    #: how often the problem was seen, and by which tasks (one root cause, many threads)
    count: int = 1
    tasks: list[str] = field(default_factory=list)

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
        d["threads"] = list(self.tasks) or ([self.task] if self.task else [])
        return d
