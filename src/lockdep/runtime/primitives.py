"""Instrumented ``Lock``, ``RLock`` and ``Condition``: same semantics as
CPython's (they pass ``test.lock_tests``), plus lock events for the validator.

A blocking acquisition is validated *before* it blocks, so a deadlock is
reported even if it then happens.  ``acquire(blocking=False)`` and
``acquire(timeout=...)`` cannot wait forever: they are recorded as trylocks
(held, but no dependency from the locks already held to them).
"""

from __future__ import annotations

import _thread
import os
import sys
import threading
import time
from typing import Any, Callable

from ..engine.task import HeldLock
from ..engine.task import Ref as _weak_ref  # (the C type: our locks always take weak references)
from . import state, watchdog

_allocate_lock = _thread.allocate_lock
_get_ident = _thread.get_ident
_CRLock = _thread.RLock
_getframe = sys._getframe
_sleep = time.sleep
_wrapper_files = state._WRAPPER_FILES
_OrigCondition = threading.Condition

#: the active runtime, or None: checked on every call
current: state.Runtime | None = None


def _load_speedups() -> Any:
    """The C fast path, unless LOCKDEP_CORE=python; LOCKDEP_CORE=c insists on it."""
    core = os.environ.get("LOCKDEP_CORE", "")
    if core == "python":
        return None
    try:
        from . import _speedups
    except ImportError as e:
        if core == "c" and "subinterpreter" not in str(e):  # subinterpreters get plain locks anyway
            raise ImportError(f"LOCKDEP_CORE=c but the C core cannot be loaded ({e}); "
                              "reinstall lockdep with a C compiler") from None
        return None
    return _speedups


_speedups = _load_speedups()
CORE = "c" if _speedups is not None else "python"


class _LockCommon:
    """What ``Lock`` and ``RLock`` share besides the acquire/release paths."""

    __slots__ = ()
    _ld_owner_bound = False
    _ld_kind = "mutex"

    def _ld_init(self, block: Any, frame: Any) -> None:
        self._block = block
        self._ld_id = None
        self._ld_entry = None
        self._ld_reentrant = self._ld_owner_bound
        # created in an __init__: private to its owner while that __init__ runs (state.acquire)
        self._ld_born = (frame.f_code, _get_ident()) if frame is not None and frame.f_code.co_name == "__init__" \
            else None
        rt = current
        self._ld_node = rt.class_for(frame, self._ld_kind) if rt is not None else -1

    def _at_fork_reinit(self) -> None:
        self._block._at_fork_reinit()
        rt = current
        if rt is not None:
            rt.reinit(self)


class _PyLockBase:
    """The acquire and release paths in Python (the C core, when built, replaces them).
    For a reentrant lock (``_ld_reentrant``) only the outermost acquisition and the
    final release are lock events.

    The chain-cache hit is written out in ``acquire`` and ``release`` (``__exit__`` repeats
    ``release``): every bytecode there is a share of every ``with lock:`` of the checked
    program.  It needs the calling thread's state (one thread-local read), the key the runtime
    cached for this class's chain on top of the thread's current one (``Runtime.next_keys``: no
    tuple hashed), and the lock's own entry from its last acquisition on this thread, off the
    stack, taken at the same site (or at another, outside the standard library's wrappers).
    Anything else takes ``_acquired``: the runtime's general fast path, else its slow path."""

    __slots__ = ("_block", "_ld_node", "_ld_id", "_ld_entry", "_ld_reentrant", "_ld_born", "__weakref__")

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        block = self._block
        if self._ld_reentrant and block._is_owned():  # re-entry by its owner: no lock event
            return block.acquire(blocking, timeout)
        if not blocking or timeout != -1:
            return _trylock(self, blocking, timeout, _getframe(1))
        # the hit path's checks come before the lock is taken: it is held only for the push
        try:
            ts = _tls.ts
            held = ts.held
            nexts = _next_keys[self._ld_node]
            # (not checked: the top entry's context; a chain key is never both a process-context
            # key and a handler's, as in the validator's own chain cache)
            key = nexts[held[-1].chain_key if held else -1]
            h = self._ld_entry
            # (an entry is only made for a lock no longer born private)
            hit = h.owner is ts and not h.refs and not ts.ctx
        except (AttributeError, KeyError):  # no runtime, a thread, chain or lock not seen yet
            hit = False
        if hit:
            frame = _getframe(1)
            code = frame.f_code
            lasti = frame.f_lasti
            site = h.site
            hit = site[0] is code and site[1] == lasti or _moved(h, code, lasti)
        # on the held stack only once owned: a contended acquire validates, blocks, then pushes
        if not block.acquire(False):
            # A Python-level __exit__ can give the GIL away while its lock is still held (a raw
            # lock's C `with` cannot); if the other threads then queue up on the lock, each release
            # hands it to a thread that still waits for the GIL while the releaser finds it taken
            # again: a convoy, every acquisition contended from then on (4 threads on one lock ran
            # 10-25x slower than raw).  One yield of the GIL first lets the holder release with
            # nobody queued.
            _sleep(0)
            if not block.acquire(False):
                if not _may_block(self):
                    return _contended(self, _getframe(1))
                block.acquire()  # (a cached chain: pushed as uncontended, once the lock is ours)
            hit = hit and _next_keys.get(self._ld_node) is nexts  # (not a hand-off class meanwhile)
        if hit:
            try:
                h.seq = _validator.seq = _validator.seq + 1
                h.refs = 1
                h.lock = self
                h.chain_key = key
                ts.last_acq[h.node] = h
                held.append(h)
            except BaseException:  # interrupted in the bookkeeping: the caller never got the lock
                block.release()
                raise
            return True
        return _acquired(self, _getframe(1))

    __enter__ = acquire

    def release(self) -> None:
        block = self._block
        block.release()
        if self._ld_reentrant and block._is_owned():
            return
        try:
            held = _tls.ts.held
        except AttributeError:
            pass
        else:
            # the entry this lock last pushed is on top of the caller's own stack (an entry is
            # only ever on its owner's)
            h = self._ld_entry
            if held and held[-1] is h:
                del held[-1]
                h.refs = 0
                h.lock = _weak_ref(self)  # (``engine.task.weak``)
                return
        rt = current
        if rt is not None and self._ld_node >= 0:
            rt.release(self)

    def __exit__(self, t: Any, v: Any, tb: Any) -> None:
        block = self._block
        block.release()
        if self._ld_reentrant and block._is_owned():
            return
        try:
            held = _tls.ts.held
        except AttributeError:
            pass
        else:
            h = self._ld_entry
            if held and held[-1] is h:
                del held[-1]
                h.refs = 0
                h.lock = _weak_ref(self)  # (``engine.task.weak``)
                return
        rt = current
        if rt is not None and self._ld_node >= 0:
            rt.release(self)


def _moved(h: HeldLock, code: Any, lasti: int) -> bool:
    """The lock of entry ``h`` is taken at another site than last time: the entry takes it,
    unless that is in a standard library wrapper (whose user is the site) or in a file not
    classified yet (``_acquired`` does both)."""
    if _wrapper_files.get(code.co_filename, True):
        return False
    h.site = (code, lasti)
    return True


def _acquired(lock: Any, frame: Any) -> bool:
    """``lock`` was taken (at once, or after blocking for a cached chain), and the hit path
    did not push it: the runtime's fast path, else its slow path.  A chain not seen before
    is validated before the lock is taken, as the kernel does: lockdep's slow path (reports,
    allocations, gc callbacks) never runs under it."""
    rt = current
    if rt is None or lock._ld_node < 0:
        return True
    ts = rt.threads.get(_get_ident())
    if ts is not None:
        _tls.ts = ts  # (the hit path's way to it, until the runtime's thread map changes)
    block = lock._block
    try:
        if rt.fast_acquire(lock, frame):
            return True
    except BaseException:  # interrupted in the bookkeeping: the caller never got the lock
        block.release()
        raise
    block.release()
    rt.acquire(lock, frame, push=False)
    if not block.acquire(False):
        return rt.acquire_blocking(lock, frame)
    try:
        if not rt.fast_acquire(lock, frame):
            rt.acquire(lock, frame)
    except BaseException:
        block.release()
        raise
    return True


def _may_block(lock: Any) -> bool:
    """A blocking acquisition found ``lock`` taken: may it block right away and push once the lock
    is its own, as the C core's contended path does?  Yes if the chain it makes is cached (nothing
    to validate before it blocks), no hang watchdog needs to know about the wait, and the lock is
    not one its own thread holds (a self-wait)."""
    if watchdog.current is not None:
        return False
    try:
        ts = _tls.ts
        held = ts.held
        _next_keys[lock._ld_node][held[-1].chain_key if held else -1]
    except (AttributeError, KeyError):
        return False
    return not ts.ctx and lock._ld_born is None and not any(h.lock is lock for h in held)


def _contended(lock: Any, frame: Any) -> bool:
    """A blocking acquisition that found ``lock`` taken, and may not block right away."""
    rt = current
    if rt is None or lock._ld_node < 0:
        return lock._block.acquire()
    return rt.acquire_blocking(lock, frame)


def _trylock(lock: Any, blocking: bool, timeout: float, frame: Any) -> bool:
    """``acquire(blocking=False)`` or ``acquire(timeout=...)``: cannot wait forever, so a trylock
    (held, but no dependency from the locks already held to it)."""
    if not lock._block.acquire(blocking, timeout):
        return False
    rt = current
    if rt is not None and lock._ld_node >= 0:
        rt.acquire(lock, frame, trylock=True)
    return True


#: the pure-Python core's view of the active runtime (``bind``): the calling thread's state as
#: ``_tls.ts`` (a fresh thread-local whenever the runtime's thread map changes, filled by ``_acquired``'s
#: path on first use), the runtime's cached chain keys per class (``Runtime.next_keys``), its validator
_tls: Any = _thread._local()
_next_keys: dict[int, dict[int, int]] = {}
_validator: Any = None


def bind(rt: state.Runtime | None) -> None:
    """Make ``rt`` the active runtime (None: none)."""
    global current, _tls, _next_keys, _validator
    _tls = _thread._local()
    _next_keys = rt.next_keys if rt is not None else {}
    _validator = rt.validator if rt is not None else None
    current = rt
    if rt is not None and _speedups is None:
        rt.threads_changed = _threads_changed


def _threads_changed() -> None:
    global _tls
    _tls = _thread._local()


_Base: Any = _speedups.LockBase if _speedups is not None else _PyLockBase


class Lock(_LockCommon, _Base):
    """``threading.Lock`` with lock-dependency validation."""

    __slots__ = ()
    __module__ = "threading"  # it stands in for threading.Lock (CPython checks threading.__all__ by module)

    if _speedups is None:  # (the C core's Lock() is built in C: no bytecode runs in it, as in CPython's)
        def __init__(self) -> None:
            self._ld_init(_allocate_lock(), _getframe(1))

    if sys.version_info < (3, 13):  # as CPython's: the type of threading.Lock() cannot be instantiated
        def __new__(cls, *args: Any, **kwargs: Any) -> Lock:
            raise TypeError(f"cannot create '{cls.__module__}.{cls.__qualname__}' instances")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        if sys.version_info >= (3, 13):  # as CPython's: threading.Lock cannot be subclassed since 3.13
            raise TypeError("type 'threading.Lock' is not an acceptable base type")
        super().__init_subclass__(**kwargs)

    def locked(self) -> bool:
        return self._block.locked()

    def acquire_lock(self, blocking: bool = True, timeout: float = -1) -> bool:
        return self.acquire(blocking, timeout)

    def release_lock(self) -> None:
        self.release()

    def locked_lock(self) -> bool:
        return self._block.locked()

    def __repr__(self) -> str:
        return (f"<{'locked' if self._block.locked() else 'unlocked'} {type(self).__module__}."
                f"{type(self).__qualname__} object at {hex(id(self))}>")


def _py_allocate_lock() -> Lock:
    """``threading.Lock()`` before 3.13 under the pure-Python core."""
    lock = _object_new(Lock)
    lock._ld_init(_allocate_lock(), _getframe(1))
    return lock


_object_new = object.__new__
_py_allocate_lock.__module__ = Lock.__module__
#: what ``threading.Lock`` is under lockdep: the class from 3.13, where CPython's is a class; before,
#: a function as CPython's ``_thread.allocate_lock``, whose result's type cannot be instantiated
#: (a builtin function, as CPython's, is no descriptor: ``lock_class = threading.Lock`` on a class,
#: called as ``self.lock_class()``, gets no ``self`` -- werkzeug's routing Map does that)
allocate_lock: Callable[[], Lock] = Lock if sys.version_info >= (3, 13) else \
    _speedups.lock_factory(Lock) if _speedups is not None else staticmethod(_py_allocate_lock)


class RLock(_LockCommon, _Base):
    """``threading.RLock`` with lock-dependency validation."""

    __slots__ = ()
    __module__ = "threading"
    _ld_owner_bound = True
    _ld_kind = "rlock"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if (args or kwargs) and sys.version_info >= (3, 13):
            import warnings

            warnings.warn("Passing arguments to RLock is deprecated and will be removed in 3.15",
                          DeprecationWarning, stacklevel=2)
        self._ld_init(_CRLock(), _getframe(1))

    def _is_owned(self) -> bool:
        return self._block._is_owned()

    def _release_save(self) -> Any:
        saved = self._block._release_save()
        rt = current
        if rt is not None and self._ld_node >= 0:
            rt.release(self)
        return saved

    def _acquire_restore(self, saved: Any) -> None:
        rt = current
        if rt is not None and self._ld_node >= 0:
            frame = _getframe(1)
            rt.acquire(self, frame, push=False)  # validated before it blocks, held once owned
            self._block._acquire_restore(saved)
            rt.acquire(self, frame)
        else:
            self._block._acquire_restore(saved)

    def _recursion_count(self) -> int:
        return self._block._recursion_count()

    def _at_fork_reinit(self) -> None:
        self._block._at_fork_reinit()
        rt = current
        if rt is not None:
            rt.reinit(self)

    def __repr__(self) -> str:
        r = repr(self._block)
        return r.replace("_thread.RLock", f"{type(self).__module__}.{type(self).__qualname__}")


class Condition(_OrigCondition):
    """``threading.Condition``: ``wait()`` without a timeout is a wait for the
    condition's event while holding every other held lock (recorded after the
    condition's own lock is released, as it really is); ``notify()`` signals it."""

    __module__ = "threading"

    def __init__(self, lock: Any = None) -> None:
        rt = current
        if lock is None:  # the RLock is named after the Condition's creator
            lock = RLock.__new__(RLock)
            lock._ld_init(_CRLock(), _getframe(1))
        super().__init__(lock)
        self._ld_event = rt.event_name(_getframe(1), "condition") if rt is not None else None
        # Conditions inside Thread and concurrent.futures are modelled by their
        # own events (thread exit, work item done), not as conditions.
        self._ld_silent = rt is not None and _internal(_getframe(1))
        self._ld_pending: Any = None
        # the cross-release window of this condition: open from its first current (untimed)
        # waiter on; only what a notifier did since then comes before the notification
        self._ld_nwait = 0
        self._ld_since = (0, 0)  # (a window_start)
        release_save = self._release_save

        def _release_save() -> Any:
            saved = release_save()
            try:
                pending, self._ld_pending = self._ld_pending, None
                if pending is not None:
                    rt_, ts, frame, event = pending
                    rt_.wait(ts, event, frame)
            except BaseException:
                # (a KeyboardInterrupt from a signal handler): CPython releases atomically, so
                # the caller's `with` still owns the lock when wait() raises; so must it here
                self._acquire_restore(saved)
                raise
            return saved

        self._release_save = _release_save

    def wait(self, timeout: float | None = None) -> bool:
        rt = current
        event = self._ld_event
        wd = watchdog.current if timeout is None else None
        if rt is None or event is None or self._ld_silent or timeout is not None:
            # timed: cannot wait forever (no dependency, no window); silent (futures, threads): their
            # own events stand for them, but the hang watchdog still watches the wait
            return super().wait(timeout) if wd is None or rt is None else self._wait_watched(wd, rt)
        self._ld_pending = (rt, rt.thread(), _getframe(1), event)  # (the event as of now: a barrier's round)
        if not self._ld_nwait:  # the caller holds the condition's lock: these counts are consistent
            self._ld_since = rt.window_start()
        self._ld_nwait += 1
        try:
            return super().wait(timeout) if wd is None else self._wait_watched(wd, rt)
        finally:
            self._ld_pending = None
            self._ld_nwait -= 1

    def _wait_watched(self, wd: watchdog.Watchdog, rt: state.Runtime) -> bool:
        """``wait()`` without a timeout as CPython's, registered with the hang watchdog and
        blocking in chunks it can abort.  Safe: a notifier holds the lock, so it cannot slip
        between two chunks; the waiter stays in ``_waiters`` throughout."""
        if not self._is_owned():
            raise RuntimeError("cannot wait on un-acquired lock")
        waiter = _allocate_lock()
        waiter.acquire()
        self._waiters.append(waiter)
        saved_state = self._release_save()
        w = None
        gotit = False
        try:
            w = wd.enter(rt.thread(), "condition", self, _getframe(2))
            wd.block(w, waiter.acquire)
            gotit = True
            return True
        finally:
            if w is not None:
                wd.leave(w)
            self._acquire_restore(saved_state)
            if not gotit:
                try:
                    self._waiters.remove(waiter)
                except ValueError:
                    pass

    def notify(self, n: int = 1) -> None:
        rt = current
        if rt is not None and self._ld_nwait and self._ld_event is not None and not self._ld_silent:
            rt.signal(rt.thread(), self._ld_event, since=self._ld_since, exclude=self._lock, frame=_getframe(1))
        super().notify(n)


def _internal(frame: Any) -> bool:
    f = frame
    while f is not None:
        code = f.f_code
        if getattr(code, "co_qualname", code.co_name) == "Thread.__init__" or \
                "concurrent" in code.co_filename and "futures" in code.co_filename:
            return True
        if not state.sites.is_wrapper(code.co_filename) and not state.sites.is_ours(code.co_filename):
            return False
        f = f.f_back
    return False
