"""Install and remove the instrumentation: rebinds the ``threading`` factories
and wraps the waits that are not conditions (``Thread.join``, futures).

Originals are captured at import, so re-installing never wraps a wrapper.
"""

from __future__ import annotations

import _thread
import builtins
import contextlib
import gc
import os
import signal as _signal
import sys
import threading
import weakref
from typing import Any, Callable, Iterator

from ..engine.usage import HANDLER_CTX, PROCESS
from ..engine.graph import Node
from ..engine.task import HeldLock
from ..engine.usage import MASK_TABLE
from . import on_import, primitives, sites, watchdog
from .state import _WRAPPER_FILES, QUIET_IMPORTS, Runtime, ThreadState

_LOCKDEP_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep

_getframe = sys._getframe

ORIGINALS: dict[tuple[Any, str], Any] = {}
for _owner, _name in ((threading, "Lock"), (threading, "RLock"), (threading, "Condition"),
                      (threading.Thread, "__init__"), (threading.Thread, "_bootstrap_inner"), (threading.Thread, "join"),
                      (_signal, "signal"), (_signal, "getsignal"), (builtins, "__build_class__"),
                      (threading.Semaphore, "__init__"), (threading.Semaphore, "acquire"),
                      (threading.Semaphore, "__enter__"), (threading.Semaphore, "release"),
                      (threading.BoundedSemaphore, "release"), (weakref, "ref"), (weakref.finalize, "__call__"),
                      (os, "register_at_fork"), (threading.Barrier, "__init__"), (threading.Barrier, "_release")):
    ORIGINALS[(_owner, _name)] = getattr(_owner, _name)


def _orig(owner: Any, name: str) -> Any:
    return ORIGINALS[(owner, name)]


# ------------------------------------------------------------------ threads
def thread_event(t: threading.Thread) -> str:
    return getattr(t, "_ld_event", None) or f"(thread){t.name}"


def _callable_name(fn: Any) -> str:
    return getattr(fn, "__qualname__", None) or getattr(type(fn), "__qualname__", "callable")


def _site_event(prefix: str, what: str, frame: Any) -> str:
    """An event keyed like a class: what runs, and the user line that made it (the line
    that created the thread, or that submitted the work item)."""
    _, _, site = sites.creation_key(sites.user_frame(frame))
    return f"({prefix}){what}@{site}"


def _thread_init(self: threading.Thread, *args: Any, **kwargs: Any) -> None:
    _orig(threading.Thread, "__init__")(self, *args, **kwargs)
    if primitives.current is not None:
        target = self._target if self._target is not None else type(self).run  # type: ignore[attr-defined]
        self._ld_event = _site_event("thread", _callable_name(target), _getframe(1))


def _bootstrap_inner(self: threading.Thread) -> None:
    rt = primitives.current
    ts = None
    if rt is not None:
        ts = rt.thread_named(self.name)
        ts.thread_event = thread_event(self)
    try:
        _orig(threading.Thread, "_bootstrap_inner")(self)
    finally:
        rt = primitives.current
        if rt is not None and ts is not None:
            rt.thread_exit(ts)


def _join(self: threading.Thread, timeout: float | None = None) -> None:
    rt = primitives.current
    if rt is None or timeout is not None or self is threading.current_thread() or not self._started.is_set():
        return _orig(threading.Thread, "join")(self, timeout)
    ts = rt.thread()
    rt.wait(ts, thread_event(self), _getframe(1))
    wd = watchdog.current
    if wd is None:
        return _orig(threading.Thread, "join")(self, timeout)
    w = wd.enter(ts, "thread", self, _getframe(1))
    try:  # in chunks if the watchdog may abort it
        join = _orig(threading.Thread, "join")
        join(self, wd.chunk)
        while self.is_alive():
            w.check()
            join(self, wd.chunk)
    finally:
        wd.leave(w)


# ------------------------------------------------------------------ futures
def _work_item_init(self: Any, future: Any, fn: Callable, args: Any, kwargs: Any) -> None:
    _orig(_cf_thread._WorkItem, "__init__")(self, future, fn, args, kwargs)
    if primitives.current is not None:
        future._ld_event = _site_event("future", _callable_name(fn), _getframe(1))


def _work_item_run(self: Any) -> None:
    rt = primitives.current
    if watchdog.current is not None:
        self.future._ld_worker = _thread.get_ident()  # who can complete it (the watchdog's wait-for graph)
    ev = getattr(self.future, "_ld_event", None)
    if rt is None or ev is None:
        return _orig(_cf_thread._WorkItem, "run")(self)
    ts = rt.thread()
    rt.begin(ts, ev)  # the window of a work item is its execution
    try:
        return _orig(_cf_thread._WorkItem, "run")(self)
    finally:
        rt.signal(ts, ev)


def _submit(self: Any, fn: Callable, /, *args: Any, **kwargs: Any) -> Any:
    f = _orig(_cf_thread.ThreadPoolExecutor, "submit")(self, fn, *args, **kwargs)
    if watchdog.current is not None:
        # while it is queued, the executor's workers can run it (weakly: a dropped executor's finalizer
        # is what stops its workers)
        f._ld_executor = weakref.ref(self)
    return f


def _watched(futures: Any, frame: Any) -> Any:
    """Register a wait for futures with the hang watchdog (their conditions' waits poll for aborts)."""
    wd = watchdog.current
    rt = primitives.current
    return wd.enter(rt.thread(), "future", list(futures), frame) if wd is not None and rt is not None else None


def _unwatched(w: Any) -> None:
    wd = watchdog.current
    if w is not None and wd is not None:
        wd.leave(w)


def _future_wait(futures: Any, frame: Any) -> None:
    rt = primitives.current
    if rt is None:
        return
    ts = rt.thread()
    for ev in dict.fromkeys(ev for f in futures if (ev := getattr(f, "_ld_event", None)) is not None):
        rt.wait(ts, ev, frame)


def _settled(future: Any) -> bool:
    """``result()`` / ``exception()`` of a done future that cannot block, whatever the timing: ``wait()`` or
    ``as_completed()`` gave it to the program as done, the calling thread holds its condition, so nothing
    can change its state (the stdlib's ``wait()`` asks its done futures so), or it runs one of the
    future's own done callbacks."""
    if getattr(future, "_state", None) not in _DONE_STATES:
        return False
    return getattr(future, "_ld_seen_done", False) or future._condition._is_owned() or _in_done_callback(future)


def _in_done_callback(future: Any, depth: int = 8) -> bool:
    """A done callback of ``future`` (run by ``set_result()`` and the like, or by ``add_done_callback()`` on a
    done future) is on the calling thread's stack, within ``depth`` frames."""
    f = _getframe(3)
    while f is not None and depth:
        if f.f_code in _CALLBACK_RUNNERS and f.f_locals.get("self") is future:
            return True
        f, depth = f.f_back, depth - 1
    return False


def _waited(method: str) -> Callable:
    def wrapper(self: Any, timeout: float | None = None) -> Any:
        if timeout is not None or _settled(self):
            return _orig(_cf_base.Future, method)(self, timeout)
        _future_wait([self], _getframe(1))
        w = _watched([self], _getframe(1))
        try:
            return _orig(_cf_base.Future, method)(self, timeout)
        finally:
            _unwatched(w)

    wrapper.__name__ = method
    return wrapper


def _wait(fs: Any, timeout: float | None = None, return_when: str = "ALL_COMPLETED") -> Any:
    fs = list(fs) if not isinstance(fs, (set, frozenset, list, tuple)) else fs
    if timeout is None:
        _future_wait(fs, _getframe(1))
    w = _watched(fs, _getframe(1)) if timeout is None else None
    try:
        result = _orig(_cf_base, "wait")(fs, timeout, return_when)
    finally:
        _unwatched(w)
    _seen_done(result.done)
    return result


def _as_completed(fs: Any, timeout: float | None = None) -> Any:
    fs = list(fs)
    if timeout is None:
        _future_wait(fs, _getframe(1))
    it = _orig(_cf_base, "as_completed")(fs, timeout)
    watched = timeout is None and watchdog.current is not None
    return _as_completed_steps(it, fs if watched else None, _getframe(1))


def _as_completed_steps(it: Any, fs: list | None, frame: Any) -> Any:
    """The futures ``as_completed`` yields, each seen done; with the hang watchdog (``fs``), each step is a
    wait for the futures not yet done.  Like the stdlib's generator, it keeps no reference to a future once
    yielded: the caller may rely on a dropped future being freed."""
    pending = dict.fromkeys(fs) if fs is not None else None
    del fs
    while True:
        w = _watched([f for f in pending if not f.done()] or list(pending), frame) if pending is not None else None
        try:
            yielded = [next(it)]
        except StopIteration:
            return
        finally:
            _unwatched(w)
            del w  # (the wait lists the futures it was for)
        if pending is not None:
            pending.pop(yielded[0], None)
        _seen_done(yielded)
        yield yielded.pop()


def _seen_done(futures: Any) -> None:
    """``wait()`` and ``as_completed()`` handed these futures to the program as done: asking for their
    results can never block, whenever it happens."""
    for f in futures:
        try:
            f._ld_seen_done = True
        except AttributeError:  # (a future type with slots)
            pass


# ------------------------------------------------------- interrupting contexts
def _in_handler(fn: Callable, *args: Any, observed: bool = False,
                carried: Callable[[], frozenset[int]] | None = None) -> Any:
    """``fn(*args)`` in the HANDLER context of the calling thread: it interrupts
    whatever the thread was doing (signal handlers, finalizers, gc and weakref callbacks).
    ``observed``: only when it does interrupt a critical section (the thread holds a lock
    now); ``carried``: the ids of what the callback carries for the dead object (its locks
    are the dead object's own: taking one interrupts nobody).  A weakref callback runs when its referent dies, and a thread inside the
    referent's own critical section still refers to it: judging every such callback as
    able to interrupt any holder of the lock it takes blames pools' finalizers falsely."""
    rt = primitives.current
    if rt is None:
        return fn(*args)
    ts = rt.thread()
    # (a weakref callback run by a collection outside any critical section is no interruption either,
    # nor one that lockdep's own bookkeeping set off: CPython takes and releases a lock atomically)
    inside = bool(ts.held) and not (observed and _set_off_by_lockdep())
    saved, saved_cb = ts.ctx, ts.callback
    # (what the callback carries is looked at only when it does interrupt a critical section)
    ts.ctx = HANDLER_CTX if inside or not observed else PROCESS
    ts.callback = ((carried() if carried is not None else frozenset()) or True) if observed and inside else False
    try:
        return fn(*args)
    finally:
        ts.ctx, ts.callback = saved, saved_cb


def _set_off_by_lockdep() -> bool:
    """The code a weakref callback interrupts (above ``_in_handler`` and its wrapper) is lockdep's."""
    try:
        return sys._getframe(3).f_code.co_filename.startswith(_LOCKDEP_DIR)
    except ValueError:
        return False


# ------------------------------------------------------------------ signals
_handlers: dict[int, Any] = {}


def _signal_signal(signalnum: int, handler: Any) -> Any:
    """Run Python signal handlers in the HANDLER context: a lock they share
    with normal code can self-deadlock when the signal interrupts its holder."""
    wrapped = handler
    if callable(handler) and primitives.current is not None:
        def wrapped(signum: int, frame: Any) -> Any:
            return _in_handler(handler, signum, frame)

        wrapped.__wrapped__ = handler  # type: ignore[attr-defined]
    previous = _orig(_signal, "signal")(signalnum, wrapped)
    _handlers[signalnum] = handler
    return getattr(previous, "__wrapped__", previous)


def _signal_getsignal(signalnum: int) -> Any:
    h = _orig(_signal, "getsignal")(signalnum)
    return getattr(h, "__wrapped__", h)


# --------------------------------------------------------------- semaphores
def _sem_init(self: Any, value: int = 1) -> None:
    """A semaphore created with one slot is a mutex in disguise: it is tracked like a
    lock (kind ``semaphore``: no owner, may be released by anyone).  Counting and
    signalling semaphores stay waits on their condition only."""
    _orig(threading.Semaphore, "__init__")(self, value)
    rt = primitives.current
    self._ld_node = rt.class_for(_getframe(1), "semaphore") if rt is not None and value == 1 else -1
    self._ld_entry = None
    self._ld_born = None


#: rounds of a barrier told apart; later rounds share the last one's event
BARRIER_ROUNDS = 16


def _barrier_event(base: str, n: int) -> str:
    return f"{base} round {n}" if n < BARRIER_ROUNDS else f"{base} round {BARRIER_ROUNDS}+"


def _barrier_init(self: Any, parties: int, action: Any = None, timeout: float | None = None) -> None:
    """A barrier's condition has one event per round.  A round is released by an arrival of
    that same round: holding a lock while waiting in round 1 and taking it before arriving in
    round 2 (loguru's sink, under its handler's lock in one thread per round) is no deadlock.
    Rounds count from the barrier's creation, so round N of every instance of a class is comparable."""
    _orig(threading.Barrier, "__init__")(self, parties, action, timeout)
    base = getattr(self._cond, "_ld_event", None)
    self._ld_round = (base, 1)
    if base is not None:
        self._cond._ld_event = _barrier_event(base, 1)


def _barrier_release(self: Any) -> None:
    """The last arrival releases the round (its notification is of this round), then the
    next round's event begins; the caller holds the barrier's condition."""
    try:
        _orig(threading.Barrier, "_release")(self)
    finally:
        base, n = getattr(self, "_ld_round", (None, 0))
        self._ld_round = (base, n + 1)
        if base is not None:
            self._cond._ld_event = _barrier_event(base, n + 1)


def _sem_acquire(self: Any, blocking: bool = True, timeout: float | None = None) -> bool:
    rt = primitives.current
    if rt is None or getattr(self, "_ld_node", -1) < 0:
        return _orig(threading.Semaphore, "acquire")(self, blocking, timeout)
    frame = _getframe(1)
    if blocking and timeout is None:
        if not _orig(threading.Semaphore, "acquire")(self, False):
            rt.acquire(self, frame, push=False)  # validated before it blocks, held once owned
            _orig(threading.Semaphore, "acquire")(self, blocking, timeout)
        rt.acquire(self, frame)
        return True
    if _orig(threading.Semaphore, "acquire")(self, blocking, timeout):
        rt.acquire(self, frame, trylock=True)
        return True
    return False


def _sem_release(self: Any, n: int = 1) -> None:
    _orig(type(self) if type(self) in (threading.Semaphore, threading.BoundedSemaphore) else threading.Semaphore,
          "release")(self, n)
    rt = primitives.current
    if rt is not None and getattr(self, "_ld_node", -1) >= 0:
        rt.release(self)


# ------------------------------------------------------------------ asyncio
def _alock_init(self: Any, *args: Any, **kwargs: Any) -> None:
    _orig(asyncio.Lock, "__init__")(self, *args, **kwargs)
    rt = primitives.current
    self._ld_node = rt.class_for(_getframe(1), "mutex") if rt is not None else -1


async def _alock_acquire(self: Any) -> bool:
    """``asyncio.Lock``: each task has its own held stack; validated before waiting."""
    rt = primitives.current
    task = asyncio.current_task() if rt is not None and getattr(self, "_ld_node", -1) >= 0 else None
    if task is None:
        return await _orig(asyncio.Lock, "acquire")(self)
    ts = rt.task_state(task)  # type: ignore[union-attr]
    rt.acquire(self, _getframe(1), ts=ts)  # type: ignore[union-attr]
    try:
        return await _orig(asyncio.Lock, "acquire")(self)
    except BaseException:
        rt.release(self, ts)  # type: ignore[union-attr]
        raise


def _alock_release(self: Any) -> None:
    _orig(asyncio.Lock, "release")(self)
    rt = primitives.current
    if rt is not None and getattr(self, "_ld_node", -1) >= 0:
        task = asyncio.current_task()
        rt.release(self, rt.task_state(task) if task is not None else None)


# --------------------------------------------------------------- finalizers
def _called_by_name(frame: Any) -> bool:
    """The frame's current line calls ``__del__`` itself (a finalizer run by the collector or by
    a reference count interrupts a line that says nothing of it)."""
    if "__del__" not in frame.f_code.co_names:  # (the code never names it: no source to read)
        return False
    import linecache

    return "__del__(" in linecache.getline(frame.f_code.co_filename, frame.f_lineno or 0)


def _finalizer(del_fn: Callable) -> Callable:
    """``__del__`` runs whenever the last reference goes, interrupting whatever the
    thread was doing: it runs in the HANDLER context, like a signal handler."""
    def __del__(self: Any) -> Any:
        caller = sys._getframe(0).f_back  # None when the interpreter runs it with no Python frame
        if caller is not None and _called_by_name(caller):
            return del_fn(self)  # `obj.__del__()` written in the code (a test, a close()): no interruption
        return _in_handler(del_fn, self)

    __del__.__wrapped__ = del_fn  # type: ignore[attr-defined]
    __del__.__qualname__ = getattr(del_fn, "__qualname__", "__del__")
    return __del__


def _wrap_finalizer(cls: Any) -> None:
    fn = cls.__dict__.get("__del__") if isinstance(cls, type) else None
    if fn is None or not callable(fn) or hasattr(fn, "__wrapped__") or not hasattr(fn, "__code__"):
        return
    try:
        setattr(cls, "__del__", _finalizer(fn))
    except (TypeError, AttributeError):
        pass  # a C type or a class that refuses new attributes


def _build_class(func: Any, name: str, *bases: Any, **kwargs: Any) -> Any:
    cls = _orig(builtins, "__build_class__")(func, name, *bases, **kwargs)
    _wrap_finalizer(cls)
    return cls


def _wrap_existing_finalizers() -> None:
    seen: set[int] = set()
    stack = list(type.__subclasses__(object))
    while stack:
        cls = stack.pop()
        if id(cls) in seen:
            continue
        seen.add(id(cls))
        _wrap_finalizer(cls)
        try:
            stack.extend(cls.__subclasses__())
        except TypeError:
            continue


# ------------------------------------------------------ gc and weakref callbacks
_gc_saved: list[Any] = []  # [thread state, its context] while a collection runs


def _gc_enter(phase: str, info: Any) -> None:
    """First of ``gc.callbacks``: a collection interrupts whatever the thread was doing, so
    from "start" to "stop" (user callbacks, weakref callbacks, finalizers of cyclic
    garbage) the thread is in the HANDLER context.  gc walks the live list: keeping
    this hook first and ``_gc_leave`` last here covers callbacks added since."""
    callbacks = gc.callbacks
    if callbacks[0] is not _gc_enter:
        callbacks.remove(_gc_enter)
        callbacks.insert(0, _gc_enter)
    if callbacks[-1] is not _gc_leave:
        if _gc_leave in callbacks:
            callbacks.remove(_gc_leave)
        callbacks.append(_gc_leave)
    rt = primitives.current
    if phase == "start" and rt is not None:
        if _gc_saved:  # a "stop" that never reached _gc_leave
            _gc_leave("stop", info)
        ts = rt.thread()
        _gc_saved[:] = [ts, ts.ctx]
        ts.ctx = HANDLER_CTX


def _gc_leave(phase: str, info: Any) -> None:
    """Last of ``gc.callbacks``: the collection is over, the thread resumes its context."""
    if phase == "stop" and _gc_saved:
        ts, ctx = _gc_saved
        _gc_saved.clear()
        ts.ctx = ctx


def _install_gc_hooks() -> None:
    _remove_gc_hooks()
    gc.callbacks.insert(0, _gc_enter)
    gc.callbacks.append(_gc_leave)


def _remove_gc_hooks() -> None:
    for hook in (_gc_enter, _gc_leave):
        while hook in gc.callbacks:
            gc.callbacks.remove(hook)
    if _gc_saved:
        _gc_leave("stop", None)


def _finalize_call(self: Any, _: Any = None) -> Any:
    """``weakref.finalize``: called by the weakref machinery (with the dead reference)
    when its object goes, it interrupts the thread like ``__del__``; an explicit
    ``f()`` (or the one at exit) runs in the caller's context."""
    call = _orig(weakref.finalize, "__call__")
    if _ is None:
        return call(self)
    info = self._registry.get(self)
    carried = (lambda: _carried(info.func, info.args, info.kwargs)) if info is not None else None
    return _in_handler(call, self, _, observed=True, carried=carried)


def _carried(func: Any, args: tuple = (), kwargs: dict | None = None) -> frozenset[int]:
    """The objects a weakref callback carries for the object that died (its arguments, default
    values and closure; and their attributes): a lock among them is the dead object's own
    (a pool's queue mutex, an executor's shutdown lock).  A bound method's object is not
    looked into: a registry that unregisters the dead object shares its lock with everyone."""
    things = [*args, *(kwargs or {}).values(), *(getattr(func, "__defaults__", None) or ()),
              *(getattr(func, "__kwdefaults__", None) or {}).values()]
    for cell in getattr(func, "__closure__", None) or ():
        try:
            things.append(cell.cell_contents)
        except ValueError:  # an empty cell
            pass
    ids = set()
    for x in things:
        ids.add(id(x))
        attrs = getattr(x, "__dict__", None)
        if type(attrs) is dict:
            ids.update(id(v) for v in attrs.values())
    return frozenset(ids)


def _handler_callback(callback: Callable) -> Callable:
    def in_handler(ref: Any) -> Any:
        return _in_handler(callback, ref, observed=True, carried=lambda: _carried(callback))

    in_handler.__wrapped__ = callback  # type: ignore[attr-defined]
    return in_handler


_Ref = _orig(weakref, "ref")


class _RefType(type):
    """Metaclass of the stand-in for ``weakref.ref``: a reference of the C type is an
    instance of it, and as a dict key it is the C type, so ``isinstance()`` checks and
    dispatch tables (``copy``, ``singledispatch``) keep working."""

    def __instancecheck__(cls, obj: Any) -> bool:
        return isinstance(obj, _Ref) if cls is _HandlerRef else type.__instancecheck__(cls, obj)

    def __subclasscheck__(cls, sub: Any) -> bool:
        return issubclass(sub, _Ref) if cls is _HandlerRef else type.__subclasscheck__(cls, sub)

    def __eq__(cls, other: Any) -> bool:
        return cls is other or cls is _HandlerRef and other is _Ref

    def __hash__(cls) -> int:
        return hash(_Ref) if cls is _HandlerRef else type.__hash__(cls)


class _HandlerRef(_Ref, metaclass=_RefType):
    """``weakref.ref`` whose callback runs in the HANDLER context: it is called when the
    object goes, wherever the thread is.  ``weakref.ref(obj, cb)`` returns a reference of
    the C type (with the wrapped callback: its ``__callback__`` is the wrapper, whose
    ``__wrapped__`` is ``cb``); subclasses made from it stay subclasses."""

    __slots__ = ()
    __module__ = "weakref"
    __qualname__ = "ReferenceType"

    def __new__(cls, ob: Any, callback: Any = None, /, *args: Any, **kwargs: Any) -> Any:
        if callback is not None and not isinstance(callback, weakref.finalize):  # finalize: _finalize_call
            callback = _handler_callback(callback)
        if cls is _HandlerRef:
            return _Ref(ob, callback, *args, **kwargs)
        return _Ref.__new__(cls, ob, callback, *args, **kwargs)


# --------------------------------------------------------------------- fork
_fork_hooks_registered = False


def _register_at_fork(*, before: Any = None, after_in_parent: Any = None, after_in_child: Any = None) -> None:
    """A ``before`` hook that takes every lock of a registry, so that the child gets them unlocked
    (loguru's), takes them in the order the registry happens to iterate: no lock order among them.
    Its acquisitions are trylocks: each orders nothing before it (as a blocking acquisition that
    cannot be part of a cycle of the hook's own making)."""
    if before is not None:
        hook = before

        def before() -> Any:
            rt = primitives.current
            ts = rt.thread() if rt is not None else None
            if ts is None or ts.fork_hook:
                return hook()
            ts.fork_hook = True
            try:
                return hook()
            finally:
                ts.fork_hook = False

    kwargs = {k: v for k, v in (("before", before), ("after_in_parent", after_in_parent),
                                 ("after_in_child", after_in_child)) if v is not None}
    _orig(os, "register_at_fork")(**kwargs)


def _caller() -> Any:
    """The frame that called os.fork() (absent when fork is called from C)."""
    try:
        return _getframe(2)
    except ValueError:
        return None


def _before_fork() -> None:
    rt = primitives.current
    if rt is not None:
        rt.before_fork(_caller())


def _after_fork_parent() -> None:
    rt = primitives.current
    if rt is not None:
        rt.after_fork_parent()


def _after_fork_child() -> None:
    rt = primitives.current
    if rt is not None:
        rt.after_fork_child()


# ------------------------------------------------------------------ install
PATCHES: dict[tuple[Any, str], Any] = {
    (threading, "Lock"): primitives.allocate_lock,
    (threading, "RLock"): primitives.RLock,
    (threading, "Condition"): primitives.Condition,
    (threading.Thread, "__init__"): _thread_init,
    (threading.Thread, "_bootstrap_inner"): _bootstrap_inner,
    (threading.Thread, "join"): _join,
    (_signal, "signal"): _signal_signal,
    (os, "register_at_fork"): _register_at_fork,
    (_signal, "getsignal"): _signal_getsignal,
    (builtins, "__build_class__"): _build_class,
    (threading.Semaphore, "__init__"): _sem_init,
    (threading.Semaphore, "acquire"): _sem_acquire,
    (threading.Semaphore, "__enter__"): _sem_acquire,
    (threading.Semaphore, "release"): _sem_release,
    (threading.BoundedSemaphore, "release"): _sem_release,
    (threading.Barrier, "__init__"): _barrier_init,
    (threading.Barrier, "_release"): _barrier_release,
    (weakref, "ref"): _HandlerRef,
    (weakref.finalize, "__call__"): _finalize_call,
}


# ------------------------------------------- modules a program may never import
# Patched when the program imports them (at once if it already has), not imported here:
# at start-up asyncio would cost about 20 ms, concurrent.futures (with logging) about 4 ms.
# They are imported quietly, as they were when lockdep imported them before it started:
# their module-level locks (and logging's) are the standard library's own, not checked.
asyncio: Any = None
_cf: Any = None
_cf_base: Any = None
_DONE_STATES = ("CANCELLED", "CANCELLED_AND_NOTIFIED", "FINISHED")
_CALLBACK_RUNNERS: frozenset = frozenset()  # the code of Future._invoke_callbacks and add_done_callback
_cf_thread: Any = None


def _asyncio_imported(module: Any) -> None:
    global asyncio
    asyncio = module
    _patch_later({(module.Lock, "__init__"): _alock_init, (module.Lock, "acquire"): _alock_acquire,
                  (module.Lock, "release"): _alock_release})


def _futures_imported(module: Any) -> None:  # concurrent.futures, with its _base
    global _cf, _cf_base, _CALLBACK_RUNNERS
    _cf, _cf_base = module, module._base
    _CALLBACK_RUNNERS = frozenset({_cf_base.Future._invoke_callbacks.__code__,
                                   _cf_base.Future.add_done_callback.__code__})
    _patch_later({(_cf_base.Future, "result"): _waited("result"), (_cf_base.Future, "exception"): _waited("exception"),
                  (_cf_base, "wait"): _wait, (_cf_base, "as_completed"): _as_completed,
                  (_cf, "wait"): _wait, (_cf, "as_completed"): _as_completed})


def _futures_thread_imported(module: Any) -> None:
    global _cf_thread
    _cf_thread = module
    _patch_later({(module._WorkItem, "__init__"): _work_item_init, (module._WorkItem, "run"): _work_item_run,
                  (module.ThreadPoolExecutor, "submit"): _submit})


def _patch_later(patches: dict[tuple[Any, str], Any]) -> None:
    """Patches of a module just imported: kept with the others, applied now if the runtime is on."""
    for (owner, name), new in patches.items():
        ORIGINALS[(owner, name)] = getattr(owner, name)
        PATCHES[(owner, name)] = new
        if primitives.current is not None:
            setattr(owner, name, new)


@contextlib.contextmanager
def _quietly() -> Iterator[None]:
    me = _thread.get_ident()
    QUIET_IMPORTS[me] = QUIET_IMPORTS.get(me, 0) + 1
    try:
        yield
    finally:
        QUIET_IMPORTS[me] -= 1
        if not QUIET_IMPORTS[me]:
            del QUIET_IMPORTS[me]


on_import.when_imported("asyncio", _asyncio_imported, _quietly)
on_import.when_imported("concurrent.futures", _futures_imported, _quietly)
on_import.when_imported("concurrent.futures.thread", _futures_thread_imported, _quietly)
on_import.when_imported("logging", lambda module: None, _quietly)


def _bind_c_core(rt: Runtime, core: Any) -> None:
    """Attach the C core to ``rt``: the chain cache becomes the C core's set of 64-bit keys
    (the engine adds to it on its slow path, the C fast path reads it), and the runtime tells
    the C core when its thread map changes (it caches each thread's state in a thread-local)."""
    v = rt.validator
    if not isinstance(v.chains, core.ChainSet):
        v.chains = core.ChainSet(v.chains)
        rt.fast_acquire, rt.cached_key = rt._make_fast_path()  # the Python fast path reads the same set
    try:
        core.bind(rt, v, rt.threads, v.chains, v.graph.nodes, _WRAPPER_FILES, HeldLock, ThreadState, Node,
                  MASK_TABLE[0], rt.trace is None, rt.handoff, watchdog)
    except RuntimeError:
        return  # a subinterpreter: the main interpreter owns the C core; locks here stay plain
    rt.threads_changed = core.threads_changed


def install(rt: Runtime) -> None:
    global _fork_hooks_registered
    primitives.bind(rt)
    if primitives._speedups is not None:
        _bind_c_core(rt, primitives._speedups)
    for (owner, name), new in PATCHES.items():
        setattr(owner, name, new)
    _wrap_existing_finalizers()
    _install_gc_hooks()
    if not _fork_hooks_registered and hasattr(os, "register_at_fork"):
        _orig(os, "register_at_fork")(before=_before_fork, after_in_parent=_after_fork_parent,
                            after_in_child=_after_fork_child)
        _fork_hooks_registered = True


def uninstall() -> None:
    primitives.bind(None)
    if primitives._speedups is not None:
        primitives._speedups.unbind()
    for (owner, name), orig in ORIGINALS.items():
        setattr(owner, name, orig)
    _remove_gc_hooks()
