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
from typing import Any, Callable, Iterable

from . import findings as F
from .findings import Finding, HeldInfo
from .graph import Graph, Witness, calc_dep, dep_names
from .task import HeldLock, TaskState
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


class LockInfo:
    __slots__ = ("cls", "kind", "nodes", "read_level", "reentrant")

    def __init__(self, cls: str, kind: str):
        self.cls = cls
        self.kind = kind
        self.reentrant = kind == "rlock"
        self.nodes: dict[int, int] = {}
        self.read_level = READ_LEVEL[kind]


def node_name(cls: str, subclass: int) -> str:
    return cls if subclass == 0 else f"{cls}/{subclass}"


class Validator:
    """Feed events, read ``findings``.  One instance = one lockdep "boot"."""

    def __init__(self, *, chain_cache: bool = True, max_chains: int = MAX_CHAINS,
                 on_finding: Callable[[Finding], None] | None = None,
                 site_str: Callable[[Any], str] = str,
                 current_stack: Callable[[], list[str]] | None = None):
        """``site_str`` formats the opaque ``site`` objects of events; ``current_stack``
        (for live callers such as the Python runtime) gives the caller's stack on the
        slow path, when an acquisition without a recorded stack creates a witness."""
        self.graph = Graph()
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
        self.stats = {"chain_cache_misses": 0, "graph_searches": 0}

    # ------------------------------------------------------------------ locks
    def lock_init(self, lock: str, cls: str, kind: str = "mutex", site: Any = None, line: int = 0) -> None:
        """Declare ``lock`` a member of ``cls`` (re-keys it if declared before).

        Initialising a lock that a task holds is reported like freeing it
        (the kernel's ``debug_check_no_locks_freed`` in ``*_init``)."""
        self.inits += 1
        if lock in self.locks:
            self.free(lock, site, None, line)
            self.seq -= 1
        self.locks[lock] = LockInfo(cls, kind)
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
        return nid

    def _task(self, task: str) -> TaskState:
        ts = self.tasks.get(task)
        if ts is None:
            ts = self.tasks[task] = TaskState(task, self.seq)
        return ts

    def acquire(self, task: str, lock: str, mode: str = "exclusive", trylock: bool = False, subclass: int = 0,
                context: int | str = 0, irqs_disabled: bool = False, site: Any = None, stack: Any = None,
                line: int = 0) -> None:
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
        self.acquire_resolved(ts, lock, nid, info.read_level[mode], trylock, context, irqs_disabled, site, stack,
                              line)

    def acquire_resolved(self, ts: TaskState, lock: Any, nid: int, read: int, trylock: bool = False,
                         context: int = 0, irqs_disabled: bool = False, site: Any = None, stack: Any = None,
                         line: int = 0) -> HeldLock:
        """The acquisition proper, for callers that keep their own task states and class ids."""
        held = ts.held
        h = HeldLock(lock, nid, read, trylock, context, site, stack, line, self.seq)
        umask = MASK_TABLE[context * 8 + irqs_disabled * 4 + trylock * 2 + (read != 0)]
        if umask & ~self.nodes[nid].usage:
            with self.graph_lock:
                self._mark_usage(ts, h, umask)
        # fast path: a chain of held classes seen before needs no graph work
        if held and held[-1].ctx == context:
            key = h.chain_key = hash((held[-1].chain_key, nid * 4 + read))
            if not trylock and key in self.chains:
                self.chain_hits += 1
                held.append(h)
                ts.last_acq[nid] = h
                return h
        self._push(ts, h)
        if not trylock:
            ts.last_acq[nid] = h
        return h

    def _push(self, ts: TaskState, h: HeldLock) -> None:
        """Push with the slow path: compute the chain key, validate the chain if new."""
        held = ts.held
        hid = h.node * 4 + h.read
        if held and held[-1].ctx == h.ctx:
            key = hash((held[-1].chain_key, hid))
            head = False
        else:
            key = hash((-1 - h.ctx, hid))
            head = True
        h.chain_key = key
        if not h.trylock:
            if key in self.chains:
                self.chain_hits += 1
            else:
                with self.graph_lock:
                    if key not in self.chains:  # re-check under the lock, as the kernel does
                        self.stats["chain_cache_misses"] += 1
                        self._validate_chain(ts, h, head)
                        if self.chain_cache:
                            if len(self.chains) < self.max_chains:
                                self.chains.add(key)
                            elif "MAX_CHAINS" not in self.limits_reached:
                                self.limits_reached.append("MAX_CHAINS")
        held.append(h)

    def release(self, task: str, lock: str, site: Any = None, stack: Any = None, line: int = 0) -> None:
        self.seq += 1
        ts = self.tasks.get(task)
        if ts is None:
            ts = self._task(task)
        held = ts.held
        if held:
            top = held[-1]
            if top.lock == lock and top.refs == 1:  # fast path: LIFO release
                held.pop()
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
                if h.node == eid:
                    self._recursive(ts, w, h, waiting=True)
                    continue
                self._add_dependency(ts, h, w, "wait")
            ts.last_acq[eid] = w

    def signal(self, task: str, event: str, site: Any = None, stack: Any = None, line: int = 0) -> None:
        """``event`` happens: what ``task`` took inside the event's window must come before it."""
        self.seq += 1
        ts = self.tasks.get(task) or self._task(task)
        with self.graph_lock:
            eid = self.graph.node(event, "event")
            start = ts.begins.get(eid, ts.first_seq)
            sig = HeldLock(event, eid, 0, False, 0, site, stack, line, self.seq)
            for nid, h in list(ts.last_acq.items()):
                if h.seq >= start and nid != eid:
                    self._add_dependency(ts, sig, h, "signal")

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
        names = _unique(self.graph.name(h.node) for h in ts.held)
        self._report(Finding(F.HELD_AT_EXIT, names, sorted({h.line for h in ts.held} | {line}), task, line,
                             details={"site": self._site(site)}, held=self._held_info(ts)),
                     (F.HELD_AT_EXIT, tuple(names)))

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
    def _validate_chain(self, ts: TaskState, nxt: HeldLock, head: bool) -> None:
        """check_deadlock, then check_prevs_add (a chain head adds no edges)."""
        held = ts.held
        kind = self.graph.nodes[nxt.node].kind
        for h in held:
            if h.node == nxt.node:
                if nxt.read == 2 and h.read != 0:
                    continue  # recursive read after any read: allowed
                if kind == "semaphore":
                    continue  # a counting semaphore may be taken again
                self._recursive(ts, nxt, h)
                return
        if head:
            return
        for i in range(len(held) - 1, -1, -1):
            prev = held[i]
            if prev.ctx != nxt.ctx:
                break
            self._add_dependency(ts, prev, nxt, "acquire")
            if not prev.trylock:
                break

    def _add_dependency(self, ts: TaskState, prev: HeldLock, nxt: HeldLock, how: str) -> None:
        """check_prev_add: prev -> next, after checking it closes no strong cycle."""
        if prev.node == nxt.node:
            return
        g = self.graph
        b = calc_dep(prev.read, nxt.read)
        e = g.edge(prev.node, nxt.node)
        gates = self._gates(ts, prev, nxt) if how != "signal" else frozenset()
        if e is not None and e.dep & b:
            if e.gates:
                e.gates &= gates
            return
        self.stats["graph_searches"] += 1
        prev_node, prev_excl = prev.node, prev.read == 0
        path = g.search(nxt.node, nxt.read == 2,
                        lambda n, only_xr: n == prev_node and (prev_excl or not only_xr))
        if path is not None:
            self._circular(ts, prev, nxt, path, how, gates)
        if self._any_used_in and how == "acquire":
            self._check_irq_usage(ts, prev, nxt)
        if e is None:
            w = self._witness(ts, prev, nxt, how)
            g.add_edge(prev.node, nxt.node, b, w, gates)
        else:
            e.dep |= b
            e.gates &= gates

    def _gates(self, ts: TaskState, prev: HeldLock, nxt: HeldLock) -> frozenset[int]:
        return frozenset(h.node for h in ts.held if h.read == 0 and h.node != prev.node and h.node != nxt.node)

    def _witness(self, ts: TaskState, prev: HeldLock, nxt: HeldLock, how: str) -> Witness:
        return Witness(nxt.line, ts.name, self._site(nxt.site), self._stack(nxt.stack, how != "signal"), prev.line,
                       self._site(prev.site), self._stack(prev.stack, how == "signal"), how)

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

    def _check_irq_usage(self, ts: TaskState, prev: HeldLock, nxt: HeldLock) -> None:
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
        self._irq_inversion(ts, nxt, bpath + fpath, state, "edge", prev=prev)

    # -------------------------------------------------------------- reports
    def _report(self, f: Finding, key: tuple) -> None:
        with self.graph_lock:
            if key in self._seen:
                return
            self._seen.add(key)
            self.findings.append(f)
        f.sites = {c: self.class_sites[c.split("/")[0]] for c in f.classes if c.split("/")[0] in self.class_sites}
        if self.on_finding is not None:
            self.on_finding(f)

    def _held_info(self, ts: TaskState) -> list[HeldInfo]:
        g = self.graph
        return [HeldInfo(g.name(h.node), str(h.lock), usage_string(g.nodes[h.node].usage), _mode(h),
                         self._site(h.site), h.line)
                for h in ts.held]

    def _lock_desc(self, h: HeldLock) -> dict:
        node = self.graph.nodes[h.node]
        return {"class": node.name, "lock": str(h.lock), "usage": usage_string(node.usage), "mode": _mode(h),
                "site": self._site(h.site), "line": h.line, "event": node.kind == "event"}

    def _circular(self, ts: TaskState, prev: HeldLock, nxt: HeldLock, path: list[int], how: str,
                  gates: frozenset[int]) -> None:
        g = self.graph
        names = [g.name(n) for n in path]
        k = path.index(min(path))
        key = (F.CIRCULAR, tuple(path[k:] + path[:k]))
        if key in self._seen:
            return
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
        self._report(f, key)

    def _recursive(self, ts: TaskState, nxt: HeldLock, held: HeldLock, waiting: bool = False) -> None:
        name = self.graph.name(nxt.node)
        f = Finding(F.RECURSIVE, [name], sorted({held.line, nxt.line}), ts.name, nxt.line,
                    details={"acquiring": self._lock_desc(nxt), "holding": self._lock_desc(held),
                             "same_instance": held.lock == nxt.lock, "waiting": waiting,
                             "stack": self._stack(nxt.stack)},
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
                       prev: HeldLock | None = None) -> None:
        g = self.graph
        names = [g.name(n) for n in path]
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
        self._report(f, (F.IRQ_INVERSION, tuple(names), state))

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


def _mode(h: HeldLock) -> str:
    m = ("write", "read", "recursive-read")[h.read]
    return m + ("/try" if h.trylock else "")


def _unique(xs: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(xs))
