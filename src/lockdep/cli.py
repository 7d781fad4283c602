"""Command line: ``lockdep replay|splat|loops|convert|run ...``.

``python -m lockdep script.py`` (no subcommand) runs a Python program
instrumented, like ``coverage run``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Callable, Sequence

from .errors import InputError
from .report import outputs

EXIT_CLEAN, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2

REPLAY_HELP = "check a lock trace (JSON Lines, see docs/trace-format.md) and report possible deadlocks"


def print_summary(findings: list, stats: dict, out=None) -> None:
    out = out or sys.stdout
    n = len(findings)
    print(f"\nlockdep: {n} finding{'s' if n != 1 else ''}; {stats['events']} events, {stats['classes']} "
          f"classes, {stats['edges']} dependencies, {stats['chains']} chains.", file=out)
    for limit in stats.get("limits_reached", []):
        print(f"lockdep: {limit} reached; validation went on without caching new chains.", file=out)


def cmd_replay(args: argparse.Namespace) -> int:
    from . import baseline
    from .engine import Validator

    outputs.check(args.sarif, args.html)
    known = baseline.from_args(args)  # --baseline: known findings are suppressed
    v = Validator(chain_cache=not args.no_chain_cache, complete=args.complete)
    v.hold_back = v.python_hold_back  # a recorded Python trace's cycles wait for the end, as in the live run
    from .store import hooks as store_hooks  # --db: lock history across runs

    store = store_hooks.attach(args, v, "replay")
    contention: list = []
    if args.format == "ftrace":
        from .distributed.hooks import single_file
        from .kernel.ftrace import lock_stat, replay_ftrace

        contention = [s for s in lock_stat(replay_ftrace(single_file(args), v, first=args.first)) if s.contentions]
    else:
        from .distributed import hooks as replay_hooks  # many files, --dask

        v = replay_hooks.replay(args, v)
    v.checkpoint(final=True)
    store_hooks.finish(store, v)
    findings = v.findings
    if args.hide_guarded:
        findings = [f for f in findings if not f.guarded_by]
    findings, suppressed = known.split(findings) if known else (findings, [])
    stats = v.summary()
    if args.json:
        from .report.json import document

        extra: dict = {}
        if contention:
            extra["lock_stat"] = [{"class": s.name, "contentions": s.contentions, "acquisitions": s.acquisitions,
                                   "wait_max_us": s.wait_max * 1e6, "wait_total_us": s.wait_total * 1e6}
                                  for s in contention]
        if known:
            extra["suppressed"] = baseline.suppressed_json(suppressed)
        json.dump(document(findings, stats, args.style, **extra), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        from .report.console import print_findings

        print_findings(findings, sys.stdout, args.style)
        print_summary(findings, stats)
        baseline.print_suppressed(suppressed)
        if contention:
            from .kernel.ftrace import format_lock_stat

            print("\n".join(format_lock_stat(contention)))
    outputs.write(findings, stats, sarif=args.sarif, html=args.html, style=args.style,
                  source=args.files[0] if len(args.files) == 1 else None)
    return EXIT_FINDINGS if findings else EXIT_CLEAN


def _add_replay(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replay", help=REPLAY_HELP, description=REPLAY_HELP)
    p.add_argument("files", nargs="*", metavar="FILE", help="trace files (.jsonl, optionally .gz; - for stdin): "
                   "one graph, each file its own tasks")
    p.add_argument("--json", action="store_true", help="print findings as JSON (docs/trace-format.md)")
    p.add_argument("--first", action="store_true", help="stop after the first finding, as the kernel does")
    p.add_argument("--complete", action="store_true",
                   help="do not copy the kernel's known false negatives (a strong path through a class first "
                        "reached over a weak edge; edges only from the first held lock); findings modern "
                        "lockdep would miss are labelled")
    p.add_argument("--hide-guarded", action="store_true",
                   help="hide cycles whose every edge was taken under one common outer (gate) lock")
    p.add_argument("--format", choices=("jsonl", "ftrace"), default="jsonl",
                   help="input format: the trace format (default) or kernel ftrace/perf lock events")
    outputs.add_options(p)
    p.add_argument("--no-chain-cache", action="store_true", help=argparse.SUPPRESS)
    from .baseline import add_option as add_baseline_option
    from .distributed.hooks import add_replay_options
    from .store.hooks import add_option as add_db_option

    add_replay_options(p)
    add_db_option(p)
    add_baseline_option(p)
    p.set_defaults(func=cmd_replay)


SUBCOMMANDS: dict[str, Callable[[argparse._SubParsersAction], None]] = {"replay": _add_replay}


def _register_optional(name: str, module: str) -> None:
    def add(sub: argparse._SubParsersAction) -> None:
        import importlib

        importlib.import_module(f"lockdep.{module}").add_parser(sub)

    SUBCOMMANDS[name] = add


for _name, _module in (("run", "runtime.cli"), ("splat", "kernel.cli_splat"), ("loops", "kernel.cli_loops"),
                       ("convert", "kernel.cli_convert"), ("db", "store.cli"), ("baseline", "baseline")):
    _register_optional(_name, _module)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every command, or (``only``) of that one alone: a command imports
    what it needs when it is declared, so running one never pays for the others."""
    from . import __version__

    parser = argparse.ArgumentParser(
        prog="lockdep", usage="lockdep COMMAND ... | python -m lockdep [run options] script.py [args...]",
        description="Lock-dependency validator (Linux lockdep for Python programs and kernel reports).",
        epilog="Without a command, the arguments are those of 'run' (below). The trace format is "
               "docs/trace-format.md in the lockdep repository.")
    parser.add_argument("--version", action="version", version=f"lockdep {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, add in SUBCOMMANDS.items():
        if only is not None and name != only:
            continue
        try:
            add(sub)
        except ImportError:
            continue
    return parser


def _help(parser: argparse.ArgumentParser) -> str:
    """The top-level help, then the options of ``run`` (what ``python -m lockdep script.py`` takes)."""
    text = parser.format_help()
    for action in parser._subparsers._group_actions if parser._subparsers else []:
        run = getattr(action, "choices", {}).get("run")
        if run is not None:
            text += "\nrun (the default command):\n" + run.format_help()
    return text


def _unknown_command(word: str) -> str | None:
    """A message for a first argument that is neither a command, an option nor a file, else None."""
    if word.startswith("-") or os.path.exists(word) or word.endswith(".py"):
        return None
    import difflib

    near = difflib.get_close_matches(word, SUBCOMMANDS, n=1, cutoff=0.6)
    if near:
        return f"lockdep: unknown command '{word}'; did you mean 'lockdep {near[0]}'?"
    return (f"lockdep: '{word}' is neither a command ({', '.join(SUBCOMMANDS)}) nor a file; "
            "see lockdep --help")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        sys.stdout.write(_help(build_parser()))
        return EXIT_CLEAN
    if argv[0] not in SUBCOMMANDS and argv[0] != "--version":
        problem = _unknown_command(argv[0])
        if problem:
            print(problem, file=sys.stderr)
            return EXIT_BAD_INPUT
        argv = ["run", *argv]  # python -m lockdep [run options] script.py ...
    args = build_parser(only=argv[0]).parse_args(argv)
    try:
        return args.func(args)
    except InputError as e:
        sys.stdout.flush()
        print(f"lockdep: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return EXIT_CLEAN
