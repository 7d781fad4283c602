"""Per-file edge extraction: the task-local half of the validator.

Held stacks, windows, trylocks, irq contexts and instance orders are all
task-local, and a file's tasks and lock instances are its own, so a file can
be validated alone.  What it did to the *shared* state is recorded as a step,
in the file's order, with the event order (``seq``) and the task's held stack
at that moment:

* ``usage``: a usage bit the file set first;
* ``dep``: a dependency label it added first, a narrowing of an edge's gate
  set, or the first time one of its tasks made an edge (the tasks of wait
  and signal edges decide the own-signal rule of ``check_noncircular``);
* ``again``: any other repeat of a dependency (it counts for the cycles
  reported through it);
* ``finding``: a task-local finding (recursive locking, bad unlock, held at
  exit/fork/free, an inversion between instances of one class); ``seen``: the
  same finding again, once it is sure to have been reported;
* ``site``: a class's first declaration site;
* ``python``: the first class judged by instance order (a recorded Python trace): from here on a
  cycle needs a lock (``Validator.cycles_need_a_lock``).

Replaying the steps of every file, in file order, into one validator
(merge.py) runs the graph checks (circular dependency, irq inversion,
inconsistent usage) exactly as a sequential replay would.
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

USAGE, DEP, AGAIN, FINDING, SEEN, SITE, PYTHON = "usage", "dep", "again", "finding", "seen", "site", "python"


def by_instance(key: tuple) -> bool:
    """The dedup key of an inversion between instances of one class: (kind, "instances", class node)."""
    return key[0] == F.CIRCULAR and key[1] == "instances"


#: a held entry as data: (class, node kind, lock, read, trylock, ctx, site, stack, line, seq)
Held = tuple


@dataclass
class FilePart:
    """What one file contributes: its steps in order, the chains it cached, its nodes, its counts."""

    index: int
    steps: list[tuple] = field(default_factory=list)
    chains: set[tuple] = field(default_factory=set)
    #: (name, kind, judged by instance order) in the order the file created them
    nodes: list[tuple[str, str, bool]] = field(default_factory=list)
    seq: int = 0
    inits: int = 0
    tasks: list[str] = field(default_factory=list)


class Recorder(Validator):
    """A validator that records the steps that change the shared graph (see the module docstring).
    Every step is ``(what, chain, seq, ...)``: ``chain`` is the chain being validated (the step is
    skipped at the merge when an earlier file cached it), ``seq`` the file's event order."""

    def __init__(self, part: FilePart):
        super().__init__()
        self.part = part
        self._chain: tuple | None = None
        self._certain: set[tuple] = set()
        self._made: set[tuple[int, int, str]] = set()  # (prev, next, task) of every edge made here

    def _held(self, h: HeldLock) -> Held:
        n = self.graph.nodes[h.node]
        return (n.name, n.kind, h.lock, h.read, h.trylock, h.ctx, h.site, h.stack, h.line, h.seq)

    def _snapshot(self, ts: TaskState) -> tuple[str, list[Held]]:
        return ts.name, [self._held(h) for h in ts.held]

    def _step(self, what: str, *data: Any) -> None:
        self.part.steps.append((what, self._chain, self.seq, *data))

    # -- the steps ---------------------------------------------------------
    def lock_init(self, lock: str, cls: str, kind: str = "mutex", site: Any = None, line: int = 0,
                  order: str = "class", family: str | None = None) -> None:
        if site is not None and cls not in self.class_sites:
            self._step(SITE, cls, str(site))
        if order == "instance" and not self.cycles_need_a_lock:
            self._step(PYTHON)
        super().lock_init(lock, cls, kind, site, line, order, family)

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
        try:
            cached = super()._validate_chain(ts, nxt, head)
            if cached:  # a chain judged per instance is validated every time, in every file
                self.part.chains.add(self._chain)
            return cached
        finally:
            self._chain = None

    def _add_dependency(self, ts: TaskState, prev: HeldLock, nxt: HeldLock, how: str) -> None:
        if prev.node != nxt.node:
            e = self.graph.edge(prev.node, nxt.node)
            made = (prev.node, nxt.node, ts.name)
            # a lock dependency already present is searched again from a new chain (check_prev_add
            # searches before its shortcut): the merge must see it again to find the same cycles
            if how == "acquire" or e is None or not e.dep & calc_dep(prev.read, nxt.read) or \
                    made not in self._made or (e.gates and how != "signal" and not e.gates <= self._gates(ts, prev, nxt)):
                self._made.add(made)
                self._step(DEP, self._snapshot(ts), self._held(prev), self._held(nxt), how)
            else:
                name = self.graph.name
                self._step(AGAIN, name(prev.node), name(nxt.node), ts.name)
        super()._add_dependency(ts, prev, nxt, how)

    def _mark_usage(self, ts: TaskState, h: HeldLock, umask: int) -> None:
        self._step(USAGE, self._snapshot(ts), self._held(h), umask)
        super()._mark_usage(ts, h, umask)

    def _report(self, f: F.Finding, key: tuple) -> None:
        # A finding made while validating a chain is dropped at the merge if an earlier file cached
        # that chain: until one is recorded outside a chain, later ones of the same key are kept too.
        # An inversion between instances is keyed by its class's node: by name across files.
        if by_instance(key):
            key = (key[0], key[1], self.graph.name(key[2]))
        elif f.kind in GRAPH_KINDS:
            super()._report(f, key)
            return
        if key in self._certain:
            self._step(SEEN, key, f.task)
        else:
            self._step(FINDING, f, key)
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
    part.nodes = [(n.name, n.kind, n.instance_order) for n in v.graph.nodes]
    part.seq, part.inits = v.seq, v.inits
    part.tasks = list(v.tasks)
    return part
