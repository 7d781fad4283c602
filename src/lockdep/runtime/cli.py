"""``lockdep run [options] script.py args`` / ``python -m lockdep [-m module] ...``:
run a Python program with ``threading`` instrumented, like ``coverage run``."""

from __future__ import annotations

import argparse
import os
import runpy
import sys
import threading
import traceback

HELP = "run a Python program with threading instrumented and report lock-order and wait bugs"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("run", help=HELP, description=HELP)
    p.add_argument("--json", metavar="PATH", help="write findings as JSON at exit (also LOCKDEP_JSON)")
    p.add_argument("--trace", metavar="PATH", help="record the lock event stream (also LOCKDEP_TRACE)")
    p.add_argument("--fail", action="store_true", help="exit 1 if anything was found (after the program's output)")
    p.add_argument("--quiet", action="store_true", help="no reports on stderr (use with --json)")
    p.add_argument("-m", dest="module", metavar="MODULE", help="run a module, like python -m")
    p.add_argument("program", nargs=argparse.REMAINDER, help="script.py and its arguments")
    p.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    from .api import enable

    if not args.module and not args.program:
        print("lockdep: run: nothing to run (give script.py or -m module)", file=sys.stderr)
        return 2
    if args.program and not args.module and not os.path.exists(args.program[0]):
        print(f"lockdep: {args.program[0]}: cannot read: no such file", file=sys.stderr)
        return 2
    os.environ["LOCKDEP"] = "1"  # subprocesses are checked too (through lockdep.pth)
    if args.json:
        os.environ["LOCKDEP_JSON"] = os.path.abspath(args.json)
    if args.trace:
        os.environ["LOCKDEP_TRACE"] = os.path.abspath(args.trace)
    rt = enable(json_path=args.json, trace_path=args.trace, quiet=args.quiet)
    status = _run_program(args)
    _join_threads()
    rt.report_orphans()  # held-back cycles and locks left held by ended threads, before the verdict
    if args.fail and rt.validator.findings:
        return 1
    return status


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
        traceback.print_exception(sys.exc_info()[0], sys.exc_info()[1], tb)
        return 1
    finally:
        sys.modules["__main__"] = main_mod
    return 0


def _join_threads() -> None:
    """Wait for non-daemon threads, as the interpreter would, before judging the run."""
    me = threading.current_thread()
    for t in threading.enumerate():
        if t is not me and not t.daemon and t.is_alive():
            t.join()
