"""The hang watchdog: explains a deadlock that really happens.

Lock-order validation reports a deadlock before it happens, but only once a
dependency was recorded; two actors that wait on each other's futures never
record one.  The watchdog keeps a registry of the threads blocked in
instrumented waits (a lock, a condition, a future, a thread join), and a
watcher thread that wakes every fraction of the timeout.  When threads have
stayed blocked longer than the timeout and none of them can be released by a
thread that still runs, it reports once a ``deadlock`` finding: the wait-for
cycle among threads, and each thread's wait, held locks and stack.

Only the blocking path registers: an acquisition that succeeds at once costs
nothing.  Under ``pytest --lockdep`` (``abort``) blocking waits poll in short
chunks, so that the watchdog can abort the threads of a deadlock with
``DeadlockError`` and the test fails instead of hanging.

Who can release a wait (its *targets*):
  * a lock: the threads that hold it (on their held stacks); a plain ``Lock``
    held by its own waiter could be released by any other thread;
  * a thread join: that thread;
  * a future: the worker thread running it, or, while it is queued, the
    executor's workers (when the executor has all the workers it may start);
  * a condition (``Event``, ``Queue``, ``Semaphore``, ...): any thread -- or, in
    the main thread of a program that installed signal handlers, a handler;
  * an idle ``ThreadPoolExecutor`` worker (blocked in ``SimpleQueue.get``, which
    is not instrumented) waits for work: any thread's ``submit``.
A set of blocked threads is deadlocked when every one of them can only be
released by threads of the set.
"""

from __future__ import annotations

import _thread
import os
import signal
import sys
import threading
import time
from types import FrameType
from typing import Any, Callable

from ..engine.findings import DEADLOCK, Finding
from . import sites
from .state import _outside_wrappers

DEFAULT_TIMEOUT = 10.0  # under ``python -m lockdep`` and ``pytest --lockdep``
ENV = "LOCKDEP_HANG_TIMEOUT"

_get_ident = _thread.get_ident
_monotonic = time.monotonic

#: the active watchdog, or None (checked on the blocking paths only)
current: Watchdog | None = None


class DeadlockError(RuntimeError):
    """Raised in the threads of a deadlock found by the watchdog (under ``pytest --lockdep``)."""


def parse_timeout(value: str, what: str = ENV) -> float:
    """Seconds from an option or environment value; ValueError with one clear line."""
    try:
        t = float(value)
    except ValueError:
        raise ValueError(f"{what}: not a number of seconds: {value!r}") from None
    if not t >= 0:
        raise ValueError(f"{what}: must be 0 (off) or a positive number of seconds: {value!r}")
    return t


def timeout_setting(option: str | None, what: str, default: float) -> float:
    """The option's value, else LOCKDEP_HANG_TIMEOUT's, else ``default``."""
    if option is not None:
        return parse_timeout(option, what)
    value = os.environ.get(ENV, "").strip()
    return parse_timeout(value) if value else default


class Wait:
    """One blocked thread: what it waits for, since when, from where."""

    __slots__ = ("ts", "ident", "kind", "obj", "frame", "since", "depth", "pushed", "abort")

    def __init__(self, ts: Any, kind: str, obj: Any, frame: FrameType | None, pushed: bool, ident: int = 0):
        self.ts = ts
        self.ident = ident or _get_ident()
        self.kind = kind  # "lock", "condition", "future" (obj: a list of futures), "thread", "work"
        self.obj = obj
        self.frame = frame
        self.since = _monotonic()
        self.depth = 0  # waits nested in this one (a future's condition inside Future.result)
        #: the waiter's held stack already has an entry for the lock it waits for
        self.pushed = pushed
        self.abort: str | None = None  # set by the watchdog: raise DeadlockError with this report

    def check(self) -> None:
        if self.abort is not None:
            raise DeadlockError(self.abort)


#: how soon the watcher looks again at waits that seemed stuck, before it reports them
_GRACE = 0.05


class Watchdog:
    def __init__(self, rt: Any, timeout: float, abort: bool = False):
        self.rt = rt
        self.timeout = timeout
        self.abort = abort
        #: how often a blocked wait looks for an abort (None: it blocks in one go, report only)
        self.chunk = min(0.2, timeout / 2) if abort else None
        self.interval = max(0.05, min(1.0, timeout / 4))
        self.blocked: dict[int, Wait] = {}
        self.reported: set[Wait] = set()
        self._idle: dict[int, Wait] = {}  # idle executor workers, as waits
        self._suspect: frozenset[Wait] = frozenset()  # the stuck waits of the last check
        self.deadlocked = 0  # deadlocks reported
        self._stop: Any = None  # held while the watcher runs
        self._stopped = False
        self._starting = _thread.allocate_lock()
        self._watcher = 0

    # ------------------------------------------------------- registry
    def enter(self, ts: Any, kind: str, obj: Any, frame: FrameType | None, pushed: bool = False) -> Wait:
        """Register the calling thread as blocked; a wait inside a registered wait keeps the outer one."""
        w = self.blocked.get(_get_ident())
        if w is not None:
            w.depth += 1
            return w
        w = Wait(ts, kind, obj, frame, pushed)
        self.blocked[w.ident] = w
        if self._stop is None and not self._stopped:  # in a forked child: the watcher starts when needed
            self.start()
        return w

    def leave(self, w: Wait) -> None:
        if w.depth:
            w.depth -= 1
        else:
            self.blocked.pop(w.ident, None)

    def block(self, w: Wait, acquire: Callable[[bool, float], bool]) -> None:
        """``acquire()`` without a timeout; in chunks if the watchdog may abort it."""
        chunk = self.chunk
        if chunk is None:
            acquire()
            return
        while not acquire(True, chunk):
            w.check()

    def block_on_lock(self, lock: Any, frame: FrameType | None, pushed: bool = False,
                      acquire: Callable[..., bool] | None = None) -> bool:
        """The blocking ``acquire()`` of an instrumented lock: free when uncontended, else
        registered and abortable.  ``pushed``: the lock is already on the caller's held stack."""
        acquire = acquire or lock._block.acquire
        if acquire(False):
            return True
        w = self.enter(self.rt.thread(), "lock", lock, frame, pushed)
        try:
            self.block(w, acquire)
        finally:
            self.leave(w)
        return True

    # -------------------------------------------------------- watcher
    def start(self) -> None:
        """The watcher runs on a raw ``_thread`` thread: invisible to ``threading`` and
        to lockdep, and never keeping the process alive."""
        with self._starting:
            if self._stop is None and not self._stopped:
                stop = _thread.allocate_lock()
                stop.acquire()
                try:
                    self._watcher = _thread.start_new_thread(self._run, (stop,))
                except RuntimeError:  # interpreter shutdown: no new threads
                    self._stopped = True
                    return
                self._stop = stop

    def stop(self) -> None:
        self._stopped = True
        if self._stop is not None:
            self._stop.release()
            self._stop = None

    def _run(self, stop: Any) -> None:
        while not stop.acquire(True, _GRACE if self._suspect else self.interval):
            try:
                self.check()
            except Exception as e:  # never let the watcher die silently
                sys.stderr.write(f"lockdep: hang watchdog: {type(e).__name__}: {e}\n")

    def check(self) -> Finding | None:
        """Report (once) the deadlock among the threads blocked longer than the timeout, if any."""
        now = _monotonic()
        stale = {w.ident: w for w in list(self.blocked.values()) if now - w.since >= self.timeout}
        if not stale:
            self._suspect = frozenset()
            return None
        frames = sys._current_frames()
        alive = set(frames) - {self._watcher}
        stale.update(self._idle_workers(frames))
        targets = {i: self._targets(w, alive) for i, w in stale.items()}
        if _signal_handlers():  # a handler may end a wait of the main thread on a condition
            main = threading.main_thread().ident
            if main in targets and targets[main] == (set(), True):
                targets[main] = (None, False)
        stuck = set(stale)
        changed = True
        while changed:  # drop a thread that something still running may release
            changed = False
            for i in list(stuck):
                concrete, anyone = targets[i]
                if concrete is None or not concrete <= stuck or anyone and not alive - {i} <= stuck:
                    stuck.discard(i)
                    changed = True
        self.reported = {w for w in self.reported  # drop waits that ended
                         if self.blocked.get(w.ident) is w or self._idle.get(w.ident) is w}
        if not stuck:
            self._suspect = frozenset()
            return None
        cycle = _cycle({i: targets[i][0] or set() for i in stuck})
        if cycle:  # start with the thread that blocked first
            first = min(range(len(cycle)), key=lambda k: stale[cycle[k]].since)
            cycle = cycle[first:] + cycle[:first]
        key = {stale[i] for i in (cycle or stuck)}
        if key <= self.reported:
            return None
        # the same waits, stuck at two checks in a row: a thread that ended just after releasing
        # what the others wait for leaves them marked blocked until they next run
        suspect, self._suspect = self._suspect, frozenset(stale[i] for i in stuck)
        if suspect != self._suspect:
            return None
        self.reported |= {stale[i] for i in stuck}
        f = self._finding(stale, stuck, targets, cycle, frames, now)
        self.deadlocked += 1
        self.rt.validator._report(f, (DEADLOCK, self.deadlocked))
        if self.abort:
            from ..report import render_text

            text = f"lockdep: deadlock detected among {', '.join(t['thread'] for t in f.details['threads'])}" \
                + render_text(f)
            for i in stuck:
                stale[i].abort = text
        return f

    def _idle_workers(self, frames: dict) -> dict[int, Wait]:
        """The ThreadPoolExecutor workers blocked in their queue's ``get`` with nothing queued."""
        idle: dict[int, Wait] = {}
        cf_thread = sys.modules.get("concurrent.futures.thread")  # not imported: no executor
        if cf_thread is None:
            return idle
        try:
            workers = list(cf_thread._threads_queues.items())
        except RuntimeError:  # changed while read: next time
            workers = []
        for t, q in workers:
            f = frames.get(t.ident)
            ts = self.rt.threads.get(t.ident)
            if f is None or f.f_code is not cf_thread._worker.__code__ or ts is None or not q.empty() \
                    or t.ident in self.blocked:
                continue
            w = self._idle.get(t.ident)
            idle[t.ident] = w if w is not None and w.obj is q else Wait(ts, "work", q, None, False, t.ident)
        self._idle = idle
        return idle

    # -------------------------------------------------------- targets
    def _targets(self, w: Wait, alive: set[int]) -> tuple[set[int] | None, bool]:
        """(threads that can release ``w`` -- None if it may return by itself --, and whether any
        other thread could as well)."""
        if w.kind == "thread":
            t = w.obj
            return ({t.ident}, False) if t.is_alive() and t.ident in alive else (None, False)
        if w.kind == "future":
            out: set[int] = set()
            for fut in w.obj:
                state = fut._state  # read without the future's lock: the watcher takes no lock a thread may hold
                if state not in ("PENDING", "RUNNING"):
                    return None, False
                worker = getattr(fut, "_ld_worker", None)
                ex = getattr(fut, "_ld_executor", lambda: None)()
                if state == "RUNNING" and worker is not None:
                    out.add(worker)
                elif ex is not None and len(ex._threads) >= ex._max_workers:
                    out |= {t.ident for t in list(ex._threads) if t.is_alive()}
                else:
                    return set(), True
            return out, False
        if w.kind == "lock":
            owners = {i for i, ts in list(self.rt.threads.items()) if self._owns(i, ts, w.obj)}
            if not owners:
                return set(), True
            # a plain Lock has no owner: only its own holder waiting for it makes it a self-deadlock
            mine = owners == {w.ident} and not getattr(w.obj, "_ld_owner_bound", False)
            return owners, mine
        return set(), True  # a condition: any thread may notify it

    def _owns(self, ident: int, ts: Any, lock: Any) -> bool:
        n = sum(1 for h in list(ts.held) if h.lock is lock)
        w = self.blocked.get(ident)
        if w is not None and w.kind == "lock" and w.obj is lock and w.pushed:
            n -= 1  # the entry pushed for the acquisition it is blocked in
        return n > 0

    # -------------------------------------------------------- reports
    def _finding(self, stale: dict[int, Wait], stuck: set[int], targets: dict, cycle: list[int],
                 frames: dict, now: float) -> Finding:
        order = cycle + sorted(stuck - set(cycle), key=lambda i: stale[i].since)
        threads = [self._thread_info(stale[i], targets[i], frames.get(i), now) for i in order]
        classes = list(dict.fromkeys(t["wait"]["class"] for t in threads if t["wait"]["class"]))
        return Finding(DEADLOCK, classes, [], task=threads[0]["thread"],
                       details={"timeout": self.timeout, "cycle": [t["thread"] for t in threads[:len(cycle)]],
                                "threads": threads, "aborted": self.abort})

    def _name(self, ident: int) -> str:
        ts = self.rt.threads.get(ident)
        if ts is not None:
            return ts.name
        t = threading._active.get(ident)  # type: ignore[attr-defined]
        return t.name if t is not None else f"thread-{ident}"

    def _thread_info(self, w: Wait, target: tuple, frame: FrameType | None, now: float) -> dict:
        concrete, anyone = target
        g = self.rt.validator.graph
        held = [{"class": g.name(h.node), "lock": _describe_lock(h.lock), "site": sites.site_str(h.site)}
                for h in list(w.ts.held)]
        if w.pushed and held:
            held.pop()  # the entry pushed for the lock it is still waiting for
        wait = self._wait_info(w)
        how = {"lock": "held by", "thread": "", "future": "run by", "work": "submitted by"}.get(w.kind, "notified by")
        waits_for = [self._name(i) for i in sorted(concrete or ())]
        return {"thread": w.ts.name, "ident": w.ident, "blocked_for": round(now - w.since, 1), "wait": wait,
                "how": how, "waits_for": waits_for, "or_any_thread": bool(anyone), "held": held,
                "stack": _stack(frame)}

    def _wait_info(self, w: Wait) -> dict:
        site = None
        if w.frame is not None:
            f = _outside_wrappers(w.frame)
            site = sites.site_str((f.f_code, f.f_lasti))
        obj = w.obj
        if w.kind == "lock":
            node = getattr(obj, "_ld_node", -1)
            cls = self.rt.validator.graph.name(node) if node >= 0 else None
            what = f"{type(obj).__name__} ({cls}) at {id(obj):#x}"
        elif w.kind == "thread":
            cls, what = f"(thread){obj.name}", f"thread {obj.name}"
        elif w.kind == "future":
            evs = [getattr(fut, "_ld_event", None) or "(future)?" for fut in obj]
            cls = evs[0] if len(evs) == 1 else None
            what = ", ".join(f"future {ev[len('(future)'):]} at {id(fut):#x}" for ev, fut in zip(evs, obj))
        elif w.kind == "work":
            cls, what = None, "work from its executor's queue"
        else:
            cls = getattr(obj, "_ld_event", None)
            what = f"condition ({cls[len('(condition)'):] if cls else '?'}) at {id(obj):#x}"
        return {"kind": w.kind, "class": cls, "what": what, "site": site}


def _signal_handlers() -> bool:
    """Whether the program installed a Python signal handler of its own."""
    for s in signal.valid_signals():
        try:
            h = signal.getsignal(s)
        except (ValueError, OSError):
            continue
        if callable(h) and h is not signal.default_int_handler:
            return True
    return False


def _describe_lock(lock: Any) -> str:
    return f"{type(lock).__name__} at {id(lock):#x}"


def _stack(frame: FrameType | None, limit: int = 16) -> list[str]:
    """A thread's stack, innermost first, without lockdep's own frames."""
    out: list[str] = []
    f = frame
    while f is not None and len(out) < limit:
        name = f.f_code.co_filename
        if name.startswith("<frozen runpy") or f.f_code.co_name == "_bootstrap_inner" and sites.is_wrapper(name):
            break  # how the program was started: not part of the story
        if not sites.is_ours(name):
            out.append(sites.site_str((f.f_code, f.f_lasti)))
        f = f.f_back
    return out


def _cycle(edges: dict[int, set[int]]) -> list[int]:
    """One cycle of the wait-for graph (threads in wait order), or []."""
    for start in sorted(edges):
        path: list[int] = []
        seen: dict[int, int] = {}
        i: int | None = start
        while i is not None and i not in seen:
            seen[i] = len(path)
            path.append(i)
            nxt = sorted(edges.get(i, ()))
            i = nxt[0] if nxt else None
        if i is not None:
            return path[seen[i]:]
    return []


def install(rt: Any, timeout: float, abort: bool = False) -> Watchdog | None:
    """Start the watchdog for ``rt`` (``timeout`` 0: off)."""
    global current
    uninstall()
    if timeout <= 0 or _in_subinterpreter():
        return None  # a subinterpreter cannot end while a thread of its own runs: the main one watches
    # Started now, not with the first blocking wait: tests that count threads (CPython's own
    # wait_threads_exit) see it before they start counting.
    current = Watchdog(rt, timeout, abort)
    current.start()
    return current


def _in_subinterpreter() -> bool:
    for name in ("_interpreters", "_xxsubinterpreters"):  # 3.13+, 3.11-3.12
        try:
            mod = __import__(name)
        except ImportError:
            continue
        try:
            return mod.get_current() != mod.get_main()
        except Exception:
            return False
    return False


def uninstall() -> None:
    global current
    if current is not None:
        current.stop()
        current = None


def _after_fork_child() -> None:
    """Only the forking thread survives a fork: the child starts a watcher of its own on its
    first blocking wait."""
    wd = current
    if wd is not None:
        wd.blocked.clear()
        wd._stop = None
        wd._starting = _thread.allocate_lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_child)

