"""``lockdep splat FILE... [--json]``: the lockdep reports in kernel logs."""

from __future__ import annotations

import argparse
import glob
import json
import sys

from ..files import check_text
from .splat import CIRCULAR, Splat, SplatError, meaningful_frames, merge_identical, parse_files

HELP = "read kernel lockdep reports (dmesg, console logs, syzbot reports) and summarise each"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("splat", help=HELP, description=HELP)
    p.add_argument("files", nargs="+", metavar="FILE", help="text files, globs, .gz, or - for stdin")
    p.add_argument("--json", action="store_true", help='print {"reports": [...], "errors": [...]}')
    from ..baseline import add_option as add_baseline_option
    from ..store.hooks import add_option as add_db_option

    add_db_option(p)
    add_baseline_option(p)
    p.set_defaults(func=cmd_splat)


def expand(patterns: list[str]) -> list[str]:
    out = []
    for p in patterns:
        matches = sorted(glob.glob(p)) if any(c in p for c in "*?[") else []
        out += matches or [p]
    return out


def read_all(patterns: list[str]) -> tuple[list[Splat], list[SplatError]]:
    reports: list[Splat] = []
    errors: list[SplatError] = []
    for splats, errs in parse_files(expand(patterns)):
        reports += splats
        errors += errs
    return merge_identical(reports), errors


def describe(s: Splat) -> list[str]:
    head = f"{s.file}:{s.line}: {s.kind}"
    if s.kernel:
        head += f" (Linux {s.kernel})"
    if s.task:
        head += f", task {s.task}"
    if s.detector != "lockdep":
        head += f" [{s.detector}]"
    if s.count > 1:
        head += f"; seen {s.count} times: {', '.join(s.seen_at)}"
    out = [head]
    if s.kind == CIRCULAR:
        out.append("  cycle: " + " --> ".join(s.classes) + f" --> {s.classes[0]}")
        for e in s.edges:
            by = meaningful_frames(e.stack)
            dep = "" if e.dep == "lock" else f" ({e.dep})"
            out.append(f"    {e.frm} --> {e.to}{dep}" + (f"  by {' <- '.join(f + '()' for f in by)}" if by else ""))
    elif s.classes:
        out.append("  classes: " + ", ".join(s.classes))
        for e in s.edges:
            out.append(f"    {e.frm} --> {e.to}")
    if s.detail:
        out.append(f"  {s.detail}")
    if s.held:
        out.append("  held: " + ", ".join(s.held))
    for old, new in s.aliases.items():
        out.append(f"  alias: {old} = {new}")
    return out


def cmd_splat(args: argparse.Namespace) -> int:
    for path in expand(args.files):
        check_text(path)
    from .store_bridge import baseline_entries, save_splats

    reports, errors = read_all(args.files)
    known = baseline_entries(args, reports)  # --baseline: known reports are marked suppressed
    save_splats(args, reports)  # --db: the reports join the lock history
    if args.json:
        json.dump({"reports": [{**r.to_dict(), **({"suppressed": "baseline", "baseline_reason": e.get("reason")}
                                                  if e else {})} for r, e in zip(reports, known)],
                   "errors": [e.to_dict() for e in errors]}, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        for r, e in zip(reports, known):
            print("\n".join(describe(r)) + ("\n  suppressed (baseline)" if e else ""))
        for e in errors:
            print(f"lockdep: {e.file}:{e.line}: {e.error}", file=sys.stderr)
        print(f"lockdep: {len(reports)} report{'s' if len(reports) != 1 else ''}"
              + (f", {len(errors)} unreadable" if errors else "")
              + ("" if reports or errors else " (no lockdep report in the input)"))
    return 1 if errors else 0
