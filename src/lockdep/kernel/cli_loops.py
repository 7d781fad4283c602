"""``lockdep loops FILE...``: merge reports and traces, find the loops, say where to cut."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..baseline import Baseline, from_args
from ..baseline import describe as describe_known
from ..errors import InputError
from ..files import check_text, check_writable, write_text
from .aliases import why
from .cli_splat import expand

if TYPE_CHECKING:
    from .loops import Loop, MergedGraph

HELP = "merge kernel reports and traces into one graph and compute which dependencies to cut to break every loop"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("loops", help=HELP, description=HELP)
    p.add_argument("files", nargs="*", metavar="FILE", help="report text, trace .jsonl, globs, .gz, - for stdin")
    p.add_argument("--json", action="store_true", help='print {"cycles": [...], "cuts": [...]}')
    p.add_argument("--dot", metavar="PATH", help="write the merged graph as Graphviz DOT")
    p.add_argument("--svg", metavar="PATH", help="write the merged graph as SVG")
    p.add_argument("--html", metavar="PATH", help="write a self-contained HTML page (works offline)")
    p.add_argument("--dask", nargs="?", const="", default=None, metavar="ADDRESS",
                   help="read the files on a Dask cluster (the scheduler at ADDRESS, or a new LocalCluster)")
    from ..baseline import add_option as add_baseline_option
    from ..store.hooks import add_option as add_db_option

    add_db_option(p)
    add_baseline_option(p)  # known cycles are left out of the loops and cuts, listed as suppressed
    p.set_defaults(func=cmd_loops)


def describe(mg: MergedGraph, loops: list[Loop]) -> list[str]:
    out = []
    for n, lp in enumerate(loops, 1):
        out.append(f"loop {n}: {len(lp.classes)} classes, {len(lp.cycles)} reported cycle"
                   f"{'s' if len(lp.cycles) != 1 else ''}")
        for ci in lp.cycles:
            c = mg.cycles[ci]
            out.append(f"  [{ci}] " + " --> ".join(c.classes + c.classes[:1]) + f"   ({', '.join(c.sources)})")
        how = "exact minimum" if lp.exact else f"greedy approximation, within {lp.bound:.2f}x of the minimum weight"
        total = sum(c.weight for c in lp.cuts)
        out.append(f"  cut {len(lp.cuts)} dependenc{'y' if len(lp.cuts) == 1 else 'ies'} (weight {total}, {how}):")
        for c in lp.cuts:
            dep = mg.edges[(c.frm, c.to)].dep if (c.frm, c.to) in mg.edges else "lock"
            dep = "" if dep == "lock" else f" ({dep}: cross-release)"
            out.append(f"    {c.frm} --> {c.to}{dep}   resolves cycles {', '.join(map(str, c.resolves))}; "
                       f"{c.weight} code site{'s' if c.weight != 1 else ''}")
            for w in c.witnesses[:4]:
                out.append(f"      {w.text()}")
    if not loops:
        out.append("no loops: no reported cycle")
    for old, new in sorted(mg.aliases.items()):
        out.append(f"alias: {old} = {new} ({why(old)})")
    return out


def cmd_loops(args: argparse.Namespace) -> int:
    from .loops import dumps, merge_files  # networkx: imported when the command runs

    for path in (args.dot, args.svg, args.html):
        check_writable(path)
    known = from_args(args)  # --baseline (LOCKDEP_BASELINE): a bad file stops here
    if args.dask is not None:
        from ..distributed.hooks import split_address
        from .loops_dask import merge_files_dask

        mg, errors = merge_files_dask(*reversed(split_address(args.dask, args.files)))
    elif args.files:
        files = expand(args.files)
        for path in files:
            check_text(path)
        mg, errors = merge_files(files)
    else:
        raise InputError("loops", None, "no file given")
    from .store_bridge import exchange

    exchange(args, mg)  # --db: start from the stored dependencies and cycles, store today's
    suppressed = suppress_known(known, mg) if known is not None else []
    loops = mg.loops()
    for e in errors:
        print(f"lockdep: {e.file}:{e.line}: {e.error}", file=sys.stderr)
    if args.dot or args.svg or args.html:
        from .render import to_dot, to_html, to_svg

        for path, fn in ((args.dot, to_dot), (args.svg, to_svg), (args.html, to_html)):
            if path:
                write_text(path, fn(mg, loops))
    if args.json:
        print(dumps({**mg.to_json(loops), **({"suppressed": suppressed} if suppressed else {})}))
    else:
        print("\n".join(describe(mg, loops)))
        for c in suppressed:
            print(f"{describe_known(c, {'reason': c['baseline_reason']})}   ({', '.join(c['sources'])})")
    return 1 if errors else 0


def suppress_known(known: Baseline, mg: MergedGraph) -> list[dict]:
    """The cycles a baseline lists are accepted: nothing is cut for them, they are listed as suppressed."""
    from ..fingerprint import fingerprint

    def key(classes: list[str]) -> str:
        return fingerprint("circular_dependency", classes)

    return [{"kind": "circular_dependency", "classes": c.classes, "sources": c.sources, "suppressed": "baseline",
             "baseline_reason": known.entries[key(c.classes)].get("reason")}
            for c in mg.drop_cycles(lambda classes: key(classes) in known.entries)]
