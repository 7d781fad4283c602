"""The two-thread "possible unsafe locking scenario" of a circular dependency,
as data: both text styles print it (the kernel as CPU0/CPU1, Python as
Thread A/Thread B)."""

from __future__ import annotations

from dataclasses import dataclass

from ..engine import findings as F
from ..engine.findings import Finding


@dataclass(frozen=True)
class Step:
    op: str  # lock | read | wait | signal
    cls: str
    blocks: bool = False


@dataclass(frozen=True)
class Scenario:
    steps: list[tuple[int, Step]]  # (0: this task / CPU0 / Thread A, 1: the other), in time order
    other_task: str | None
    note: str | None = None
    #: (a, b): the chain of events between the two threads' steps, a cannot go on until b happens
    waits: tuple[str, str] | None = None


def _take(cls: str, mode: str | None, event: bool, blocks: bool = False) -> Step:
    if event:
        return Step("wait", cls, blocks)
    return Step("read" if mode and mode.startswith(("read", "recursive")) else "lock", cls, blocks)


def scenario(f: Finding, names: list[str] | None = None) -> Scenario | None:
    """CPU0 is the task that closed the cycle, CPU1 the one that created the chain's last edge.
    ``names`` label the cycle's nodes (default: the classes; instances for an instance-order cycle)."""
    if f.kind != F.CIRCULAR or len(f.classes) < 2:
        return None
    d = f.details
    how = d.get("how", "acquire")
    acq, hold = d.get("acquiring") or {}, d.get("holding") or {}
    chain = d.get("chain") or []
    names = names or f.classes
    prev, nxt, parent = names[-1], names[0], names[-2]
    last = (chain[-1].get("witness") if chain else None) or {}
    note, waits = None, None
    if len(names) > 2:
        if parent.startswith("(") or nxt.startswith("("):  # events in the chain: nothing "holds" them
            waits = (nxt, parent)
        else:
            note = f"(Thread B holds {parent} through the chain " + " -> ".join(names[:-1]) + ")"
    if how == "signal":
        if parent != nxt:
            cpu1 = ([_take(parent, None, False)] if parent != prev else []) + [Step("wait", prev, True)]
        else:
            cpu1 = [Step("lock", nxt), Step("wait", prev, True)]
        cpu0 = [_take(nxt, acq.get("mode"), False, True), Step("signal", prev)]
        order = [1] * len(cpu1) + [0, 0]
    else:
        cpu0 = [_take(prev, hold.get("mode"), bool(hold.get("event"))),
                _take(nxt, acq.get("mode"), how == "wait", True)]
        if last.get("how") == "signal":
            cpu1 = [_take(prev, None, False, True), Step("signal", parent)]
        else:
            cpu1 = [_take(parent, None, last.get("how") == "wait"), _take(prev, None, False, True)]
        order = [0, 1, 1, 0]
    steps, i = [], [0, 0]
    for who in order:
        steps.append((who, (cpu0, cpu1)[who][i[who]]))
        i[who] += 1
    return Scenario(steps, last.get("task"), note, waits)
