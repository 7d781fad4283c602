"""The validator: the kernel's ``__lock_acquire`` / ``__lock_release`` over a
stream of events, plus cross-release waits and signals.

Staged as in kernel/locking/lockdep.c:

* fast path: usage bits already set and chain key cached -> push and return;
* slow path (``_validate_chain``): ``check_deadlock`` (same class held), then
  ``check_prevs_add`` (edges from the held locks to the new one), each new
  edge checked by ``check_noncircular`` and ``check_irq_usage``.

Findings are deduplicated: each distinct problem is reported once.
"""

from __future__ import annotations

import _thread
import weakref
from typing import Any, Callable, Iterable

from . import findings as F
from .findings import Finding, HeldInfo
from .graph import Graph, Witness, calc_dep, dep_names
from .task import HeldLock, Ref, TaskState, strong, weak
from .usage import (
    CONTEXTS,
    ENABLED,
    ENABLED_ALL,
    MASK_TABLE,
    USED_IN,
    USED_IN_ALL,
    bit,
    bit_dir,
    bit_state,
    conflicting_bits,
    exclusive_mask,
    flag,
    usage_name,
    usage_string,
    STATE_NAMES,
)

LOCK_KINDS = ("mutex", "spinlock", "rwlock", "rwsem", "rlock", "semaphore", "lockmap")
MODES = ("exclusive", "shared", "recursive")

#: read level (the kernel's ``read`` argument) of a mode on a lock kind: 0 writer,
#: 1 non-recursive reader, 2 recursive reader.  ``rwlock`` readers are recursive.
READ_LEVEL = {
    kind: {"exclusive": 0, "shared": 2 if kind == "rwlock" else 1, "recursive": 2} for kind in LOCK_KINDS
}

#: default capacity of the chain-key cache (the kernel's MAX_LOCKDEP_CHAINS is 65536)
MAX_CHAINS = 1 << 20
NEW_EDGE = object()
PRUNE_INSTANCES_AT = 4096  # instance edges of live and dead locks before the dead ones are dropped  # the edge being added, in ``_own_signal``


class LockInfo:
    __slots__ = ("cls", "kind", "nodes", "read_level", "reentrant", "instance_order", "family")

    def __init__(self, cls: str, kind: str, instance_order: bool = False, family: str | None = None):
        self.cls = cls
        self.kind = kind
        self.reentrant = kind == "rlock"
        self.nodes: dict[int, int] = {}
        self.read_level = READ_LEVEL[kind]
        self.instance_order = instance_order
        self.family = family


class InstanceEdge:
    """``held`` was held when ``taken`` of the same class (or family: ``classes``, their nodes)
    was taken (instance order within a class).  Live instances are kept by weak reference and
    described only in a report."""

    __slots__ = ("witness", "_held", "_taken", "classes")

    def __init__(self, witness: Witness, held: Any, taken: Any, classes: tuple[int, int]):
        self.witness = witness
        self.classes = classes
        self._held = weak(held)
        self._taken = weak(taken)

    @property
    def held(self) -> Any:
        return strong(self._held)

    @property
    def taken(self) -> Any:
        return strong(self._taken)

    @property
    def gone(self) -> bool:
        """One of its locks was freed (a name from a trace never is)."""
        return any(type(r) is Ref and r() is None for r in (self._held, self._taken))



def node_name(cls: str, subclass: int) -> str:
    return cls if subclass == 0 else f"{cls}/{subclass}"


class Validator:
    """Feed events, read ``findings``.  One instance = one lockdep "boot"."""

    def __init__(self, *, chain_cache: bool = True, max_chains: int = MAX_CHAINS,
                 on_finding: Callable[[Finding], None] | None = None,
                 site_str: Callable[[Any], str] = str,
                 current_stack: Callable[[], list[str]] | None = None,
                 instance_key: Callable[[Any], Any] | None = None,
                 instance_str: Callable[[Any], str] = str, complete: bool = False):
        """``site_str`` formats the opaque ``site`` objects of events; ``current_stack``
        (for live callers such as the Python runtime) gives the caller's stack on the
        slow path, when an acquisition without a recorded stack creates a witness.
        ``instance_key`` and ``instance_str`` identify and describe lock instances for
        the instance-order rule (the lock's own name in a trace).

        ``complete`` drops two known false negatives of the kernel (its search skips a strong path
        through a class first reached over a weak edge; check_prevs_add adds edges only from the
        first held non-trylock lock) and labels each finding modern lockdep would miss
        (``details["beyond_kernel"]``)."""
        self.graph = Graph()
        self.graph.complete = self.complete = complete
        #: complete: edges only ``complete`` added (from a lock held below the kernel's first prev)
        self._beyond: set = set()
        self._past_first = False
        self.site_str = site_str
        self.current_stack = current_stack
        # Serialises the slow path (graph, chain cache, findings) between threads,
        # like the kernel's graph lock; the fast path only reads.
        self.graph_lock = _thread.RLock()
        self.locks: dict[str, LockInfo] = {}
        self.tasks: dict[str, TaskState] = {}
        self.findings: list[Finding] = []
        self.seq = 0  # orders the events of the stream (lock_init aside): windows compare it
        self.inits = 0
        self.chains: set[int] = set()
        self.chain_cache = chain_cache
        self.max_chains = max_chains
        self.on_finding = on_finding
        self.limits_reached: list[str] = []
        self.class_sites: dict[str, str] = {}
        self._seen: set[tuple] = set()
        self._any_used_in = False
        self.nodes = self.graph.nodes  # shortcut for the hot path
        self.chain_hits = 0
        self.stats = {"chain_cache_misses": 0, "graph_searches": 0, "instance_edges": 0}
        self._prune_instances_at = PRUNE_INSTANCES_AT
        #: a cycle made only of events (waits and signals, no lock) is not reported: an option
        #: for live callers whose event classes merge many instances (threads, queues)
        self.cycles_need_a_lock = False
        #: findings for which this returns True wait in ``pending`` until ``flush_pending``
        self.hold_back: Callable[[Finding], bool] | None = None
        self.pending: list[Finding] = []
        #: classes found to have no owner (a lock released by a task that did not take it, the
        #: Python runtime's hand-offs): no held-stack order, their acquisitions and releases are
        #: no events of the graph (a waiter waits for a release event instead)
        self.unowned: set[int] = set()
        #: lock -> (task, entry, site, line): Python Locks still held by tasks that ended (see task_exit)
        self.orphans: dict[Any, tuple[str, HeldLock, Any, int]] = {}
        self.instance_key = instance_key or (lambda lock: lock)
        self.instance_str = instance_str
        #: per class with the instance-order rule: instance -> instances taken while it was held
        self.instance_order: dict[int, dict[Any, dict[Any, InstanceEdge]]] = {}
        #: reported findings by their dedup key, and the edges of each reported cycle
        self._reported: dict[tuple, Finding] = {}
        self._cycle_edges: dict[Any, list[Finding]] = {}

    # ------------------------------------------------------------------ locks
    def lock_init(self, lock: str, cls: str, kind: str = "mutex", site: Any = None, line: int = 0,
                  order: str = "class", family: str | None = None) -> None:
        """Declare ``lock`` a member of ``cls`` (re-keys it if declared before).
        ``order="instance"``: two instances of the class nested in each other are judged
        by the order of the instances, not reported as recursion.  ``family``: the name of
        the first class of the family ``cls`` belongs to (instance order across its classes).

        Initialising a lock that a task holds is reported like freeing it
        (the kernel's ``debug_check_no_locks_freed`` in ``*_init``)."""
        self.inits += 1
        if lock in self.locks:
            self.free(lock, site, None, line)
            self.seq -= 1
        self.locks[lock] = LockInfo(cls, kind, order == "instance", family)
        if order == "instance":  # a recorded Python trace: its thread and queue events merge instances
            self.cycles_need_a_lock = True
        if site is not None and cls not in self.class_sites:
            self.class_sites[cls] = str(site)

    def _lock(self, lock: str) -> LockInfo:
        info = self.locks.get(lock)
        if info is None:
            info = self.locks[lock] = LockInfo(lock, "mutex")
        return info

    def _node_of(self, info: LockInfo, subclass: int) -> int:
        nid = info.nodes.get(subclass)
        if nid is None:
            nid = info.nodes[subclass] = self.graph.node(node_name(info.cls, subclass), info.kind)
            if info.instance_order:
                self.graph.nodes[nid].instance_order = True
            if info.family is not None and not subclass:
                self.graph.nodes[nid].family = self.graph.node(info.family, info.kind)
        return nid

    def _task(self, task: str) -> TaskState:
        ts = self.tasks.get(task)
        if ts is None:
            ts = self.tasks[task] = TaskState(task, self.seq)
        return ts

    def acquire(self, task: str, lock: str, mode: str = "exclusive", trylock: bool = False, subclass: int = 0,
                context: int | str = 0, irqs_disabled: bool = False, site: Any = None, stack: Any = None,
                line: int = 0, private: bool = False) -> None:
        """``task`` takes ``lock`` (the attempt, before blocking): __lock_acquire."""
        self.seq += 1
        ts = self.tasks.get(task)
        if ts is None:
            ts = self._task(task)
        info = self.locks.get(lock)
        if info is None:
            info = self._lock(lock)
        if info.reentrant:
            for h in ts.held:
                if h.lock == lock:  # reentrant: the owner takes it again
                    h.refs += 1
                    return
        if context.__class__ is str:
            context = CONTEXTS[context]
        nid = info.nodes.get(subclass)
        if nid is None:
            nid = self._node_of(info, subclass)
        if nid in self.unowned:
            return
        self.acquire_resolved(ts, lock, nid, info.read_level[mode], trylock, context, irqs_disabled, site, stack,
                              line, private=private)

    def acquire_resolved(self, ts: TaskState, lock: Any, nid: int, read: int, trylock: bool = False,
                         context: int = 0, irqs_disabled: bool = False, site: Any = None, stack: Any = None,
                         line: int = 0, push: bool = True, private: bool = False) -> HeldLock:
        """The acquisition proper, for callers that keep their own task states and class ids.
        ``push=False`` validates an attempt that is about to block without putting the lock
        on the held stack (a live caller pushes it once the lock is really its own).
        ``private``: no other task can know this lock yet (the runtime: taken in its owner's
        ``__init__``): it adds no dependency, to it or from it."""
        held = ts.held
        h = HeldLock(lock, nid, read, trylock, context, site, stack, line, self.seq)
        if private:
            h.private = True
            if push:
                self._push(ts, h)
            return h
        umask = MASK_TABLE[context * 8 + irqs_disabled * 4 + trylock * 2 + (read != 0)]
        if umask & ~self.nodes[nid].usage:
            with self.graph_lock:
                self._mark_usage(ts, h, umask)
        # fast path: a chain of held classes seen before needs no graph work
        if held and held[-1].ctx == context:
            key = h.chain_key = hash((held[-1].chain_key, nid * 4 + read))
            if not trylock and key in self.chains:
                self.chain_hits += 1
                if push:
                    held.append(h)
                if read == 2:
                    _keepstrong(ts, nid)
                ts.last_acq[nid] = h
                return h
        self._push(ts, h, push)
        if not trylock:
            if read == 2:
                _keepstrong(ts, nid)
            ts.last_acq[nid] = h
        return h

    def _push(self, ts: TaskState, h: HeldLock, push: bool = True) -> None:
        """Push with the slow path: compute the chain key, validate the chain if new."""
        held = ts.held
        hid = h.node * 4 + h.read
        if held and held[-1].ctx == h.ctx:
            key = hash((held[-1].chain_key, hid))
            head = False
        else:
            # a chain head per context; not -1 - ctx: hash(-1) == hash(-2) in CPython, so process and
            # softirq heads of one class would share a key (ctx 0 stays -1: the runtime's fast path uses it)
            key = hash((-1 - 2 * h.ctx, hid))
            head = True
        if h.private:  # a chain of its own (what is taken under it is validated without it), never cached
            h.chain_key = hash((key, "private"))
            if push:
                held.append(h)
            return
        h.chain_key = key
        if not h.trylock:
            if key in self.chains:
                self.chain_hits += 1
            else:
                with self.graph_lock:
                    if key not in self.chains:  # re-check under the lock, as the kernel does
                        self.stats["chain_cache_misses"] += 1
                        # a chain that nests two instances of one class is judged per instance: never cached
                        if self._validate_chain(ts, h, head) and self.chain_cache:
                            if len(self.chains) < self.max_chains:
                                self.chains.add(key)
                            elif "MAX_CHAINS" not in self.limits_reached:
                                self.limits_reached.append("MAX_CHAINS")
        if push:
            held.append(h)

    def release(self, task: str, lock: str, site: Any = None, stack: Any = None, line: int = 0,
                handoff: bool = False) -> None:
        """``task`` lets go of ``lock``.  ``handoff``: the release ends a hold that is not the
        task's own (another task's, or a group's), so the lock's class has no owner."""
        self.seq += 1
        ts = self.tasks.get(task)
        if ts is None:
            ts = self._task(task)
        held = ts.held
        if held and not handoff:
            top = held[-1]
            if top.lock == lock and top.refs == 1:  # fast path: LIFO release
                held.pop()
                return
        if handoff or self.unowned:
            info = self._lock(lock)
            if handoff:
                for nid in info.nodes.values():
                    self.make_unowned(nid)
            if handoff or any(nid in self.unowned for nid in info.nodes.values()):
                return
        for i in range(len(held) - 1, -1, -1):
            if held[i].lock == lock:
                break
        else:
            info = self._lock(lock)
            if info.kind == "semaphore":
                # A counting semaphore may be "up"ed by anyone: a handoff, not a bug.
                for other in self.tasks.values():
                    if other is not ts and any(x.lock == lock for x in other.held):
                        self._remove_held(other, lock)
                        break
                return
            self._bad_unlock(ts, lock, info, site, stack, line)
            return
        h = held[i]
        if h.refs > 1:
            h.refs -= 1
            return
        if i == len(held) - 1:
            held.pop()
        else:
            self._remove_at(ts, i)

    def make_unowned(self, nid: int) -> None:
        """Class ``nid`` turned out to have no owner: a signalling device, not a lock.  Its
        instances leave every held stack and the order learned for it is forgotten."""
        if nid in self.unowned:
            return
        with self.graph_lock:
            self.unowned.add(nid)
            self.nodes[nid].usage = 0  # fast paths need usage bits: its acquisitions take the slow path
            self.graph.remove_edges_of(nid)
        for ts in list(self.tasks.values()):
            for h in [h for h in ts.held if h.node == nid]:
                self._remove_held(ts, h.lock)
        for lock in [lock for lock, o in self.orphans.items() if o[1].node == nid]:
            del self.orphans[lock]

    def python_hold_back(self, f: Finding) -> bool:
        """The Python runtime's hold-back, for a cycle through a class of a Python program (one
        with the instance rule; a kernel's classes are reported at once): through a plain lock, it
        may yet turn out to go through a hand-off; with a signaller that also waits in it, it may
        yet be that task's own signal.  Held-back cycles wait for ``checkpoint``."""
        if f.kind != F.CIRCULAR:
            return False
        nodes = [self.nodes[self.graph.by_name[c]] for c in f.classes if c in self.graph.by_name]
        if not any(n.instance_order for n in nodes):
            return False
        return any(n.kind in ("mutex", "semaphore") for n in nodes) or self.may_be_own_signal(f)

    def checkpoint(self, final: bool = False, keep: Callable[[Finding], bool] | None = None) -> None:
        """Report the held-back cycles whose classes never turned out to be unowned, nor their
        signals to be their waiter's own, except those ``keep`` holds back further; ``final`` (the
        end of the stream): and the Locks that tasks took with them when they ended, which nobody
        released."""
        by_name = self.graph.by_name
        self.flush_pending(lambda f: any(by_name.get(c) in self.unowned for c in f.classes)
                           or self.own_signal_cleared(f), keep)
        if final:
            orphans, self.orphans = self.orphans, {}
            for task, h, site, line in orphans.values():
                self.held_at_exit(task, [h], site, line)

    def _remove_held(self, ts: TaskState, lock: str) -> None:
        for i in range(len(ts.held) - 1, -1, -1):
            if ts.held[i].lock == lock:
                self._remove_at(ts, i)
                return

    def _remove_at(self, ts: TaskState, i: int) -> None:
        """Release a non-top entry: pop it and re-acquire what was above it
        (the kernel's ``reacquire_held_locks``), so chain keys stay exact."""
        above = ts.held[i + 1:]
        del ts.held[i:]
        for h in above:
            self._push(ts, h)

    def free(self, lock: str, site: Any = None, stack: Any = None, line: int = 0) -> None:
        self.seq += 1
        for ts in self.tasks.values():
            for h in ts.held:
                if h.lock == lock:
                    name = self.graph.name(h.node)
                    self._report(Finding(F.HELD_FREED, [name], [h.line, line], ts.name, line,
                                         details={"site": self._site(site), "stack": self._stack(stack),
                                                  "lock": str(lock), "acquired_at": self._site(h.site)},
                                         held=self._held_info(ts)), (F.HELD_FREED, name))
                    break

    # ---------------------------------------------------------- waits/events
    def wait(self, task: str, event: str, site: Any = None, stack: Any = None, line: int = 0) -> None:
        """``task`` blocks until ``event``: every held lock must come before it."""
        self.seq += 1
        ts = self.tasks.get(task) or self._task(task)
        with self.graph_lock:
            eid = self.graph.node(event, "event")
            w = HeldLock(event, eid, 0, False, 0, site, stack, line, self.seq)
            for h in list(ts.held):
                if h.private:
                    continue
                if h.node == eid:
                    self._recursive(ts, w, h, waiting=True)
                    continue
                self._add_dependency(ts, h, w, "wait")
            ts.last_acq[eid] = w

    def signal(self, task: str, event: str, site: Any = None, stack: Any = None, line: int = 0,
               since: int | None = None, exclude: Any = None, after: int | None = None) -> None:
        """``event`` happens: what ``task`` took inside the event's window must come before it.
        ``since`` (an event order, ``seq``) opens the window explicitly: a live caller keeps a
        window per primitive instance, from its first current waiter.  ``exclude`` is a lock
        instance the signal needs by construction and no waiter can hold (a condition's own
        lock): taking it adds no dependency.  ``after`` (a line of the input, of a recorded
        trace) opens the window at that line instead."""
        self.seq += 1
        ts = self.tasks.get(task) or self._task(task)
        with self.graph_lock:
            eid = self.graph.node(event, "event")
            start = ts.begins.get(eid, ts.first_seq) if since is None else since

            def inside(h: HeldLock) -> bool:
                return (h.seq >= start if after is None else h.line >= after) and (exclude is None or h.lock != exclude)

            sig = HeldLock(event, eid, 0, False, 0, site, stack, line, self.seq)
            for nid, h in list(ts.last_acq.items()):
                if nid != eid and inside(h):
                    self._add_dependency(ts, sig, h, "signal")
                    strong = ts.strong_acq.get(nid) if h.read == 2 else None
                    # every mode taken in the window counts: an earlier write makes the dependency strong
                    if strong is not None and inside(strong):
                        self._add_dependency(ts, sig, strong, "signal")

    def begin(self, task: str, event: str, site: Any = None, stack: Any = None, line: int = 0) -> None:
        self.seq += 1
        ts = self.tasks.get(task) or self._task(task)
        ts.begins[self.graph.node(event, "event")] = self.seq

    # ----------------------------------------------------------------- tasks
    def task_exit(self, task: str, site: Any = None, stack: Any = None, line: int = 0) -> None:
        self.seq += 1
        ts = self.tasks.pop(task, None)
        if ts is None or not ts.held:
            return
        held = []
        for h in ts.held:
            node = self.nodes[h.node]
            if node.instance_order and node.kind == "mutex":
                # a Python Lock has no owner: another task may release it yet (then it was handed
                # off); reported at ``checkpoint(final=True)`` if nobody does
                self.orphans[h.lock] = (task, h, site, line)
            else:
                held.append(h)
        if held:
            self.held_at_exit(task, held, site, line)

    def held_at_exit(self, task: str, held: list[HeldLock], site: Any = None, line: int = 0) -> None:
        """``task`` ended holding ``held`` (a live caller may decide this later than the exit)."""
        names = _unique(self.graph.name(h.node) for h in held)
        info = self._held_info(TaskState(task, 0), held)
        self._report(Finding(F.HELD_AT_EXIT, names, sorted({h.line for h in held} | {line}), task, line,
                             details={"site": self._site(site)}, held=info),
                     (F.HELD_AT_EXIT, tuple(names)))

    def self_deadlock(self, ts: TaskState, attempt: HeldLock, held: HeldLock) -> None:
        """A task waits for a lock instance that it holds itself and that no one else releases."""
        self._recursive(ts, attempt, held, self_wait=True)

    def fork(self, task: str, site: Any = None, stack: Any = None, line: int = 0) -> None:
        self.seq += 1
        self._task(task)
        holders = [ts for ts in self.tasks.values() if ts.name != task and ts.held]
        if not holders:
            return
        names = _unique(self.graph.name(h.node) for ts in holders for h in ts.held)
        held = [hi for ts in holders for hi in self._held_info(ts)]
        lines = sorted({h.line for ts in holders for h in ts.held} | {line})
        self._report(Finding(F.HELD_AT_FORK, names, lines, task, line,
                             details={"site": self._site(site), "stack": self._stack(stack),
                                      "holders": [ts.name for ts in holders]}, held=held),
                     (F.HELD_AT_FORK, tuple(names)))

    # ------------------------------------------------------------ slow path
    def _validate_chain(self, ts: TaskState, nxt: HeldLock, head: bool) -> bool:
        """check_deadlock, then check_prevs_add (a chain head adds no edges).  False when the
        verdict depends on the instances, not only on the chain of classes."""
        held = ts.held
        nodes = self.graph.nodes
        node = nodes[nxt.node]
        family = node.family
        same: HeldLock | None = None
        for h in held:
            if h.node == nxt.node and not h.private:
                if nxt.read == 2 and h.read != 0:
                    continue  # recursive read after any read: allowed
                if node.kind == "semaphore":
                    continue  # a counting semaphore may be taken again
                if node.instance_order and h.lock != nxt.lock:
                    same = h  # another instance of the class: judged by instance order
                    continue
                self._recursive(ts, nxt, h)
                return True
            if nodes[h.node].family == family and h.node != nxt.node and not h.private and h.lock != nxt.lock:
                same = h  # another class of the family: judged by instance order too
        if same is not None:
            self._instance_order(ts, same, nxt)
        if head:
            return same is None
        for i in range(len(held) - 1, -1, -1):
            prev = held[i]
            if prev.ctx != nxt.ctx:
                break
            if prev.private or nodes[prev.node].family == family and prev.node != nxt.node:
                continue  # (a class of the family: its order is the instances')
            self._add_dependency(ts, prev, nxt, "acquire")
            if not prev.trylock:
                if not self.complete:
                    break
                self._past_first = True  # complete: below the lock where check_prevs_add stops
        self._past_first = False
        return same is None

    def _add_dependency(self, ts: TaskState, prev: HeldLock, nxt: HeldLock, how: str) -> None:
        """check_prev_add: prev -> next, after checking it closes no strong cycle.  As in the kernel,
        check_noncircular and check_irq_usage run before the "dependency already present" shortcut: an
        edge re-added from a new chain can close a cycle that the search made when it was first added
        missed."""
        if prev.node == nxt.node:
            return
        beyond = self._past_first  # an edge the kernel would not add (``complete`` only)
        g = self.graph
        b = calc_dep(prev.read, nxt.read)
        e = g.edge(prev.node, nxt.node)
        gates = self._gates(ts, prev, nxt) if how != "signal" else frozenset()
        if e is not None and e.dep & b:
            if e.gates:
                e.gates &= gates
            if how == "acquire":
                self._recheck(ts, prev, nxt, e, gates, beyond)
            if e.tasks is not None or e in self._cycle_edges:
                self._rewitness(e, ts.name)
            return
        self.stats["graph_searches"] += 1
        path = self._find_cycle(ts, prev, nxt, how)
        found = self._circular(ts, prev, nxt, path, how, gates, beyond) if path is not None else None
        if self._any_used_in and how == "acquire":
            self._check_irq_usage(ts, prev, nxt)
        if e is None:
            w = self._witness(ts, prev, nxt, how)
            e = g.add_edge(prev.node, nxt.node, b, w, gates)
            if how != "acquire":
                e.tasks = {ts.name: self.seq}
        else:
            e.dep |= b
            e.gates &= gates
            if e.tasks is not None:
                e.tasks[ts.name] = self.seq
        if beyond:
            self._beyond.add(e)
        else:
            self._beyond.discard(e)
        if found is not None and path is not None:
            self._register_cycle(e, path, found)

    def _recheck(self, ts: TaskState, prev: HeldLock, nxt: HeldLock, e: Any, gates: frozenset[int],
                 beyond: bool) -> None:
        """check_prev_add on a dependency already present, from a new chain of held locks: the kernel
        searches before it looks the edge up, so a cycle the first search missed (or that a later edge
        closed unseen) is reported now.  A cycle made only of dependencies learned before this run (a
        store, a merged graph) was reported when it was learned."""
        if not beyond:
            self._beyond.discard(e)
        self.stats["graph_searches"] += 1
        path = self._find_cycle(ts, prev, nxt, "acquire")
        g = self.graph
        if path is not None and self._cycle_key(path) not in self._seen and \
                any(_learned_here(x) for x in [e] + [g.edge(a, b) for a, b in zip(path, path[1:])]):
            self._register_cycle(e, path, self._circular(ts, prev, nxt, path, "acquire", gates, beyond))
        if self._any_used_in and _learned_here(e):
            self._check_irq_usage(ts, prev, nxt, again=False)

    def _register_cycle(self, closing: Any, path: list[int], found: Finding | None) -> None:
        """Remember the edges of a reported cycle, to count later sightings of it."""
        if found is None:
            return
        g = self.graph
        self._cycle_edges.setdefault(closing, []).append((found, True))
        for a, b in zip(path, path[1:]):
            self._cycle_edges.setdefault(g.edge(a, b), []).append((found, False))

    def _beyond_kernel(self, prev: HeldLock, nxt: HeldLock, beyond: bool) -> str | None:
        """Why modern lockdep would not report the cycle ``complete`` found for prev -> next, or None."""
        if beyond:
            return ("the kernel adds no dependency from a lock held below the first held non-trylock one "
                    "(check_prevs_add)")
        g = self.graph
        prev_node, prev_excl = prev.node, prev.read == 0

        def match(n: int, only_xr: bool) -> bool:
            return n == prev_node and (prev_excl or not only_xr)

        if g.search(nxt.node, nxt.read == 2, match, skip=self._beyond, complete=False) is not None:
            return None
        if g.search(nxt.node, nxt.read == 2, match, complete=False) is None:
            return ("the kernel's search marks a class visited when a weak edge reaches it first and skips the "
                    "strong path through it (__bfs)")
        return "the cycle needs a dependency only --complete adds (check_prevs_add stops at the first held lock)"

    def _find_cycle(self, ts: TaskState, prev: HeldLock, nxt: HeldLock, how: str) -> list[int] | None:
        """check_noncircular: a strong path next ->* prev.  A path is no deadlock when one task
        made both a wait in it and, before that wait, the only signal of an event in it: the
        task's own earlier signal is not what its wait can be waiting for (a shutdown path that
        wakes a worker and then joins it while holding a lock the worker never takes)."""
        g = self.graph
        prev_node, prev_excl = prev.node, prev.read == 0
        skip: set = set()
        for _ in range(8):
            path = g.search(nxt.node, nxt.read == 2,
                            lambda n, only_xr: n == prev_node and (prev_excl or not only_xr), skip=skip)
            if path is None:
                return None
            own = self._own_signal([g.edge(a, b) for a, b in zip(path, path[1:])], (ts.name, how))
            if own is None:
                if self.cycles_need_a_lock and all(g.nodes[n].kind == "event" for n in path):
                    return None
                return path
            if own is NEW_EDGE:
                return None  # the new signal itself is the task's own: nothing to retry without it
            skip.add(own)
        return None

    def _own_signal(self, edges: list[Any], new: tuple[str, str] | None = None) -> Any:
        """The signal edge of a cycle that is its task's own: the only task that ever made
        it also made a wait of the cycle later than it (its own earlier signal is not what it
        waits for).  ``new`` is the (task, how) of an edge being added now (``NEW_EDGE``)."""
        waits: dict[str, int] = {}
        signals: list[tuple[str, int, Any]] = []
        if new is not None and new[1] == "wait":
            waits[new[0]] = self.seq
        elif new is not None and new[1] == "signal":
            signals.append((new[0], self.seq, NEW_EDGE))
        for e in edges:
            if e is None or e.tasks is None or e.witness is None:
                continue
            if e.witness.how == "wait":  # each task's latest wait
                for t, seq in e.tasks.items():
                    waits[t] = max(waits.get(t, 0), seq)
            elif e.witness.how == "signal" and len(e.tasks) == 1:  # its only signaller, first time
                (t,) = e.tasks
                signals.append((t, e.witness.seq, e))
        for t, seq, e in signals:
            if seq < waits.get(t, 0):
                return e
        return None

    def may_be_own_signal(self, f: Finding) -> bool:
        """A cycle just reported whose only signaller of an event also waits in the cycle:
        the rule of ``_own_signal`` may yet clear it once that task's wait is seen again (a
        worker can end before the thread that woke it gets to join it).  The cycle's new
        edge is not in the graph yet: it is ``f``'s task and ``how``."""
        edges = [e for e in self._cycle_edges_of(f) if e is not None and e.tasks is not None]
        how = f.details.get("how")
        waiters = {t for e in edges if e.witness.how == "wait" for t in e.tasks}
        signallers = [next(iter(e.tasks)) for e in edges if e.witness.how == "signal" and len(e.tasks) == 1]
        if how == "wait":
            waiters.add(f.task)
        elif how == "signal":
            signallers.append(f.task)
        return any(t in waiters for t in signallers)

    def own_signal_cleared(self, f: Finding) -> bool:
        """The cycle of a held-back finding turned out to need a task's own earlier signal."""
        return self._own_signal(self._cycle_edges_of(f)) is not None

    def _cycle_edges_of(self, f: Finding) -> list[Any]:
        if f.kind != F.CIRCULAR:
            return []
        by_name, g = self.graph.by_name, self.graph
        nodes = [by_name.get(c) for c in f.classes]
        if None in nodes or len(set(nodes)) != len(nodes):
            return []  # instance order within a class: no events
        return [g.edge(a, b) for a, b in zip(nodes, nodes[1:] + nodes[:1])]

    def _rewitness(self, e: Any, task: str) -> None:
        """A known dependency seen again: count it for the cycles reported through it."""
        if e.tasks is not None:
            e.tasks[task] = self.seq
        for f, closing in self._cycle_edges.get(e, ()):
            if task not in f.tasks:
                f.tasks.append(task)
            if closing:
                f.count += 1

    def _gates(self, ts: TaskState, prev: HeldLock, nxt: HeldLock) -> frozenset[int]:
        return frozenset(h.node for h in ts.held if h.read == 0 and h.node != prev.node and h.node != nxt.node)

    def _witness(self, ts: TaskState, prev: HeldLock, nxt: HeldLock, how: str) -> Witness:
        return Witness(nxt.line, ts.name, self._site(nxt.site), self._stack(nxt.stack, how != "signal"), prev.line,
                       self._site(prev.site), self._stack(prev.stack, how == "signal"), how, self.seq)

    # ----------------------------------------------------------- usage bits
    def _mark_usage(self, ts: TaskState, h: HeldLock, umask: int) -> None:
        """mark_lock for every new bit: valid_state, then the irq-inversion searches."""
        node = self.graph.nodes[h.node]
        new = umask & ~node.usage
        bits = [b for b in range(12) if new & flag(b)]
        bits.sort(key=bit_dir)  # USED_IN before ENABLED, as mark_usage does
        for b in bits:
            node.usage |= flag(b)
            node.usage_witness[b] = Witness(h.line, ts.name, self._site(h.site), self._stack(h.stack))
            if bit_dir(b) == USED_IN:
                self._any_used_in = True
            # A reentrant class cannot deadlock on itself this way: the interrupted holder
            # re-enters it, any other holder is simply waited for.
            conflict = node.usage & conflicting_bits(b) if node.kind != "rlock" else 0
            if conflict:
                old = min(x for x in range(12) if conflict & flag(x))
                self._inconsistent(ts, h, node, old, b)
                continue
            state = bit_state(b)
            if bit_dir(b) == USED_IN:
                # this lock is now irq-safe: it must not depend on an irq-unsafe lock
                mask = flag(bit(state, ENABLED, 0)) | flag(bit(state, ENABLED, 1))
                path = self.graph.search(h.node, h.read == 2, self.graph.usage_matcher(mask), True, False)
                if path:
                    self._irq_inversion(ts, h, path, state, "forward")
            else:
                # this lock is now irq-unsafe: no irq-safe lock may depend on it
                mask = flag(bit(state, USED_IN, 0)) | flag(bit(state, USED_IN, 1))
                path = self.graph.search(h.node, h.read != 0, self.graph.usage_matcher(mask), False, False)
                if path:
                    path.reverse()
                    self._irq_inversion(ts, h, path, state, "backward")

    def _check_irq_usage(self, ts: TaskState, prev: HeldLock, nxt: HeldLock, again: bool = True) -> None:
        """A new edge must not connect an irq-safe lock (behind prev) to an irq-unsafe one (after next)."""
        g = self.graph
        used = g.accumulate_usage(prev.node, prev.read != 0, False) & USED_IN_ALL
        if not used:
            return
        fpath = g.search(nxt.node, nxt.read == 2, g.usage_matcher(exclusive_mask(used)), True)
        if fpath is None:
            return
        unsafe = g.nodes[fpath[-1]].usage & ENABLED_ALL
        back = 0
        state = -1
        for s in range(len(STATE_NAMES)):
            if unsafe & (flag(bit(s, ENABLED, 0)) | flag(bit(s, ENABLED, 1))) and \
                    used & (flag(bit(s, USED_IN, 0)) | flag(bit(s, USED_IN, 1))):
                back |= flag(bit(s, USED_IN, 0)) | flag(bit(s, USED_IN, 1))
                if state < 0:
                    state = s
        bpath = g.search(prev.node, prev.read != 0, g.usage_matcher(back), False)
        if bpath is None or state < 0:
            return
        bpath.reverse()
        self._irq_inversion(ts, nxt, bpath + fpath, state, "edge", prev=prev, again=again)

    # -------------------------------------------------------------- reports
    def _report(self, f: Finding, key: tuple) -> None:
        with self.graph_lock:
            if key in self._seen:
                self._seen_again(key, f.task)
                return
            self._seen.add(key)
            self._reported[key] = f
            if f.task and f.task not in f.tasks:
                f.tasks.append(f.task)
            f.sites = {c: self.class_sites[c.split("/")[0]] for c in f.classes
                       if c.split("/")[0] in self.class_sites}
            if self.hold_back is not None and self.hold_back(f):
                self.pending.append(f)
                return
            self.findings.append(f)
        if self.on_finding is not None:
            self.on_finding(f)

    def flush_pending(self, drop: Callable[[Finding], bool], keep: Callable[[Finding], bool] | None = None) -> None:
        """Report the held-back findings, except those ``drop`` now rules out and those ``keep``
        holds back until a later flush."""
        with self.graph_lock:
            pending, self.pending = self.pending, []
            if keep is not None:
                self.pending = [f for f in pending if keep(f) and not drop(f)]
                pending = [f for f in pending if not keep(f)]
            out = [f for f in pending if not drop(f)]
            self.findings.extend(out)
        if self.on_finding is not None:
            for f in out:
                self.on_finding(f)

    def _seen_again(self, key: tuple, task: str | None) -> None:
        old = self._reported.get(key)
        if old is not None:
            old.count += 1
            if task and task not in old.tasks:
                old.tasks.append(task)

    def _held_info(self, ts: TaskState, held: list[HeldLock] | None = None) -> list[HeldInfo]:
        g = self.graph
        return [HeldInfo(g.name(h.node), str(h.lock), usage_string(g.nodes[h.node].usage), _mode(h),
                         self._site(h.site), h.line)
                for h in (ts.held if held is None else held)]

    def _lock_desc(self, h: HeldLock) -> dict:
        node = self.graph.nodes[h.node]
        return {"class": node.name, "lock": str(strong(h.lock)), "usage": usage_string(node.usage), "mode": _mode(h),
                "site": self._site(h.site), "line": h.line, "event": node.kind == "event"}

    @staticmethod
    def _cycle_key(path: list[int]) -> tuple:
        k = path.index(min(path))
        return (F.CIRCULAR, tuple(path[k:] + path[:k]))

    def _circular(self, ts: TaskState, prev: HeldLock, nxt: HeldLock, path: list[int], how: str,
                  gates: frozenset[int], beyond: bool = False) -> Finding | None:
        g = self.graph
        names = [g.name(n) for n in path]
        key = self._cycle_key(path)
        if key in self._seen:
            self._seen_again(key, ts.name)
            return None
        chain = []
        lines = {nxt.line, prev.line} if how == "signal" else {nxt.line}
        guard = set(gates)
        for a, b in zip(path, path[1:]):
            e = g.edge(a, b)
            assert e is not None
            guard &= e.gates if e.witness is None or e.witness.how != "signal" else set()
            w = e.witness
            chain.append({"from": g.name(a), "to": g.name(b), "dep": dep_names(e.dep),
                          "witness": w.to_dict() if w else None})
            if w is not None:
                lines.add(w.line)
        guard -= set(path)
        guarded_by = None
        if guard:
            order = [h.node for h in ts.held]
            guarded_by = g.name(min(guard, key=lambda n: order.index(n) if n in order else len(order)))
        f = Finding(F.CIRCULAR, names, sorted(x for x in lines if x), ts.name,
                    prev.line if how == "signal" else nxt.line, guarded_by,
                    details={"how": how, "acquiring": self._lock_desc(nxt), "holding": self._lock_desc(prev),
                             "site": self._site(nxt.site),
                             "stack": self._stack(nxt.stack) if how != "signal" else None,
                             "signal_site": self._site(prev.site) if how == "signal" else None,
                             "chain": chain,
                             "new_edge": {"from": g.name(prev.node), "to": g.name(nxt.node),
                                          "dep": dep_names(calc_dep(prev.read, nxt.read))}},
                    held=self._held_info(ts))
        why = self._beyond_kernel(prev, nxt, beyond) if self.complete else None
        if why is not None:
            f.details["beyond_kernel"] = why
        self._report(f, key)
        return f

    def _instance_order(self, ts: TaskState, prev: HeldLock, nxt: HeldLock) -> None:
        """Two instances of one class nested: ``prev``'s instance before ``nxt``'s.  An
        order that some task took the other way round (directly or through other
        instances of the class) is an inversion between instances, as instance-based
        detectors report; a consistent order (by index, id, outer before inner) is clean."""
        a, b = self.instance_key(prev.lock), self.instance_key(nxt.lock)
        order = self.instance_order.setdefault(self.graph.nodes[nxt.node].family, {})
        after = order.get(a)
        if after is not None and b in after:
            return
        with self.graph_lock:
            path = _instance_path(order, b, a)
            order.setdefault(a, {})[b] = InstanceEdge(self._witness(ts, prev, nxt, "acquire"), prev.lock, nxt.lock,
                                                  (prev.node, nxt.node))
            self.stats["instance_edges"] += 1
            if self.stats["instance_edges"] >= self._prune_instances_at:
                self._prune_instances()
        if path is not None:
            self._instance_inversion(ts, prev, nxt, [order[x][y] for x, y in zip(path, path[1:])])

    def _prune_instances(self) -> None:
        """Forget the instance order of locks that are gone (a dead lock can close no cycle):
        amortised, each time the number of instance edges doubles."""
        kept = 0
        for order in list(self.instance_order.values()):  # (classes are added outside the graph lock)
            for a in list(order):
                after = order[a]
                for b in [b for b, e in after.items() if e.gone]:
                    del after[b]
                if after:
                    kept += len(after)
                else:
                    del order[a]
        self.stats["instance_edges"] = kept
        self._prune_instances_at = max(PRUNE_INSTANCES_AT, 2 * kept)

    def _instance_inversion(self, ts: TaskState, prev: HeldLock, nxt: HeldLock, chain: list[InstanceEdge]) -> None:
        g = self.graph
        name = g.name(nxt.node)
        names = [name] * (len(chain) + 1)
        if prev.node != nxt.node:  # two classes of one family
            names[-1] = g.name(prev.node)
        lines = {nxt.line, prev.line} | {c.witness.line for c in chain}
        desc_prev, desc_next = self.instance_str(prev.lock), self.instance_str(nxt.lock)
        f = Finding(F.CIRCULAR, names, sorted(x for x in lines if x), ts.name, nxt.line,
                    details={"how": "acquire", "instances": [desc_next, desc_prev],
                             "acquiring": {**self._lock_desc(nxt), "instance": desc_next},
                             "holding": {**self._lock_desc(prev), "instance": desc_prev},
                             "site": self._site(nxt.site), "stack": self._stack(nxt.stack),
                             "signal_site": None,
                             "chain": [{"from": f"{g.name(c.classes[0])} ({self._instance(c.held)})",
                                        "to": f"{g.name(c.classes[1])} ({self._instance(c.taken)})", "dep": ["EN"],
                                        "witness": c.witness.to_dict()} for c in chain],
                             "new_edge": {"from": f"{names[-1]} ({desc_prev})", "to": f"{name} ({desc_next})",
                                          "dep": ["EN"]}},
                    held=self._held_info(ts))
        self._report(f, (F.CIRCULAR, "instances", g.nodes[nxt.node].family))

    def _instance(self, lock: Any) -> str:
        return lock if type(lock) is str else self.instance_str(lock)

    def _recursive(self, ts: TaskState, nxt: HeldLock, held: HeldLock, waiting: bool = False,
                   self_wait: bool = False) -> None:
        name = self.graph.name(nxt.node)
        f = Finding(F.RECURSIVE, [name], sorted({held.line, nxt.line}), ts.name, nxt.line,
                    details={"acquiring": self._lock_desc(nxt), "holding": self._lock_desc(held),
                             "same_instance": held.lock == nxt.lock, "waiting": waiting,
                             "self_wait": self_wait, "stack": self._stack(nxt.stack)},
                    held=self._held_info(ts))
        self._report(f, (F.RECURSIVE, name))

    def _inconsistent(self, ts: TaskState, h: HeldLock, node: Any, old: int, new: int) -> None:
        w = node.usage_witness.get(old)
        f = Finding(F.INCONSISTENT, [node.name], sorted({h.line, w.line if w else 0} - {0}), ts.name, h.line,
                    details={"old_usage": usage_name(old), "new_usage": usage_name(new),
                             "state": STATE_NAMES[bit_state(new)], "acquiring": self._lock_desc(h),
                             "registered": w.to_dict() if w else None, "stack": self._stack(h.stack)},
                    held=self._held_info(ts))
        self._report(f, (F.INCONSISTENT, node.name, bit_state(new)))

    def _irq_inversion(self, ts: TaskState, h: HeldLock, path: list[int], state: int, how: str,
                       prev: HeldLock | None = None, again: bool = True) -> None:
        g = self.graph
        names = [g.name(n) for n in path]
        key = (F.IRQ_INVERSION, tuple(names), state)
        if not again and key in self._seen:
            return  # the re-check of an existing edge (check_prev_add) counts no second sighting
        safe, unsafe = g.nodes[path[0]], g.nodes[path[-1]]
        chain, lines = [], {h.line}
        for a, b in zip(path, path[1:]):
            e = g.edge(a, b)
            w = e.witness if e is not None else None
            if w is not None:
                lines.add(w.line)
            chain.append({"from": g.name(a), "to": g.name(b), "witness": w.to_dict() if w else None,
                          "new": e is None})
        safe_bits = [b for b in range(12) if bit_state(b) == state and bit_dir(b) == USED_IN and safe.usage & flag(b)]
        unsafe_bits = [b for b in range(12) if bit_state(b) == state and bit_dir(b) == ENABLED and unsafe.usage & flag(b)]
        sw = safe.usage_witness.get(safe_bits[0]) if safe_bits else None
        uw = unsafe.usage_witness.get(unsafe_bits[0]) if unsafe_bits else None
        f = Finding(F.IRQ_INVERSION, names, sorted(x for x in lines if x), ts.name, h.line,
                    details={"state": STATE_NAMES[state], "how": how, "acquiring": self._lock_desc(h),
                             "holding": self._lock_desc(prev) if prev else None,
                             "safe": safe.name, "unsafe": unsafe.name,
                             "safe_usage": usage_name(safe_bits[0]) if safe_bits else None,
                             "unsafe_usage": usage_name(unsafe_bits[0]) if unsafe_bits else None,
                             "safe_registered": sw.to_dict() if sw else None,
                             "unsafe_registered": uw.to_dict() if uw else None,
                             "chain": chain, "stack": self._stack(h.stack)},
                    held=self._held_info(ts))
        self._report(f, key)

    def _bad_unlock(self, ts: TaskState, lock: str, info: LockInfo, site: Any, stack: Any, line: int) -> None:
        name = info.cls
        holders = [t.name for t in self.tasks.values() if any(h.lock == lock for h in t.held)]
        f = Finding(F.BAD_UNLOCK, [name], [line], ts.name, line,
                    details={"lock": str(lock), "site": self._site(site), "stack": self._stack(stack),
                             "held_by": holders},
                    held=self._held_info(ts))
        self._report(f, (F.BAD_UNLOCK, name))

    # ---------------------------------------------------------------- misc
    def _site(self, site: Any) -> str | None:
        return None if site is None else self.site_str(site)

    def _stack(self, stack: Any, current: bool = True) -> list[str] | None:
        """A recorded stack as strings; for the acquisition being made now (``current``) without
        one, the live caller's stack when the validator has a ``current_stack`` hook."""
        if stack is None:
            return self.current_stack() if current and self.current_stack is not None else None
        if callable(stack):
            stack = stack()
        return [str(s) for s in stack]

    def summary(self) -> dict:
        return {
            "events": self.seq + self.inits,
            "tasks": len(self.tasks),
            "classes": len(self.graph.nodes),
            "edges": self.graph.n_edges,
            "chains": len(self.chains),
            "findings": len(self.findings),
            "chain_cache_hits": self.chain_hits,
            **self.stats,
            "limits_reached": list(self.limits_reached),
        }


def _learned_here(e: Any) -> bool:
    """The dependency was learned from this validator's events (one loaded from a store or merged in
    carries no witness, or one made before the first event)."""
    return e is not None and e.witness is not None and e.witness.seq > 0


def _keepstrong(ts: TaskState, nid: int) -> None:
    """A recursive read replaces the task's latest acquisition of the class: keep an earlier write or
    plain read of it, whose dependency in a cross-release window is the strong one."""
    old = ts.last_acq.get(nid)
    if old is not None and old.read != 2:
        ts.strong_acq[nid] = old


def _mode(h: HeldLock) -> str:
    m = ("write", "read", "recursive-read")[h.read]
    return m + ("/try" if h.trylock else "")


def _instance_path(order: dict[Any, dict[Any, InstanceEdge]], src: Any, dst: Any) -> list[Any] | None:
    """A path src ->* dst in a class's instance order, or None."""
    if src not in order:
        return None
    parent: dict[Any, Any] = {src: None}
    todo = [src]
    while todo:
        x = todo.pop()
        for y in order.get(x, ()):
            if y in parent:
                continue
            parent[y] = x
            if y == dst:
                path = [y]
                while parent[path[-1]] is not None:
                    path.append(parent[path[-1]])
                return path[::-1]
            todo.append(y)
    return None


def _unique(xs: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(xs))
