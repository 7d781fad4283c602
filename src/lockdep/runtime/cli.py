"""``lockdep run [options] script.py args`` / ``python -m lockdep [-m module] ...``:
run a Python program with ``threading`` instrumented, like ``coverage run``."""

from __future__ import annotations

import argparse
import json
import os
import runpy
import sys
import threading

from ..report import outputs

HELP = "run a Python program with threading instrumented and report lock-order and wait bugs"
USAGE = "python -m lockdep [options] (script.py | -m module) [args...]"
_TRACE_SUFFIXES = (".jsonl", ".json", ".gz", ".jsonl.gz")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help=HELP, description=HELP + ". Also: python -m lockdep [options] script.py.",
                       usage=USAGE)
    p.add_argument("--json", metavar="PATH", help="write findings as JSON at exit (also LOCKDEP_JSON)")
    p.add_argument("--trace", metavar="PATH", help="record the lock event stream (also LOCKDEP_TRACE)")
    p.add_argument("--fail", action="store_true", help="exit 1 if anything was found (after the program's output)")
    p.add_argument("--quiet", action="store_true", help="no reports on stderr (use with --json)")
    outputs.add_options(p)
    p.add_argument("--hang-timeout", metavar="SECONDS", default=None,
                   help="report threads deadlocked in waits for this long (default 10, also "
                        "LOCKDEP_HANG_TIMEOUT; 0: off)")
    p.add_argument("-m", dest="module", metavar="MODULE", help="run a module, like python -m")
    from . import history

    history.add_options(p)
    p.add_argument("program", nargs=argparse.REMAINDER, help="script.py and its arguments")
    p.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from . import watchdog
    from .api import enable

    if not args.module and not args.program:
        print("lockdep: run: nothing to run (give script.py or -m module)", file=sys.stderr)
        return 2
    if args.program and not args.module:
        script = args.program[0]
        if not os.path.exists(script):
            print(f"lockdep: {script}: cannot read: no such file", file=sys.stderr)
            return 2
        if looks_like_trace(script):
            print(f"lockdep: {script}: this looks like a trace, not a Python script: lockdep replay {script}",
                  file=sys.stderr)
            return 2
    outputs.check(args.json, args.trace, args.sarif, args.html)
    if args.style:
        os.environ["LOCKDEP_STYLE"] = args.style  # subprocesses report in the same style
    os.environ["LOCKDEP"] = "1"  # subprocesses are checked too (through lockdep.pth)
    if args.json:
        os.environ["LOCKDEP_JSON"] = os.path.abspath(args.json)
    if args.trace:
        os.environ["LOCKDEP_TRACE"] = os.path.abspath(args.trace)
    try:
        hang = watchdog.timeout_setting(args.hang_timeout, "--hang-timeout", watchdog.DEFAULT_TIMEOUT)
    except ValueError as e:
        print(f"lockdep: {e}", file=sys.stderr)
        return 2
    os.environ[watchdog.ENV] = f"{hang:g}"  # subprocesses watch their hangs too
    from . import history

    history.check_options(args)  # --db, --baseline: a bad file stops here (exit 2)
    rt = enable(json_path=args.json, trace_path=args.trace, quiet=args.quiet, hang_timeout=hang)
    history.start(rt)
    status = _run_program(args)
    _exit_if_deadlocked(status)
    try:
        _join_threads()
    except KeyboardInterrupt:
        _exit_if_deadlocked(130)
        raise
    rt.report_orphans()  # held-back cycles and locks left held by ended threads, before the verdict
    title = f"lockdep: {' '.join(args.program) if not args.module else '-m ' + args.module}"
    outputs.write(history.all_findings(rt), rt.validator.summary(), sarif=args.sarif, html=args.html,
                  style=args.style, title=title)
    if args.fail and history.report(rt)[0]:  # subprocesses' findings count too
        return 1
    return status


def looks_like_trace(path: str) -> bool:
    """A trace file given where a script is expected: a trace suffix, or a first line that is a JSON object."""
    if path.endswith(_TRACE_SUFFIXES):
        return True
    try:
        with open(path, "rb") as f:
            for raw in f:
                line = raw.strip()
                if line and not line.startswith(b"#"):
                    break
            else:
                return False
    except OSError:
        return False
    if not line.startswith(b"{"):
        return False
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _run_program(args: argparse.Namespace) -> int:
    main_mod = sys.modules["__main__"]
    try:
        if args.module:
            sys.argv = [args.module, *args.program]
            sys.path.insert(0, os.getcwd())
            runpy.run_module(args.module, run_name="__main__", alter_sys=True)
        else:
            script = args.program[0]
            sys.argv = list(args.program)
            sys.path.insert(0, os.path.dirname(os.path.abspath(script)))
            runpy.run_path(script, run_name="__main__")
    except SystemExit as e:
        code = e.code
        if code is None:
            return 0
        if isinstance(code, int):
            return code
        print(code, file=sys.stderr)
        return 1
    except BaseException:
        tb = sys.exc_info()[2]
        # drop the frames of this runner from the traceback, as python does for a script
        while tb is not None and tb.tb_frame.f_code.co_filename in (__file__, runpy.__file__, "<frozen runpy>"):
            tb = tb.tb_next
        import traceback

        traceback.print_exception(sys.exc_info()[0], sys.exc_info()[1], tb)
        return 1
    finally:
        sys.modules["__main__"] = main_mod
    return 0


def _exit_if_deadlocked(status: int) -> None:
    """Threads the hang watchdog found deadlocked never end: rather than wait for them
    forever (as the interpreter would at exit), write the results and leave."""
    from . import watchdog
    from .api import _at_exit

    wd = watchdog.current
    if wd is not None and wd.deadlocked:
        _at_exit()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(status or 1)


def _join_threads() -> None:
    """Wait for non-daemon threads, as the interpreter would, before judging the run."""
    me = threading.current_thread()
    for t in threading.enumerate():
        if t is not me and not t.daemon and t.is_alive():
            t.join()
