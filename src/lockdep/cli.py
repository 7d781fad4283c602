"""Command line: ``lockdep replay|splat|loops|convert|run ...``.

``python -m lockdep script.py`` (no subcommand) runs a Python program
instrumented, like ``coverage run``.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Callable, Sequence

from .errors import InputError

EXIT_CLEAN, EXIT_FINDINGS, EXIT_BAD_INPUT = 0, 1, 2

REPLAY_HELP = "check a lock trace (JSON Lines, see trace-format.md) and report possible deadlocks"


def _print_findings_text(findings: list, stats: dict, out=None) -> None:
    from rich.console import Console

    from .engine.report import render_text

    console = Console(file=out or sys.stdout, highlight=False, soft_wrap=True)
    for f in findings:
        text = render_text(f)
        for line in text.splitlines():
            style = "bold red" if line.startswith("WARNING:") else "bold" if line.startswith("what to do:") else None
            console.print(line, style=style, markup=False)
    n = len(findings)
    console.print(f"\nlockdep: {n} finding{'s' if n != 1 else ''}; {stats['events']} events, {stats['classes']} "
                  f"classes, {stats['edges']} dependencies, {stats['chains']} chains.", markup=False)
    for limit in stats.get("limits_reached", []):
        console.print(f"lockdep: {limit} reached; validation went on without caching new chains.", markup=False)


def cmd_replay(args: argparse.Namespace) -> int:
    from . import baseline
    from .engine import Validator

    known = baseline.from_args(args)  # --baseline: known findings are suppressed
    v = Validator(chain_cache=not args.no_chain_cache)
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
    store_hooks.finish(store, v)
    findings = v.findings
    if args.hide_guarded:
        findings = [f for f in findings if not f.guarded_by]
    findings, suppressed = known.split(findings) if known else (findings, [])
    stats = v.summary()
    if args.json:
        out: dict = {"findings": [f.to_dict() for f in findings], "stats": stats}
        if contention:
            out["lock_stat"] = [{"class": s.name, "contentions": s.contentions, "acquisitions": s.acquisitions,
                                 "wait_max_us": s.wait_max * 1e6, "wait_total_us": s.wait_total * 1e6}
                                for s in contention]
        if known:
            out["suppressed"] = baseline.suppressed_json(suppressed)
        json.dump(out, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        _print_findings_text(findings, stats)
        baseline.print_suppressed(suppressed)
        if contention:
            from .kernel.ftrace import format_lock_stat

            print("\n".join(format_lock_stat(contention)))
    return EXIT_FINDINGS if findings else EXIT_CLEAN


def _add_replay(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("replay", help=REPLAY_HELP, description=REPLAY_HELP)
    p.add_argument("files", nargs="*", metavar="FILE", help="trace files (.jsonl, optionally .gz; - for stdin): "
                   "one graph, each file its own tasks")
    p.add_argument("--json", action="store_true", help="print findings as JSON (trace-format.md)")
    p.add_argument("--first", action="store_true", help="stop after the first finding, as the kernel does")
    p.add_argument("--hide-guarded", action="store_true",
                   help="hide cycles whose every edge was taken under one common outer (gate) lock")
    p.add_argument("--format", choices=("jsonl", "ftrace"), default="jsonl",
                   help="input format: the trace format (default) or kernel ftrace/perf lock events")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="lockdep", description="Lock-dependency validator (Linux lockdep for "
                                     "Python programs and kernel reports).")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in SUBCOMMANDS.values():
        try:
            add(sub)
        except ImportError:
            continue
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in SUBCOMMANDS and argv[0] not in ("-h", "--help"):
        argv = ["run", *argv]  # python -m lockdep [run options] script.py ...
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return EXIT_CLEAN
    try:
        return args.func(args)
    except InputError as e:
        sys.stdout.flush()
        print(f"lockdep: {e}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        return EXIT_CLEAN
