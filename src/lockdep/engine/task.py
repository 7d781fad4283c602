"""Per-task state: the held-lock stack and the cross-release windows.

Kept apart from the shared graph so that tasks can be replayed (or their
edges extracted) independently and the graph merged afterwards.
"""

from __future__ import annotations

import weakref
from typing import Any

Ref = weakref.ReferenceType  # the C type itself: a runtime may rebind weakref.ref


def weak(obj: Any) -> Any:
    """A lock kept weakly (a live caller's object; a trace's name is kept as it is)."""
    try:
        return Ref(obj)
    except TypeError:  # a name in a trace
        return obj


def strong(x: Any) -> Any:
    """The lock ``weak`` kept, or a note that it was freed."""
    if type(x) is Ref:
        obj = x()
        return obj if obj is not None else "(an instance since freed)"
    return x


class HeldLock:
    """An entry of ``curr->held_locks[]``; also the record of a task's latest
    acquisition of a class (for cross-release windows).  A live caller keeps the lock of
    an entry off the stack weakly (``weak``): a lock nobody uses any more must die."""

    __slots__ = ("lock", "node", "read", "trylock", "ctx", "chain_key", "refs", "site", "stack", "line", "seq",
                 "owner", "private")

    def __init__(self, lock: str, node: int, read: int, trylock: bool, ctx: int,
                 site: Any, stack: Any, line: int, seq: int):
        self.lock = lock
        self.node = node
        self.read = read
        self.trylock = trylock
        self.ctx = ctx
        self.chain_key = 0
        self.refs = 1
        self.site = site
        self.stack = stack
        self.line = line
        self.seq = seq
        self.owner: Any = None  # free for live callers (the runtime reuses entries per thread)
        #: no other task can know the lock yet (its owner is under construction): no dependency to
        #: or from it, as it can be part of no deadlock
        self.private = False


class TaskState:
    __slots__ = ("name", "held", "first_seq", "begins", "last_acq", "strong_acq")

    def __init__(self, name: str, seq: int):
        self.name = name
        self.held: list[HeldLock] = []
        self.first_seq = seq
        #: event node -> seq of the latest ``begin`` of its window in this task
        self.begins: dict[int, int] = {}
        #: node -> latest non-try acquisition (or wait) of it by this task
        self.last_acq: dict[int, HeldLock] = {}
        #: node -> latest write or non-recursive read of it that a later recursive read replaced in
        #: ``last_acq``: a window holding both still gets the strong dependency
        self.strong_acq: dict[int, HeldLock] = {}
