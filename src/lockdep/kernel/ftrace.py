"""Kernel lock tracepoints (``lock:lock_acquire`` and friends) as printed by
ftrace (``trace``, ``trace_pipe``) and ``perf script`` after ``perf lock record``,
mapped to the trace format.

Recording, on a kernel built with CONFIG_LOCKDEP=y and CONFIG_LOCK_STAT=y::

    echo 1 > /sys/kernel/tracing/events/lock/enable
    cat /sys/kernel/tracing/trace_pipe > lock.trace      # or:
    perf lock record -- <workload> && perf script > lock.trace

Event text (include/trace/events/lock.h)::

    lock_acquire: <addr> [try ][read ]<name>
    lock_release / lock_contended / lock_acquired: <addr> <name>

The ftrace latency flags say the context: ``d`` irqs off, ``h``/``H`` hardirq,
``s`` softirq.  A task is ``comm-pid``; a lock instance is its address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterator

from ..errors import InputError
from .splat import read_text_file

_FTRACE = re.compile(
    r"^\s*(?P<comm>.+?)-(?P<pid>\d+)\s+(?:\(\s*[\d-]+\)\s+)?\[(?P<cpu>\d+)\]\s+"
    r"(?:(?P<flags>[\w.]{4,5})\s+)?(?P<ts>\d+\.\d+):\s+(?P<ev>lock_\w+):\s+(?P<rest>.*)$")
_PERF = re.compile(
    r"^\s*(?P<comm>\S.*?)\s+(?P<pid>\d+)(?:/\d+)?\s+\[(?P<cpu>\d+)\]\s+(?P<ts>\d+\.\d+):\s+"
    r"(?:lock:)?(?P<ev>lock_\w+):\s+(?P<rest>.*)$")
_REST = re.compile(r"^(?P<addr>(?:0x)?[0-9a-f]+)\s+(?P<try>try )?(?P<read>read )?(?P<name>.+?)\s*$")
_EVENTS = ("lock_acquire", "lock_release", "lock_contended", "lock_acquired")
_RECURSIVE_READERS = re.compile(r"^(rcu_read_lock|rcu_read_lock_bh|rcu_read_lock_sched|rcu_callback|"
                                r"&?tasklist_lock|.*rwlock.*)$")


@dataclass
class LockEvent:
    line: int
    ev: str
    task: str
    addr: str
    name: str
    ts: float
    trylock: bool = False
    read: bool = False
    context: str = "process"
    irqs_disabled: bool = False


def _context(flags: str | None) -> tuple[str, bool]:
    if not flags:
        return "process", False
    irqs_off = flags[0] in "dD"
    ctx = "process"
    if len(flags) > 2:
        c = flags[2]
        if c in "hH":
            ctx = "hardirq"
        elif c in "sS":
            ctx = "softirq"
    return ctx, irqs_off


def parse_lines(lines: list[str], path: str) -> Iterator[LockEvent]:
    seen = 0
    for i, raw in enumerate(lines, 1):
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        m = _FTRACE.match(raw) or _PERF.match(raw)
        if m is None:
            if "lock_acquire" in raw or "lock_release" in raw:
                raise InputError(path, i, f"unreadable lock event: {raw.strip()[:80]}")
            continue  # other tracepoints, headers, perf noise
        ev = m.group("ev")
        if ev not in _EVENTS:
            continue
        r = _REST.match(m.group("rest"))
        if r is None:
            raise InputError(path, i, f"{ev}: expected '<address> [try ][read ]<lock name>'")
        ctx, irqs_off = _context(m.groupdict().get("flags"))
        seen += 1
        yield LockEvent(i, ev, f"{m.group('comm').strip()}-{m.group('pid')}", r.group("addr"), r.group("name"),
                        float(m.group("ts")), bool(r.group("try")), bool(r.group("read")), ctx, irqs_off)
    if not seen:
        raise InputError(path, None, "no lock_acquire/lock_release events (expected ftrace or perf script output)")


def to_trace_events(events: Iterator[LockEvent]) -> Iterator[tuple[int, dict]]:
    """The trace-format events for kernel lock events (contention events are not lock ops)."""
    declared: set[str] = set()
    for e in events:
        if e.ev not in ("lock_acquire", "lock_release"):
            continue
        lock = f"{e.name}@{e.addr}"
        if lock not in declared:
            declared.add(lock)
            kind = "rwlock" if _RECURSIVE_READERS.match(e.name) else ("rwsem" if e.read else "mutex")
            yield e.line, {"op": "lock_init", "lock": lock, "class": e.name, "kind": kind}
        if e.ev == "lock_acquire":
            ev: dict = {"op": "acquire", "task": e.task, "lock": lock, "t": e.ts}
            if e.read:
                ev["mode"] = "recursive" if _RECURSIVE_READERS.match(e.name) else "shared"
            if e.trylock:
                ev["try"] = True
            if e.context != "process":
                ev["context"] = e.context
            if e.irqs_disabled:
                ev["irqs_disabled"] = True
            yield e.line, ev
        else:
            yield e.line, {"op": "release", "task": e.task, "lock": lock, "t": e.ts}


@dataclass
class ClassStat:
    name: str
    acquisitions: int = 0
    contentions: int = 0
    wait_total: float = 0.0
    wait_max: float = 0.0
    waiting: dict[str, float] = field(default_factory=dict)


def lock_stat(events: list[LockEvent]) -> list[ClassStat]:
    """Per-class contention, like /proc/lock_stat: contentions and wait time
    (lock_contended -> lock_acquired of the same task and lock)."""
    stats: dict[str, ClassStat] = {}
    for e in events:
        st = stats.setdefault(e.name, ClassStat(e.name))
        key = f"{e.task}@{e.addr}"
        if e.ev == "lock_acquire":
            st.acquisitions += 1
        elif e.ev == "lock_acquired":
            t0 = st.waiting.pop(key, None)
            if t0 is not None:
                w = max(0.0, e.ts - t0)
                st.wait_total += w
                st.wait_max = max(st.wait_max, w)
        elif e.ev == "lock_contended":
            st.contentions += 1
            st.waiting[key] = e.ts
    return sorted((s for s in stats.values() if s.contentions or s.acquisitions),
                  key=lambda s: (-s.wait_total, -s.contentions, s.name))


def read(path: str) -> list[LockEvent]:
    return list(parse_lines(read_text_file(path), path))


def replay_ftrace(path: str, v: object, first: bool = False) -> list[LockEvent]:
    from ..trace.reader import feed

    events = read(path)
    for line, ev in to_trace_events(iter(events)):
        if first and v.findings:  # type: ignore[attr-defined]
            break
        feed(v, ev, line)  # type: ignore[arg-type]
    return events


def format_lock_stat(stats: list[ClassStat]) -> list[str]:
    out = ["lock_stat (from lock_contended/lock_acquired events; times in microseconds):",
           f"{'class name':<40}{'contentions':>12}{'acquisitions':>14}{'waittime-max':>14}{'waittime-total':>16}"]
    for s in stats:
        out.append(f"{s.name[:40]:<40}{s.contentions:>12}{s.acquisitions:>14}{s.wait_max * 1e6:>14.2f}"
                   f"{s.wait_total * 1e6:>16.2f}")
    return out
