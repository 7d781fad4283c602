"""The live runtime: one validator for the process, a task state per thread,
classes keyed by creation site, and the optional trace recorder.

The per-acquire path touches only the calling thread's own state and
read-only shared maps; the validator serialises its slow path itself.
"""

from __future__ import annotations

import _thread
import sys
from types import FrameType
from typing import IO, Any, Callable

from ..engine.findings import Finding
from ..engine.task import HeldLock, TaskState
from ..engine.usage import HANDLER_CTX, MASK_TABLE, PROCESS
from ..engine.validator import Validator
from . import sites

get_ident = _thread.get_ident
get_native_id = _thread.get_native_id


class ThreadState(TaskState):
    """A task state plus what the runtime needs per thread."""

    __slots__ = ("ctx", "ident", "thread_event")

    def __init__(self, name: str, seq: int, ident: int):
        super().__init__(name, seq)
        self.ctx = PROCESS
        self.ident = ident
        self.thread_event: str | None = None


class TraceWriter:
    """Writes the event stream in the trace format, one JSON object per line."""

    def __init__(self, f: IO[str]):
        import json

        self._dumps = json.dumps
        self.f = f
        self.lock = _thread.RLock()  # reentrant: held across fork() by the forking thread
        self.declared: set[int] = set()

    def write(self, **ev: Any) -> None:
        line = self._dumps(ev, separators=(",", ":")) + "\n"
        with self.lock:
            self.f.write(line)

    def close(self) -> None:
        with self.lock:
            self.f.close()


class Runtime:
    def __init__(self, on_finding: Callable[[Finding], None] | None = None, trace: IO[str] | None = None):
        self.validator = Validator(on_finding=on_finding, site_str=sites.site_str,
                                   current_stack=sites.current_stack)
        self.threads: dict[int, ThreadState] = {}
        self.exited: dict[int, tuple[str, int]] = {}  # ident -> name and native id of the thread that exited
        self.async_tasks: dict[int, ThreadState] = {}
        self.classes: dict[tuple, int] = {}  # creation key -> node id
        self.events: dict[tuple, str] = {}  # creation key -> event name
        self.event_names: set[str] = set()
        self.trace = TraceWriter(trace) if trace is not None else None
        self.waiting: dict[str, int] = {}  # event -> number of threads waiting on it now
        self.names_lock = _thread.RLock()
        self._serial = 0

        self.fast_acquire = self._make_fast_acquire()

    def _make_fast_acquire(self) -> Callable[[Any, FrameType], bool]:
        """The per-acquire fast path, with everything it touches bound to locals: a
        plain blocking acquisition in process context whose chain of held classes was
        validated before only pushes an entry (the kernel's chain-cache hit), reused
        per thread and lock; the lock's release pops it (primitives).  Anything else
        returns False and takes ``acquire``."""
        threads_get = self.threads.get
        v = self.validator
        chains = v.chains
        nodes = v.graph.nodes
        wrapper_code = _WRAPPER_CODE
        usage_needed = MASK_TABLE[0]  # process context, interrupts enabled, blocking, exclusive

        def fast_acquire(lock: Any, frame: FrameType) -> bool:
            ts = threads_get(get_ident())
            if ts is None or ts.ctx or self.trace is not None:
                return False
            nid = lock._ld_node
            if nodes[nid].usage & usage_needed != usage_needed:
                return False
            held = ts.held
            if held:
                top = held[-1]
                if top.ctx:
                    return False
                key = hash((top.chain_key, nid << 2))
            else:
                key = hash((-1, nid << 2))
            if key not in chains:
                return False
            code = frame.f_code
            if wrapper_code.get(code, True):
                return False
            v.seq += 1
            h = lock._ld_entry
            if h is not None and h.refs == 0 and h.owner is ts:
                # this thread's previous entry for the lock, off the stack: reuse it
                h.site = (code, frame.f_lasti)
                h.seq = v.seq
                h.node = nid
                h.refs = 1
            else:
                h = lock._ld_entry = HeldLock(lock, nid, 0, False, 0, (code, frame.f_lasti), None, 0, v.seq)
                h.owner = ts
            h.chain_key = key
            held.append(h)
            ts.last_acq[nid] = h
            return True

        return fast_acquire

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
        self.validator.tasks[name] = ts
        return ts

    def thread_exit(self, ts: ThreadState) -> None:
        """Signal the thread's exit event (for joiners) and retire its state."""
        if ts.thread_event is not None:
            self.signal(ts, ts.thread_event)
        # Plain locks still held may be handed to another thread: only owner-bound
        # (reentrant) locks held at exit are reported.
        ts.held[:] = [h for h in ts.held if getattr(h.lock, "_ld_owner_bound", False)]
        if self.trace:
            self.trace.write(op="task_exit", task=ts.name)
        self.validator.task_exit(ts.name)
        self.threads.pop(ts.ident, None)
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
        """Node id of the class of a primitive created in ``frame`` (keyed by creation site)."""
        f = sites.user_frame(frame)
        key, name, site = sites.creation_key(f)
        key = (kind, *key)
        nid = self.classes.get(key)
        if nid is not None:
            return nid
        return self._register(key, name, site, kind)

    def _register(self, key: tuple, name: str, site: str, kind: str) -> int:
        with self.names_lock:
            nid = self.classes.get(key)
            if nid is not None:
                return nid
            g = self.validator.graph
            name = _distinct(name, g.by_name)
            nid = g.node(name, kind)
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
                ts: ThreadState | None = None) -> Any:
        """The slow path of an acquisition by the calling thread (or by the asyncio task ``ts``)."""
        if ts is None:
            ts = self.threads.get(get_ident()) or self.thread()
        if frame is None:  # called from C with no Python frame
            frame = sys._getframe(1)
        ctx = ts.ctx  # HANDLER inside signal handlers and __del__ (wrapped in patch.py)
        nid = lock._ld_node if not subclass else self._subclass_node(lock._ld_node, subclass)
        code = frame.f_code
        inner = _WRAPPER_CODE.get(code)
        if inner is None:
            inner = _WRAPPER_CODE[code] = sites.is_wrapper(code.co_filename)
        if inner:  # taken by a stdlib primitive (Condition, Queue, ...): the site is its user
            frame = _outside_wrappers(frame)
            code = frame.f_code
        site = (code, frame.f_lasti)
        if self.trace is not None:
            self._trace_acquire(ts, lock, site, trylock, subclass, ctx)
        return self.validator.acquire_resolved(ts, lock, nid, 0, trylock, ctx, False, site)

    def _subclass_node(self, nid: int, subclass: int) -> int:
        g = self.validator.graph
        base = g.name(nid)
        return g.node(f"{base}/{subclass}", g.nodes[nid].kind)

    def _trace_acquire(self, ts: ThreadState, lock: Any, site: Any, trylock: bool, subclass: int, ctx: int) -> None:
        tr = self.trace
        assert tr is not None
        lid = self.lock_id(lock)
        node = self.validator.graph.nodes[lock._ld_node]
        if id(lock) not in tr.declared:
            tr.declared.add(id(lock))
            tr.write(op="lock_init", lock=lid, **{"class": node.name}, kind=node.kind,
                     site=self.validator.class_sites.get(node.name, "?"))
        ev: dict[str, Any] = {"op": "acquire", "task": ts.name, "lock": lid, "site": sites.site_str(site)}
        if trylock:
            ev["try"] = True
        if subclass:
            ev["subclass"] = subclass
        if ctx == HANDLER_CTX:
            ev["context"] = "handler"
        tr.write(**ev)

    def release(self, lock: Any, ts: ThreadState | None = None) -> None:
        """Release by the caller; a plain lock released by another thread is a hand-off:
        it leaves its owner's stack without a finding."""
        if ts is None:
            ts = self.threads.get(get_ident()) or self.thread()
        held = ts.held
        if held and held[-1].lock is lock:
            held.pop().refs = 0
        elif any(h.lock is lock for h in held):
            self.validator._remove_held(ts, lock)
        else:
            for other in [*self.threads.values(), *self.async_tasks.values()]:
                if any(h.lock is lock for h in other.held):
                    ts = other
                    self.validator._remove_held(other, lock)
                    break
            else:
                return  # acquired before lockdep was enabled
        if self.trace is not None:
            self.trace.write(op="release", task=ts.name, lock=self.lock_id(lock))

    # ---------------------------------------------------------- waits
    def wait(self, ts: ThreadState, event: str, frame: FrameType | None, open_windows: bool = True) -> None:
        """``ts`` blocks until ``event``.  With ``open_windows`` (conditions), the first waiter
        opens every other thread's window for the event: only what a signaller does after
        someone began to wait counts (the cross-release rule)."""
        if open_windows and not self.waiting.get(event):
            self.begin_all(event, ts)
        self.waiting[event] = self.waiting.get(event, 0) + 1
        if frame is not None and _WRAPPER_CODE.get(frame.f_code, True):
            frame = _outside_wrappers(frame)
        site = (frame.f_code, frame.f_lasti) if frame is not None else None
        self._wait(ts, event, site)

    def _wait(self, ts: ThreadState, event: str, site: Any) -> None:
        if self.trace is not None:
            self.trace.write(op="wait", task=ts.name, event=event, site=sites.site_str(site) if site else "?")
        self.validator.wait(ts.name, event, site)

    def wait_done(self, event: str) -> None:
        n = self.waiting.get(event, 0)
        if n > 1:
            self.waiting[event] = n - 1
        else:
            self.waiting.pop(event, None)

    def begin(self, ts: ThreadState, event: str) -> None:
        if self.trace is not None:
            self.trace.write(op="begin", task=ts.name, event=event)
        self.validator.begin(ts.name, event)

    def begin_all(self, event: str, waiter: ThreadState) -> None:
        """Cross-release: only what a signaller does after a waiter began waiting counts."""
        for ts in list(self.threads.values()):
            if ts is not waiter:
                self.begin(ts, event)

    def signal(self, ts: ThreadState, event: str) -> None:
        if self.trace is not None:
            self.trace.write(op="signal", task=ts.name, event=event)
        self.validator.signal(ts.name, event)

    # ----------------------------------------------------------- fork
    def before_fork(self, frame: FrameType | None) -> None:
        """Report locks other threads hold, then hold lockdep's own locks across the
        fork (as CPython does for its internal locks), so the child never inherits
        one locked by a thread that does not exist there."""
        ts = self.thread()
        site = (frame.f_code, frame.f_lasti) if frame is not None else None
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
        self.waiting.clear()


_WRAPPER_CODE: dict[Any, bool] = {}


def _distinct(name: str, taken: Any) -> str:
    """``name``, or ``name#2``, ``name#3``... if taken: two creation sites with one name
    stay two classes, like the kernel's ``name#N``."""
    base, n = name, 1
    while name in taken:
        n += 1
        name = f"{base}#{n}"
    return name


def _outside_wrappers(frame: FrameType) -> FrameType:
    f: FrameType | None = frame
    while f is not None and (sites.is_wrapper(f.f_code.co_filename) or sites.is_ours(f.f_code.co_filename)):
        f = f.f_back
    return f if f is not None else frame
