"""``enable()`` / ``disable()`` / ``enabled()``, class naming and nesting
annotations, and what happens at exit (summary, JSON, trace)."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import sys
from typing import IO, Any, Iterator

from ..engine.findings import Finding
from ..report.console import print_findings
from . import patch, primitives, watchdog
from .state import Runtime

_exit_hook_registered = False
_options: dict[str, Any] = {}


def runtime() -> Runtime | None:
    """The active runtime, or None."""
    return primitives.current


def enable(*, json_path: str | None = None, trace_path: str | None = None, stream: IO[str] | None = None,
           quiet: bool = False, summary: bool | str = True, hang_timeout: float | None = None,
           hang_abort: bool = False) -> Runtime:
    """Instrument ``threading`` from now on.  Findings are printed to ``stream``
    (stderr) as they are detected; at exit a summary is printed (``summary="findings"``:
    only if there were any) and the findings written to ``json_path``.  Environment defaults: LOCKDEP_JSON,
    LOCKDEP_TRACE, LOCKDEP_HANG_TIMEOUT.

    ``hang_timeout`` (seconds, 0 or None: off) starts the hang watchdog: threads blocked that long
    in a deadlock are reported; with ``hang_abort`` their waits raise ``DeadlockError``."""
    global _exit_hook_registered
    if primitives.current is not None:
        return primitives.current
    json_path = json_path or os.environ.get("LOCKDEP_JSON") or None
    trace_path = trace_path or os.environ.get("LOCKDEP_TRACE") or None
    out = stream if stream is not None else sys.stderr

    def on_finding(f: Finding) -> None:
        if not quiet:
            try:
                print_findings([f], out)
            except (OSError, ValueError):
                pass

    child = os.environ.get("LOCKDEP_CHILD") == "1"
    os.environ["LOCKDEP_CHILD"] = "1"  # what this process starts writes its own files
    _options.update(pid=os.getpid(), child=child)
    try:
        trace = open(_per_process(trace_path), "w", encoding="utf-8") if trace_path else None
    except OSError as e:
        print(f"lockdep: cannot write {trace_path}: {e.strerror}", file=sys.stderr)
        trace = None
    rt = Runtime(on_finding=on_finding, trace=trace)
    _options.update(json_path=json_path, stream=out, summary=False if quiet else summary)
    patch.install(rt)
    if hang_timeout is None:
        try:
            hang_timeout = watchdog.timeout_setting(None, watchdog.ENV, 0)
        except ValueError as e:
            print(f"lockdep: {e} (hang watchdog off)", file=sys.stderr)
            hang_timeout = 0
    watchdog.install(rt, hang_timeout, hang_abort)
    if not _exit_hook_registered:
        atexit.register(_at_exit)
        _exit_hook_registered = True
    return rt


def disable() -> Runtime | None:
    """Stop instrumenting; returns the runtime that was active (its findings stay readable)."""
    rt = primitives.current
    if rt is not None:
        rt.checkpoint()
    watchdog.uninstall()
    patch.uninstall()
    if rt is not None and rt.trace is not None:
        rt.trace.close()
        rt.trace = None
    return rt


@contextlib.contextmanager
def enabled(**kwargs: Any) -> Iterator[Runtime]:
    """``with lockdep.enabled() as rt: ...`` -- instrument the block only."""
    rt = enable(**kwargs)
    try:
        yield rt
    finally:
        disable()


def name(lock: Any, class_name: str) -> Any:
    """Put ``lock`` in the class ``class_name`` (the kernel's lockdep_set_class_and_name)."""
    rt = primitives.current
    if rt is not None and hasattr(lock, "_ld_node"):
        kind = rt.validator.graph.nodes[lock._ld_node].kind if lock._ld_node >= 0 else "mutex"
        lock._ld_node = rt.named_class(class_name, kind)
    return lock


@contextlib.contextmanager
def nested(lock: Any, subclass: int) -> Iterator[Any]:
    """``with lockdep.nested(child.lock, 1):`` -- a deliberate nesting of two locks of one
    class (the kernel's ``mutex_lock_nested``)."""
    rt = primitives.current
    if rt is None or getattr(lock, "_ld_node", -1) < 0:
        with lock:
            yield lock
        return
    rt.acquire(lock, sys._getframe(2), subclass=subclass)
    try:
        lock._block.acquire()
    except BaseException:
        rt.release(lock)
        raise
    try:
        yield lock
    finally:
        lock.release()


def _per_process(path: str) -> str:
    """A child process (fork, or LOCKDEP in a subprocess) writes its own file: path.PID."""
    if _options.get("pid") == os.getpid() and not _options.get("child"):
        return path
    return f"{path}.{os.getpid()}"


def findings_json(rt: Runtime) -> dict:
    """This process's findings, with (for a session's root) those of its subprocesses; baseline applied."""
    from . import history

    findings, suppressed = history.report(rt)
    out = {"findings": findings, "stats": rt.validator.summary()}
    if suppressed:
        out["suppressed"] = suppressed
    return out


def _report_others(data: dict) -> None:
    """The root of a session names what its subprocesses found (and what the baseline suppressed)."""
    from . import history

    lines = [history.describe(f) for f in data["findings"] if "pid" in f]
    if data.get("suppressed"):
        from ..baseline import describe

        lines += [f"lockdep: {describe(f, {'reason': f.get('baseline_reason')})}" for f in data["suppressed"]]
    if lines and _options.get("summary") is not False:
        try:
            _options["stream"].write("".join(line + "\n" for line in lines))
        except (OSError, ValueError):
            pass


def _at_exit() -> None:
    rt = primitives.current
    if rt is None:
        return
    rt.report_orphans()
    data = findings_json(rt)
    path = _options.get("json_path")
    if path:
        target = _per_process(path)
        try:
            with open(target, "w", encoding="utf-8") as f:
                json.dump(data, f, indent=1)
        except OSError as e:
            print(f"lockdep: cannot write {target}: {e.strerror}", file=sys.stderr)
    _report_others(data)
    n = len(data["findings"])
    summary = _options.get("summary")
    if summary is True and _options.get("pid") != os.getpid():
        summary = "findings"  # a forked child: quiet unless it found something
    if summary is True or summary == "findings" and n:
        s = rt.validator.summary()
        try:
            _options["stream"].write(
                f"lockdep: {n} finding{'s' if n != 1 else ''} ({s['classes']} lock classes, {s['edges']} "
                f"dependencies, {s['tasks']} live threads)\n")
        except (OSError, ValueError):
            pass
    if rt.trace is not None:  # later lock events (finalizers, gc callbacks at shutdown) are not recorded
        rt.trace.close()
        rt.trace = None
