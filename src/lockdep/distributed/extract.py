"""Per-file edge extraction: the task-local half of the validator.

Held stacks, windows, trylocks and irq contexts are all task-local, and a
file's tasks are its own, so a file can be validated alone.  What it did to
the *shared* state -- each usage bit it set first, each dependency label it
added first (or each narrowing of an edge's gate set), each class site --
is recorded as a step, in the file's order, with the task's held stack at
that moment.  Replaying the steps of every file, in file order, into one
validator (merge.py) runs the graph checks (circular dependency, irq
inversion, inconsistent usage) exactly as a sequential replay would.
Findings that need only the task (recursive locking, bad unlock, held at
exit/fork/free) are kept as found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..engine import findings as F
from ..engine.graph import calc_dep
from ..engine.task import HeldLock, TaskState
from ..engine.validator import Validator
from ..trace.multi import feed_file

#: findings the merged graph decides (the rest are task-local)
GRAPH_KINDS = (F.CIRCULAR, F.IRQ_INVERSION, F.INCONSISTENT)

USAGE, DEP, FINDING, SITE = "usage", "dep", "finding", "site"

#: a held entry as data: (class, node kind, lock, read, trylock, ctx, site, stack, line)
Held = tuple


@dataclass
class FilePart:
    """What one file contributes: its steps in order, the chains it validated, its nodes, its counts."""

    index: int
    steps: list[tuple] = field(default_factory=list)
    chains: set[tuple] = field(default_factory=set)
    nodes: list[tuple[str, str]] = field(default_factory=list)
    events: int = 0
    tasks: list[str] = field(default_factory=list)


class Recorder(Validator):
    """A validator that records the steps that change the shared graph (see the module docstring)."""

    def __init__(self, part: FilePart):
        super().__init__()
        self.part = part
        self._chain: tuple | None = None
        self._certain: set[tuple] = set()

    def _held(self, h: HeldLock) -> Held:
        n = self.graph.nodes[h.node]
        return (n.name, n.kind, h.lock, h.read, h.trylock, h.ctx, h.site, h.stack, h.line)

    def _snapshot(self, ts: TaskState) -> tuple[str, list[Held]]:
        return ts.name, [self._held(h) for h in ts.held]

    # -- the steps ---------------------------------------------------------
    def lock_init(self, lock: str, cls: str, kind: str = "mutex", site: Any = None, line: int = 0,
                  order: str = "class") -> None:
        if site is not None and cls not in self.class_sites:
            self.part.steps.append((SITE, None, cls, str(site)))
        super().lock_init(lock, cls, kind, site, line, order)

    def _validate_chain(self, ts: TaskState, nxt: HeldLock, head: bool) -> bool:
        # the chain the validator keys its cache on: the run of held entries in nxt's context
        held = ts.held
        j = len(held)
        if not head:
            j -= 1
            while j > 0 and held[j - 1].ctx == held[j].ctx:
                j -= 1
        name = self.graph.name
        self._chain = (nxt.ctx, *((name(h.node), h.read) for h in held[j:]), (name(nxt.node), nxt.read))
        self.part.chains.add(self._chain)
        try:
            return super()._validate_chain(ts, nxt, head)
        finally:
            self._chain = None

    def _add_dependency(self, ts: TaskState, prev: HeldLock, nxt: HeldLock, how: str) -> None:
        if prev.node != nxt.node:
            e = self.graph.edge(prev.node, nxt.node)
            if e is None or not e.dep & calc_dep(prev.read, nxt.read) or (
                    e.gates and how != "signal" and not e.gates <= self._gates(ts, prev, nxt)):
                self.part.steps.append((DEP, self._chain, self._snapshot(ts), self._held(prev), self._held(nxt),
                                        how))
        super()._add_dependency(ts, prev, nxt, how)

    def _mark_usage(self, ts: TaskState, h: HeldLock, umask: int) -> None:
        self.part.steps.append((USAGE, None, self._snapshot(ts), self._held(h), umask))
        super()._mark_usage(ts, h, umask)

    def _report(self, f: F.Finding, key: tuple) -> None:
        # A finding made while validating a chain is dropped at the merge if an earlier file validated
        # that chain: until one is recorded outside a chain, later ones of the same key are kept too.
        if f.kind not in GRAPH_KINDS and key not in self._certain:
            self.part.steps.append((FINDING, self._chain, f, key))
            if self._chain is None:
                self._certain.add(key)
        super()._report(f, key)


def extract_file(path: str, index: int, prefix: str | None) -> FilePart:
    """Validate one file alone and return its part (runs on a Dask worker)."""
    import gc

    part = FilePart(index)
    v = Recorder(part)
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        feed_file(v, path, prefix)
    finally:
        if gc_was_enabled:
            gc.enable()
    part.nodes = [(n.name, n.kind) for n in v.graph.nodes]
    part.events = v.seq + v.inits
    part.tasks = list(v.tasks)
    return part
