"""The live runtime: one validator for the process, a task state per thread,
classes keyed by creation site, and the optional trace recorder.

The per-acquire path touches only the calling thread's own state and
read-only shared maps; the validator serialises its slow path itself.
"""

from __future__ import annotations

import _thread
import os
import sys
from sys import getrefcount
from types import FrameType
from typing import IO, Any, Callable

from ..engine.findings import CIRCULAR as F_CIRCULAR
from ..engine.findings import Finding
from ..engine.task import HeldLock, TaskState, weak
from ..engine.usage import HANDLER_CTX, MASK_TABLE, PROCESS
from ..engine.validator import Validator
from . import sites
from .identity import instance_str

get_ident = _thread.get_ident
get_native_id = _thread.get_native_id

#: threads importing a module the runtime once imported before it started (patch.py, quietly): the
#: primitives they create meanwhile stay plain, the standard library's own, as they were then
QUIET_IMPORTS: dict[int, int] = {}


class ThreadState(TaskState):
    """A task state plus what the runtime needs per thread."""

    __slots__ = ("ctx", "ident", "thread_event", "callback", "fork_hook")

    def __init__(self, name: str, seq: int, ident: int):
        super().__init__(name, seq)
        self.ctx = PROCESS
        #: in a weakref (or weakref.finalize) callback that interrupts a critical section: True,
        #: or the ids of what it carries for the dead object
        self.callback: bool | frozenset[int] = False
        self.ident = ident
        self.thread_event: str | None = None
        #: running an ``os.register_at_fork(before=...)`` hook: what it takes is taken in a registry's
        #: order, not a lock order (``patch._register_at_fork``)
        self.fork_hook = False


class LiveValidator(Validator):
    """The runtime's validator.  Its event counter is a slot, so the C core's fast path
    bumps it without a dictionary lookup."""

    __slots__ = ("seq",)


class TraceWriter:
    """Writes the event stream in the trace format, one JSON object per line."""

    def __init__(self, f: IO[str]):
        import json

        self._dumps = json.dumps
        self.f = f
        self.lock = _thread.RLock()  # reentrant: held across fork() by the forking thread
        self.declared: set[str] = set()  # lock ids (not ``id()``: a dead lock's address is reused)
        self.lines = 0  # written so far: the next event's line number is lines + 1

    def write(self, **ev: Any) -> None:
        line = self._dumps(ev, separators=(",", ":")) + "\n"
        with self.lock:
            self.f.write(line)
            self.lines += 1

    def close(self) -> None:
        with self.lock:
            self.f.close()


class Runtime:
    def __init__(self, on_finding: Callable[[Finding], None] | None = None, trace: IO[str] | None = None):
        self.validator = LiveValidator(on_finding=on_finding, site_str=sites.site_str,
                                       current_stack=sites.current_stack, instance_key=self.lock_id,
                                       instance_str=instance_str)
        self.threads: dict[int, ThreadState] = {}
        self.exited: dict[int, tuple[str, int]] = {}  # ident -> name and native id of the thread that exited
        self.async_tasks: dict[int, ThreadState] = {}
        self.classes: dict[tuple, int] = {}  # creation key -> node id
        self.families: dict[tuple, int] = {}  # (kind, stdlib constructors) -> node id of its first class
        self._direct: dict[tuple, int] = {}  # (kind, code, lasti) of a self-contained creation line -> node id
        self.events: dict[tuple, str] = {}  # creation key -> event name
        self.event_names: set[str] = set()
        self.trace = TraceWriter(trace) if trace is not None else None
        self.names_lock = _thread.RLock()
        self._serial = 0
        #: classes of locks seen released by a thread other than their acquirer: no owner,
        #: no held-stack order; a contended acquire waits for the release event (DEPT's semaphores)
        self.handoff: set[int] = self.validator.unowned
        #: id(lock) -> [waiters, window start] of the locks of hand-off classes being waited for (a start
        #: is a ``window_start``)
        self.lock_waits: dict[int, list[int]] = {}
        #: id of a hand-off lock held now -> (class node under which it was taken (-1: none), window start)
        self.holds: dict[int, tuple[int, tuple[int, int]]] = {}
        #: id(plain lock) -> (seq of its hold, ids of the locks held under it that were released
        #: before it): a hold that outlived the critical section it was taken in (see ``release``)
        self.escapes: dict[int, tuple[int, set[int]]] = {}
        #: plain locks still held by threads that ended: id(lock) -> (thread, entry, lock)
        self.orphans: dict[int, tuple[str, HeldLock, Any]] = {}
        #: how long a thread may wait for a Lock it holds itself before that is a self-deadlock
        self.self_wait_grace = float(os.environ.get("LOCKDEP_HANG_TIMEOUT") or 0) or 10.0
        v = self.validator
        v.cycles_need_a_lock = True  # thread and queue events merge many instances: a cycle needs a lock
        v.hold_back = self._held_back
        #: (creation key, name) -> node id of a class a store knows, or None (set by history.start)
        self.adopt: Callable[[tuple, str], int | None] | None = None
        #: called after every change to ``threads`` (the C core caches each thread's state)
        self.threads_changed: Callable[[], None] = _nothing

        #: class -> {key of the chain under it (-1: none): key of the chain it tops}: the cached chains
        #: a plain acquisition makes, once the class's usage needs no marking (emptied for a hand-off class)
        self.next_keys: dict[int, dict[int, int]] = {}
        self.fast_acquire, self.cached_key = self._make_fast_path()

    def _make_fast_path(self) -> tuple[Callable[[Any, FrameType], bool], Callable[[ThreadState, Any], int | None]]:
        """The per-acquire fast path, with everything it touches bound to locals: a
        plain blocking acquisition in process context whose chain of held classes was
        validated before only pushes an entry (the kernel's chain-cache hit), reused
        per thread and lock; the lock's release pops it (primitives).  Anything else
        returns False and takes ``acquire``."""
        threads_get = self.threads.get
        v = self.validator
        chains = v.chains
        nodes = v.graph.nodes
        next_keys = self.next_keys
        wrapper_files = _WRAPPER_FILES
        usage_needed = MASK_TABLE[0]  # process context, interrupts enabled, blocking, exclusive

        def cached_key(ts: ThreadState, lock: Any) -> int | None:
            """The key of the chain ``ts`` makes by taking ``lock`` now, if that chain is cached and
            the class's usage needs no marking; else None."""
            if ts.ctx or self.trace is not None or lock._ld_born is not None:
                return None
            nid = lock._ld_node
            held = ts.held
            if held:
                top = held[-1]
                if top.ctx:
                    return None
                prev = top.chain_key
            else:
                prev = -1  # (no chain key is -1: CPython's hash() never returns it)
            nexts = next_keys.get(nid)
            if nexts is None:
                nexts = next_keys[nid] = {}
            key = nexts.get(prev)
            if key is None:
                # (the class's map is taken before its usage is read: a hand-off drops the map after
                # zeroing the usage, so a key cached meanwhile lands in a dropped map)
                if nodes[nid].usage & usage_needed != usage_needed:
                    return None
                key = hash((prev, nid << 2))
                if key not in chains:
                    return None
                nexts[prev] = key
            return key

        def fast_acquire(lock: Any, frame: FrameType) -> bool:
            ts = threads_get(get_ident())
            if ts is None:
                return False
            key = cached_key(ts, lock)
            if key is None:
                return False
            nid = lock._ld_node
            code = frame.f_code
            lasti = frame.f_lasti
            h = lock._ld_entry
            if h is not None and h.refs == 0 and h.owner is ts:
                # this thread's previous entry for the lock, off the stack: reuse it (and its
                # site, when the lock is taken where it was last time)
                site = h.site
                if site[0] is not code or site[1] != lasti:
                    if wrapper_files.get(code.co_filename, True):
                        return False
                    h.site = (code, lasti)
                v.seq += 1
                h.seq = v.seq
                h.node = nid
                h.refs = 1
                h.lock = lock  # (weak while off the stack: ``release``)
            else:
                if wrapper_files.get(code.co_filename, True):
                    return False
                v.seq += 1
                h = lock._ld_entry = HeldLock(lock, nid, 0, False, 0, (code, lasti), None, 0, v.seq)
                h.owner = ts
            h.chain_key = key
            ts.held.append(h)
            ts.last_acq[nid] = h
            return True

        return fast_acquire, cached_key

    # ------------------------------------------------------ hand-offs
    def _held_back(self, f: Finding) -> bool:
        return self._unowned_cycle(f) or self.validator.may_be_own_signal(f)

    def _unowned_cycle(self, f: Finding) -> bool:
        """A cycle through a plain Lock (or one-slot semaphore) waits for a checkpoint: the
        class may yet turn out to be handed between threads (a readers' group lock), and
        then its order was never a lock order."""
        if f.kind != F_CIRCULAR:
            return False
        g = self.validator.graph
        return any(g.nodes[n].kind in ("mutex", "semaphore") for n in self._class_nodes(f))

    def _class_nodes(self, f: Finding) -> list[int]:
        by_name = self.validator.graph.by_name
        return [by_name[c] for c in f.classes if c in by_name]

    def checkpoint(self, final: bool = False) -> None:
        """Report the held-back cycles whose locks never turned out to be hand-offs, nor their
        signals to be their waiter's own (at the end of a test, at exit, when a hang is detected).

        A cycle through the class of a group hold still open (a plain Lock that outlived the guard
        it was taken under, not yet released: a readers' group lock whose last reader is still in,
        see ``_group_released``) waits on: the release will tell.  A group hold never released --
        its lock dropped while held, or still held at the end (``final``) -- is a group's: its
        class is a hand-off class.  A test that leaves a reader in is not a lock-order bug."""
        ts = self.threads.get(get_ident())
        if ts is not None:
            self._drop_dead_holds(ts)
        open_groups = self._open_group_holds()
        if final:
            for owner, h in open_groups:
                self._handed_off(owner, h.lock)
            open_groups = []
        nodes = {h.node for _, h in open_groups}
        by_name = self.validator.graph.by_name
        self.validator.checkpoint(keep=(lambda f: any(by_name.get(c) in nodes for c in f.classes)) if nodes else None)

    def _open_group_holds(self) -> list[tuple[str, HeldLock]]:
        """(holder, hold) of the plain Locks that outlived the guard they were taken under, still
        held (by a thread, or left by one that ended); ``escapes`` forgets every other hold."""
        out, live = [], set()
        holds = [(ts.name, h) for ts in list(self.threads.values()) for h in list(ts.held)]
        holds += [(name, h) for name, h, _lock in list(self.orphans.values())]
        for name, h in holds:
            if self._group_hold(h):
                out.append((name, h))
                live.add(id(h.lock))
        for key in [k for k in self.escapes if k not in live]:
            self.escapes.pop(key, None)
        return out

    def _group_hold(self, h: HeldLock) -> bool:
        """Whether hold ``h`` outlived the guard it was taken under (``_group_released``)."""
        e = self.escapes.get(id(h.lock))
        return e is not None and e[0] == h.seq

    # ----------------------------------------------------------- threads
    def thread(self) -> ThreadState:
        ident = get_ident()
        ts = self.threads.get(ident)
        if ts is None:
            ts = self._new_thread(ident)
        return ts

    def thread_named(self, name: str) -> ThreadState:
        """Fresh state for the calling thread, starting under ``name`` (Thread bootstrap).
        State an earlier thread left under the same ident (by code it ran after its exit
        bookkeeping, such as a thread-local's finalizer) is retired, never inherited."""
        ident = get_ident()
        stale = self.threads.get(ident)
        if stale is not None:
            self.thread_exit(stale)
        self.exited.pop(ident, None)
        return self._new_thread(ident, name)

    def _new_thread(self, ident: int, name: str | None = None) -> ThreadState:
        if name is None:
            import threading

            t = threading._active.get(ident)  # type: ignore[attr-defined]
            exited = self.exited.get(ident)
            if t is not None:
                name = t.name
            elif exited is not None and exited[1] == get_native_id():  # still the thread that exited
                name = exited[0]
            else:
                name = f"thread-{ident}"
        if name in self.validator.tasks:
            name = f"{name}/{ident}"
        ts = ThreadState(name, self.validator.seq, ident)
        self.threads[ident] = ts
        self.threads_changed()
        self.validator.tasks[name] = ts
        return ts

    def thread_exit(self, ts: ThreadState) -> None:
        """Signal the thread's exit event (for joiners) and retire its state."""
        if ts.thread_event is not None:
            self.signal(ts, ts.thread_event)
        # Plain locks still held may be handed to another thread: reported at process
        # exit if nobody released them by then; owner-bound (reentrant) ones now.
        for h in ts.held:
            if not getattr(h.lock, "_ld_owner_bound", False) and h.node not in self.handoff:
                self.orphans[id(h.lock)] = (ts.name, h, h.lock)
        ts.held[:] = [h for h in ts.held if getattr(h.lock, "_ld_owner_bound", False)]
        if self.trace:
            self.trace.write(op="task_exit", task=ts.name)
        self.validator.task_exit(ts.name)
        # its windows are closed for good: the locks it last took may go (a lock's entry still names
        # this state as its owner, and a WeakValueDictionary of locks must see them die)
        ts.last_acq.clear()
        ts.strong_acq.clear()
        self.threads.pop(ts.ident, None)
        self.threads_changed()
        self.exited[ts.ident] = (ts.name, get_native_id())  # the name of what the thread still runs

    # ----------------------------------------------------- asyncio tasks
    def task_state(self, task: Any) -> ThreadState:
        """The state of an asyncio task: coroutines interleave on one thread, each with
        its own held stack, like the kernel's tasks on one CPU."""
        ts = self.async_tasks.get(id(task))
        if ts is None:
            name = f"task {task.get_name()}"
            if name in self.validator.tasks:
                name = f"{name}/{id(task):x}"
            ts = self.async_tasks[id(task)] = ThreadState(name, self.validator.seq, -1)
            self.validator.tasks[name] = ts
            task.add_done_callback(self._task_done)
        return ts

    def _task_done(self, task: Any) -> None:
        ts = self.async_tasks.pop(id(task), None)
        if ts is not None:
            ts.held.clear()  # an asyncio.Lock may be released by another task: no held-at-exit report
            self.validator.tasks.pop(ts.name, None)

    # ----------------------------------------------------------- classes
    def class_for(self, frame: FrameType | None, kind: str) -> int:
        """Node id of the class of a primitive created in ``frame`` (keyed by creation site),
        or -1: not checked."""
        if QUIET_IMPORTS and get_ident() in QUIET_IMPORTS:
            return -1
        if kind == "mutex" and _made_by_thread_init(frame):
            return -1  # Thread._started's lock: a thread's start is its own event, this lock orders nothing
        f = sites.user_frame(frame)
        direct: tuple | None = None
        if f is not None:
            direct = (kind, f.f_code, f.f_lasti)
            if sites.naming(f).owner is not None:  # ``self.x = Lock()``: one class per subclass
                direct += (type(f.f_locals.get("self")),)
        nid = self._direct.get(direct)
        if nid is not None:  # a creation line named by itself alone (no wrapper, no factory): seen before
            return nid
        key, name, site = sites.creation_key(f)
        nid = self.classes.get((kind, *key))
        if nid is None:
            nid = self._register((kind, *key), name, site, kind)
            family = sites.family_key(f)
            if family is None and type(key[-1]) is str:  # a base class's lock, per subclass (``sites.self_type``)
                family = key[:-1]
            if family is not None:  # one stdlib composite's primitives under many names, or a base class's
                with self.names_lock:
                    self.validator.graph.nodes[nid].family = self.families.setdefault((kind, family), nid)
        if direct is not None and sum(type(k) is tuple for k in key) == 1 and not sites.naming(f).returned:
            self._direct[direct] = nid
        return nid

    def _register(self, key: tuple, name: str, site: str, kind: str) -> int:
        with self.names_lock:
            nid = self.classes.get(key)
            if nid is not None:
                return nid
            if self.adopt is not None:  # lock history (--db): the class keeps its stored name
                nid = self.adopt(key, name)
                if nid is not None:
                    self.classes[key] = nid
                    return nid
            g = self.validator.graph
            name = _distinct(name, g.by_name)
            nid = g.node(name, kind)
            g.nodes[nid].instance_order = True  # Python objects: instances of a class are ordered by instance
            self.classes[key] = nid
            self.validator.class_sites.setdefault(name, site)
            return nid

    def named_class(self, name: str, kind: str) -> int:
        key = ("named", name)
        nid = self.classes.get(key)
        return nid if nid is not None else self._register(key, name, "lockdep.name()", kind)

    def event_name(self, frame: FrameType | None, prefix: str) -> str:
        """The event of a condition (of an ``Event``, a queue...) created in ``frame``:
        keyed by creation site like a lock class, ``#N`` when two sites share a name."""
        key, name, _ = sites.creation_key(sites.user_frame(frame))
        key = (prefix, *key)
        event = self.events.get(key)
        if event is None:
            with self.names_lock:
                event = self.events.get(key)
                if event is None:
                    event = self.events[key] = _distinct(f"({prefix}){name}", self.event_names)
                    self.event_names.add(event)
        return event

    # ---------------------------------------------------------- locks
    def lock_id(self, lock: Any) -> str:
        lid = getattr(lock, "_ld_id", None)
        if lid is None:
            self._serial += 1
            lid = f"{self.validator.graph.name(lock._ld_node)}@{self._serial}"
            lock._ld_id = lid
        return lid

    def acquire(self, lock: Any, frame: FrameType, trylock: bool = False, subclass: int = 0,
                ts: ThreadState | None = None, push: bool = True) -> Any:
        """The slow path of an acquisition by the calling thread (or by the asyncio task ``ts``);
        ``push=False`` validates an attempt that is about to block."""
        if ts is None:
            ts = self.threads.get(get_ident()) or self.thread()
        if lock._ld_node in self.handoff:
            if push:  # (not an attempt validated before it blocks: the lock is not its own yet)
                self._hold(ts, lock)
            return None  # no owner, no order: only waits for its release count
        if frame is None:  # called from C with no Python frame
            frame = sys._getframe(1)
        if any(getrefcount(h.lock) <= 2 for h in ts.held):  # (the entry's and the call's): dropped
            self._drop_dead_holds(ts)
        ctx = ts.ctx  # HANDLER inside signal handlers and __del__ (wrapped in patch.py)
        trylock = trylock or ts.fork_hook
        nid = lock._ld_node if not subclass else self._subclass_node(lock._ld_node, subclass)
        cb = ts.callback
        if cb and (cb is not True and id(lock) in cb or any(h.node == nid and h.lock is not lock for h in ts.held)):
            # a weakref callback takes a lock it carries for the dead object, or another instance
            # of a class the thread holds: the dead object's own lock (a pool's finalizer, an
            # executor's shutdown lock), which no live code on this thread can be holding
            ctx = PROCESS
        code = frame.f_code
        inner = _WRAPPER_FILES.get(code.co_filename)
        if inner is None:
            inner = _WRAPPER_FILES[code.co_filename] = sites.is_wrapper(code.co_filename)
        if inner:  # taken by a stdlib primitive (Condition, Queue, ...): the site is its user
            frame = _outside_wrappers(frame)
            code = frame.f_code
        site = (code, frame.f_lasti)
        private = False
        born = getattr(lock, "_ld_born", None)
        if born is not None:
            private = _under_construction(lock, born, frame)
            if not private:
                lock._ld_born = None  # its owner's __init__ is over (or another thread has it): shared
        self.validator.seq += 1  # an event of its own, after every window that opened before it
        if self.trace is None or not push:
            return self.validator.acquire_resolved(ts, lock, nid, 0, trylock, ctx, False, site, push=push,
                                                   private=private)
        traced = False
        try:
            self._trace_acquire(ts, lock, site, trylock, subclass, ctx, private)
            traced = True
            return self.validator.acquire_resolved(ts, lock, nid, 0, trylock, ctx, False, site, private=private)
        except BaseException:  # (a KeyboardInterrupt): the caller gives the lock back, never got it
            if any(h.lock is lock for h in ts.held):
                self.validator._remove_held(ts, lock)
            if traced:
                self.trace.write(op="release", task=ts.name, lock=self.lock_id(lock))
            raise

    def acquire_blocking(self, lock: Any, frame: FrameType | None) -> bool:
        """A blocking acquisition that found the lock taken: validate the attempt before
        blocking (a deadlock is reported even if it then happens), block (through the hang
        watchdog when it runs), and only then put the lock on the thread's held stack."""
        ts = self.threads.get(get_ident()) or self.thread()
        if frame is None:
            frame = sys._getframe(1)
        nid = lock._ld_node
        if nid in self.handoff:
            return self._wait_release(ts, lock, frame)
        if not lock._ld_owner_bound and any(h.lock is lock for h in ts.held):
            return self._self_wait(ts, lock, frame)
        if self.cached_key(ts, lock) is None:  # (a chain validated before needs no validation)
            self.acquire(lock, frame, push=False)
        return self._take(ts, lock, frame, push=True)

    def contended(self, lock: Any, frame: FrameType | None) -> Any:
        """The C core's contended acquisition, before it blocks: None when the wait was handled
        here (hand-off classes, self-waits), else ``(wait, chunk)``: the C core blocks itself (in
        ``chunk`` seconds if the hang watchdog may abort it, calling ``wait.check()`` between) and
        then calls ``contended_done``.  Blocking and pushing without Python frames in between keeps
        the lock from leaking when a signal handler raises right after it was taken."""
        ts = self.threads.get(get_ident()) or self.thread()
        if frame is None:
            frame = sys._getframe(1)
        nid = lock._ld_node
        if nid in self.handoff:
            self._wait_release(ts, lock, frame)
            return None
        if not lock._ld_owner_bound and any(h.lock is lock for h in ts.held):
            self._self_wait(ts, lock, frame)
            return None
        self.acquire(lock, frame, push=False)
        from . import watchdog

        wd = watchdog.current
        if wd is None:
            return (None, -1.0)
        return (wd.enter(ts, "lock", lock, frame), wd.chunk if wd.chunk is not None else -1.0)

    def contended_done(self, lock: Any, frame: FrameType | None, token: Any) -> None:
        """The C core took a contended lock (or gave up, ``frame`` None): leave the watchdog, push."""
        w = token[0]
        if w is not None:
            from . import watchdog

            if watchdog.current is not None:
                watchdog.current.leave(w)
        if frame is not None and lock._ld_node not in self.handoff and not self.fast_acquire(lock, frame):
            self.acquire(lock, frame)

    def _take(self, ts: ThreadState, lock: Any, frame: FrameType, push: bool) -> bool:
        """Block until ``lock`` is the caller's (through the hang watchdog when it runs, so the
        wait can be explained and aborted), then push it.  An exception once the lock is taken
        (a KeyboardInterrupt in the bookkeeping) gives it back: the caller never got it."""
        from . import watchdog  # (imports this module)

        wd = watchdog.current
        block = lock._block
        got = [False]

        def take(*args: Any) -> bool:
            # no check for signals between the C acquire returning and the flag being set
            r = got[0] = block.acquire(*args)
            return r

        try:
            take() if wd is None else wd.block_on_lock(lock, frame, acquire=take)
            if push and lock._ld_node not in self.handoff and not self.fast_acquire(lock, frame):
                self.acquire(lock, frame)
        except BaseException:
            if got[0]:
                if any(h.lock is lock for h in ts.held):
                    self.validator._remove_held(ts, lock)
                    if self.trace is not None:
                        self.trace.write(op="release", task=ts.name, lock=self.lock_id(lock))
                lock._block.release()
            raise
        return True

    def _hold(self, ts: ThreadState, lock: Any) -> None:
        """A lock of a hand-off class is taken: remember under which lock class (the innermost
        the taker holds), since a release ends that hold."""
        self.holds[id(lock)] = (ts.held[-1].node if ts.held else -1, self.window_start())

    def _release_event(self, lock: Any, hold: tuple[int, int] | None) -> str:
        """The event a waiter for ``lock`` waits for: the end of its current ``hold`` (see
        ``holds``).  Holds taken under different locks end in different events: a readers-writer
        lock's readers' group (taken and released under the readers' lock) is not the writer
        (alone), so a reader that waits for the writer under the readers' lock waits for no
        release that needs it."""
        g = self.validator.graph
        name = f"(release){g.name(lock._ld_node)}"
        return name if hold is None or hold[0] < 0 else f"{name} taken under {g.name(hold[0])}"

    def _wait_release(self, ts: ThreadState, lock: Any, frame: FrameType) -> bool:
        """A lock of a hand-off class is taken: wait for its release, the cross-release way."""
        w = self.lock_waits.get(id(lock))
        if w is None:
            w = self.lock_waits[id(lock)] = [0, self.window_start()]
        w[0] += 1
        try:
            self.wait(ts, self._release_event(lock, self.holds.get(id(lock))), frame)
            self._take(ts, lock, frame, push=False)
            self._hold(ts, lock)
        finally:
            w[0] -= 1
            if not w[0]:
                self.lock_waits.pop(id(lock), None)
        return True

    def _self_wait(self, ts: ThreadState, lock: Any, frame: FrameType) -> bool:
        """A thread waits for a Lock it holds itself: fine if another thread releases it (a
        hand-off, and from then on the class has no owner); a self-deadlock if nobody does."""
        if lock._block.acquire(True, self.self_wait_grace):
            return True
        nid = lock._ld_node
        if nid not in self.handoff:
            held = next((h for h in ts.held if h.lock is lock), None)
            if held is not None:
                f = _outside_wrappers(frame)
                attempt = HeldLock(lock, nid, 0, False, ts.ctx, (f.f_code, f.f_lasti), None, 0, self.validator.seq)
                self.validator.self_deadlock(ts, attempt, held)
        return self._take(ts, lock, frame, push=False)  # from here on the hang watchdog watches it too

    def make_handoff(self, nid: int) -> None:
        """A lock of class ``nid`` was released by a thread that did not take it: the class
        is a signalling device, not a lock with an owner.  Its instances leave every held
        stack and the order learned for it is forgotten."""
        if nid in self.handoff:
            return
        self.validator.make_unowned(nid)  # (threads and asyncio tasks are the validator's tasks)
        self.next_keys.pop(nid, None)  # (after the usage: see cached_key)
        for key, (_, h, _lock) in list(self.orphans.items()):
            if h.node == nid:
                self.orphans.pop(key, None)

    def report_orphans(self) -> None:
        """At process exit: plain locks still held by threads that ended, released by nobody."""
        self.checkpoint(final=True)
        for name, h, _lock in list(self.orphans.values()):
            if h.node not in self.handoff:
                self.validator.held_at_exit(name, [h])
        self.orphans.clear()

    def _subclass_node(self, nid: int, subclass: int) -> int:
        g = self.validator.graph
        base = g.name(nid)
        return g.node(f"{base}/{subclass}", g.nodes[nid].kind)

    def _trace_acquire(self, ts: ThreadState, lock: Any, site: Any, trylock: bool, subclass: int, ctx: int,
                       private: bool) -> None:
        """Record an acquisition with the judgements the live run made (see docs/trace-format.md,
        "Recorded Python traces"), so that replaying the trace gives the live run's findings."""
        tr = self.trace
        assert tr is not None
        lid = self.lock_id(lock)
        node = self.validator.graph.nodes[lock._ld_node]
        if lid not in tr.declared:
            tr.declared.add(lid)
            init: dict[str, Any] = {"op": "lock_init", "lock": lid, "class": node.name, "kind": node.kind,
                                    "site": self.validator.class_sites.get(node.name, "?")}
            if node.instance_order:
                init["order"] = "instance"
            if node.family != node.id:
                init["family"] = self.validator.graph.name(node.family)
            tr.write(**init)
        ev: dict[str, Any] = {"op": "acquire", "task": ts.name, "lock": lid, "site": sites.site_str(site)}
        if trylock:
            ev["try"] = True
        if subclass:
            ev["subclass"] = subclass
        if ctx == HANDLER_CTX:
            ev["context"] = "handler"
        if private:
            ev["private"] = True
        tr.write(**ev)

    def _handed_off(self, task: str, lock: Any) -> None:
        """``task`` released a hold that was not its own: the lock's class has no owner."""
        self.make_handoff(lock._ld_node)
        if self.trace is not None:
            self.trace.write(op="release", task=task, lock=self.lock_id(lock), handoff=True)

    def release(self, lock: Any, ts: ThreadState | None = None) -> None:
        """Release by the caller; a plain lock released by another thread is a hand-off:
        it leaves its owner's stack without a finding."""
        if ts is None:
            ts = self.threads.get(get_ident()) or self.thread()
        nid = lock._ld_node
        if nid in self.handoff:
            w = self.lock_waits.get(id(lock))
            hold = self.holds.pop(id(lock), None)
            if w is not None:  # someone waits: what the holder did meanwhile comes before the release
                # (since it took the lock: what it did before, its own wait for it included, is no
                # part of the hold this release ends)
                self.signal(ts, self._release_event(lock, hold), since=max(w[1], hold[1]) if hold else w[1],
                            frame=sys._getframe(1))
            return
        held = ts.held
        if held and held[-1].lock is lock:
            if self.trace is not None:  # first: an interrupt in the writing leaves the trace consistent
                self.trace.write(op="release", task=ts.name, lock=self.lock_id(lock))
            h = held.pop()
            h.refs = 0
            h.lock = weak(lock)
            return
        if any(h.lock is lock for h in held):
            if self._group_released(held, lock):
                self._handed_off(ts.name, lock)  # a readers' group hold, released under its guard
                return
            self.validator._remove_held(ts, lock)
        else:
            for other in [*self.threads.values(), *self.async_tasks.values()]:
                if any(h.lock is lock for h in other.held):
                    if other.ident >= 0 and ts.ident >= 0 and not getattr(lock, "_ld_owner_bound", False):
                        self._handed_off(ts.name, lock)  # released by a thread that did not take it
                        return
                    ts = other
                    self.validator._remove_held(other, lock)
                    break
            else:
                if self.orphans.pop(id(lock), None) is not None and not getattr(lock, "_ld_owner_bound", False):
                    self._handed_off(ts.name, lock)  # taken by a thread that ended, released by another
                return  # or acquired before lockdep was enabled
        if self.trace is not None:
            self.trace.write(op="release", task=ts.name, lock=self.lock_id(lock))

    def _group_released(self, held: list[HeldLock], lock: Any) -> bool:
        """A plain lock released out of stack order.  Either it is the guard of holds taken
        under it (they outlive it: noted in ``escapes``), or it is such a hold, released back
        under the very guard it was taken under: the shape of a readers' group lock (the
        "lightswitch": the first reader takes it under the readers' lock, the last one releases
        it under the readers' lock, a counter deciding which).  That lock has no owner but a
        group, whichever thread the group's last member runs in: its class is a hand-off class
        (True), with no held-stack order.  Seen in one thread, the order "group lock -> readers'
        lock" of the release meets "readers' lock -> group lock" of the first reader, a cycle
        the counter makes impossible."""
        i = next(i for i in range(len(held) - 1, -1, -1) if held[i].lock is lock)
        h = held[i]
        e = self.escapes.pop(id(lock), None)
        if e is not None and e[0] == h.seq and any(id(a.lock) in e[1] for a in held[i + 1:]) \
                and self.validator.graph.nodes[h.node].kind == "mutex" \
                and not getattr(lock, "_ld_owner_bound", False):
            return True
        if len(self.escapes) > 4096:  # (a hold released in order leaves its entry: forget those now)
            self._open_group_holds()
        for a in held[i + 1:]:
            if a.lock is not lock and not getattr(a.lock, "_ld_owner_bound", False):
                g = self.escapes.get(id(a.lock))
                if g is None or g[0] != a.seq:
                    g = self.escapes[id(a.lock)] = (a.seq, set())
                g[1].add(id(lock))
        return False

    # ---------------------------------------------------------- waits
    def wait(self, ts: ThreadState, event: str, frame: FrameType | None) -> None:
        """``ts`` blocks until ``event``: every lock it holds comes before the event."""
        if frame is not None and _WRAPPER_FILES.get(frame.f_code.co_filename, True):
            frame = _outside_wrappers(frame)
        site = (frame.f_code, frame.f_lasti) if frame is not None else None
        self._wait(ts, event, site)

    def _wait(self, ts: ThreadState, event: str, site: Any) -> None:
        if self.trace is not None:
            self.trace.write(op="wait", task=ts.name, event=event, site=sites.site_str(site) if site else "?")
        self.validator.wait(ts.name, event, site)

    def begin(self, ts: ThreadState, event: str) -> None:
        if self.trace is not None:
            self.trace.write(op="begin", task=ts.name, event=event)
        self.validator.begin(ts.name, event)

    def window_start(self) -> tuple[int, int]:
        """Where a window that opens now starts: the validator's seq of the next event (the latest
        one, with the current seq, came before it) and the line of the next event of the trace."""
        return self.validator.seq + 1, (self.trace.lines + 1 if self.trace is not None else 0)

    def signal(self, ts: ThreadState, event: str, since: tuple[int, int] | None = None, exclude: Any = None,
               frame: FrameType | None = None) -> None:
        """``event`` happens; ``since`` (a ``window_start``) opens its window explicitly."""
        site = None
        if frame is not None:
            f = _outside_wrappers(frame)
            site = (f.f_code, f.f_lasti)
        if self.trace is not None:
            ev: dict[str, Any] = {"op": "signal", "task": ts.name, "event": event}
            if site is not None:
                ev["site"] = sites.site_str(site)
            if exclude is not None:
                ev["exclude"] = self.lock_id(exclude)
            if since is not None and since[1]:
                ev["after"] = since[1]
            self.trace.write(**ev)
        self.validator.signal(ts.name, event, site, since=since[0] if since is not None else None, exclude=exclude)

    # ----------------------------------------------------------- fork
    def _drop_dead_holds(self, ts: ThreadState) -> None:
        """Locks the thread holds that only lockdep's records keep alive (dropped while held, as
        ``lock.acquire(); del lock``): nobody can take them again, so nothing is ordered after them.
        A new chain looks (references are exact: a frame's locals count)."""
        for dead in [x for x in ts.held if getrefcount(x.lock) <= 2]:
            if self._group_hold(dead):  # a group hold never released (``checkpoint``)
                self._handed_off(ts.name, dead.lock)
                continue
            self.validator._remove_held(ts, dead.lock)
            if self.trace is not None:
                self.trace.write(op="release", task=ts.name, lock=self.lock_id(dead.lock))

    def _drop_unreachable_holds(self, ts: ThreadState) -> None:
        """Before a fork: a lock another thread holds that the program can no longer reach (dropped
        while held, as ``lock.acquire(); del lock``) can block nobody, in the child least of all.
        Only lockdep's own records keep it alive: it leaves the held stacks."""
        held = [(other, h) for other in list(self.validator.tasks.values()) if other is not ts for h in other.held]
        if not held:
            return
        import gc

        gc.collect()  # (a dropped object that refers to its lock in a cycle is garbage, not a referrer)
        ours = {id(o) for o in self.orphans.values()}
        for other, h in held:
            if not any(type(r) is not HeldLock and id(r) not in ours
                       and not (type(r) is FrameType and sites.is_ours(r.f_code.co_filename))
                       for r in gc.get_referrers(h.lock)):
                self.validator._remove_held(other, h.lock)
                if self.trace is not None:
                    self.trace.write(op="release", task=other.name, lock=self.lock_id(h.lock))

    def reinit(self, lock: Any) -> None:
        """``lock._at_fork_reinit()``: the lock is a new, unlocked one (the stdlib resets its locks so
        in a forked child, ``os.register_at_fork(after_in_child=lock._at_fork_reinit)``): no thread
        holds it any more."""
        for ts in list(self.validator.tasks.values()):
            if any(h.lock is lock for h in ts.held):
                self.validator._remove_held(ts, lock)
                if self.trace is not None:
                    self.trace.write(op="release", task=ts.name, lock=self.lock_id(lock))
        for table in (self.orphans, self.holds, self.lock_waits):
            table.pop(id(lock), None)

    def before_fork(self, frame: FrameType | None) -> None:
        """Report locks other threads hold, then hold lockdep's own locks across the
        fork (as CPython does for its internal locks), so the child never inherits
        one locked by a thread that does not exist there."""
        ts = self.thread()
        site = (frame.f_code, frame.f_lasti) if frame is not None else None
        self._drop_unreachable_holds(ts)
        if self.trace is not None:
            self.trace.write(op="fork", task=ts.name)
        self.validator.fork(ts.name, site)
        held = [self.validator.graph_lock, self.names_lock] + ([self.trace.lock] if self.trace is not None else [])
        for lock in held:
            lock.acquire()
        self._fork_held = held

    def after_fork_parent(self) -> None:
        held, self._fork_held = self._fork_held, []
        for lock in reversed(held):
            lock.release()

    def after_fork_child(self) -> None:
        """Only the forking thread survives in the child (threading's _after_fork)."""
        self._fork_held = []
        self.validator.graph_lock = _thread.RLock()
        self.names_lock = _thread.RLock()
        if self.trace is not None:
            self.trace.lock = _thread.RLock()
        me = get_ident()
        for ident, ts in list(self.threads.items()):
            if ident != me:
                ts.held.clear()
                self.threads.pop(ident, None)
                self.validator.tasks.pop(ts.name, None)
        self.threads_changed()


#: file name of code that took a lock -> whether it is a stdlib wrapper (Condition, Queue...):
#: keyed by file, not by code object, whose hash is recomputed on every look-up
_WRAPPER_FILES: dict[str, bool] = {}


def _nothing() -> None:
    pass


def _distinct(name: str, taken: Any) -> str:
    """``name``, or ``name#2``, ``name#3``... if taken: two creation sites with one name
    stay two classes, like the kernel's ``name#N``."""
    base, n = name, 1
    while name in taken:
        n += 1
        name = f"{base}#{n}"
    return name


def _made_by_thread_init(frame: FrameType | None) -> bool:
    """Created by ``threading.Thread.__init__`` (through the stdlib's Event and Condition)."""
    f = frame
    while f is not None and sites.is_wrapper(f.f_code.co_filename):
        if f.f_code.co_qualname == "Thread.__init__":
            return True
        f = f.f_back
    return False


def _under_construction(lock: Any, born: tuple, frame: FrameType | None) -> bool:
    """``lock`` was created in an ``__init__`` (``born``: its code and thread): is that ``__init__``
    still running on this thread, for the object that holds the lock?  Then nobody else can know
    the lock yet: a lock taken by its owner's constructor (which may log, or build other objects
    under it) can be part of no deadlock."""
    code, ident = born
    if ident != get_ident():
        return False
    f, depth = frame, 0
    while f is not None and depth < 32:
        if f.f_code is code:
            attrs = getattr(f.f_locals.get("self"), "__dict__", None)
            return type(attrs) is dict and any(v is lock or getattr(v, "_lock", None) is lock
                                               for v in attrs.values())
        f, depth = f.f_back, depth + 1
    return False


def _outside_wrappers(frame: FrameType) -> FrameType:
    f: FrameType | None = frame
    while f is not None and (sites.is_wrapper(f.f_code.co_filename) or sites.is_ours(f.f_code.co_filename)):
        f = f.f_back
    return f if f is not None else frame
