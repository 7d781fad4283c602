"""``lockdep db show | export | prune | forget | merge``: look after a store."""

from __future__ import annotations

import argparse
import json
import sys
import time
from typing import Any, Iterator

from .session import describe_run
from .sqlite import Store, StoreError

HELP = "inspect and maintain a lock-history store (--db): show, export, prune, forget a class, merge stores"


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("db", help=HELP, description=HELP)
    dbsub = p.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    s = dbsub.add_parser("show", help="summary: runs, classes, dependencies and findings")
    s.add_argument("db", metavar="DB")
    s.add_argument("--json", action="store_true", help="print the summary as JSON")
    s.set_defaults(func=cmd_show)
    e = dbsub.add_parser("export", help="the stored graph as JSON, DOT, SVG, HTML, or a trace that replays to it")
    e.add_argument("db", metavar="DB")
    e.add_argument("--format", choices=("json", "trace", "dot", "svg", "html"), default="json")
    e.add_argument("-o", "--output", metavar="PATH", help="write here instead of standard output")
    e.set_defaults(func=cmd_export)
    pr = dbsub.add_parser("prune", help="drop dependencies and findings first seen more than DAYS days ago")
    pr.add_argument("db", metavar="DB")
    pr.add_argument("--days", type=float, required=True, metavar="DAYS")
    pr.set_defaults(func=cmd_prune)
    f = dbsub.add_parser("forget", help="forget classes (after a deliberate redesign): their edges and findings")
    f.add_argument("db", metavar="DB")
    f.add_argument("classes", nargs="+", metavar="CLASS")
    f.set_defaults(func=cmd_forget)
    m = dbsub.add_parser("merge", help="merge stores (e.g. copied from CI machines) into TARGET")
    m.add_argument("target", metavar="TARGET", help="store to merge into (created if missing)")
    m.add_argument("sources", nargs="+", metavar="SOURCE")
    m.set_defaults(func=cmd_merge)


# ----------------------------------------------------------------- show
def summary(store: Store) -> dict:
    groups: dict[str, dict] = {}
    for row in store.findings():
        g = groups.setdefault(row["fingerprint"], {"fingerprint": row["fingerprint"], "kind": row["finding"]["kind"],
                                                   "classes": row["finding"]["classes"], "first": row["run"],
                                                   "runs": 0})
        g["runs"] += 1
    runs = sorted(store.runs().values(), key=lambda r: r["started"])
    return {"path": store.path, "counts": store.counts(), "runs": runs, "findings": list(groups.values())}


def cmd_show(args: argparse.Namespace) -> int:
    store = Store(args.db, writable=False)
    s = summary(store)
    if args.json:
        json.dump(s, sys.stdout, indent=1)
        sys.stdout.write("\n")
        return 0
    c = s["counts"]
    print(f"{args.db}: {c['runs']} runs, {c['classes']} classes, {c['edges']} dependencies, "
          f"{len(s['findings'])} distinct findings")
    for r in s["runs"][-10:]:
        print(f"  {describe_run(r)} [{r['source']}]")
    for f in s["findings"]:
        arrow = " --> ".join(f["classes"])
        print(f"  {f['kind']}: {arrow}  [{f['fingerprint']}; first in {describe_run(f['first'])}; "
              f"{f['runs']} run{'s' if f['runs'] != 1 else ''}]")
    return 0


# --------------------------------------------------------------- export
def cmd_export(args: argparse.Namespace) -> int:
    store = Store(args.db, writable=False)
    graph = store.graph()
    if args.format == "json":
        text = json.dumps(graph, indent=1) + "\n"
    elif args.format == "trace":
        text = "".join(json.dumps(ev) + "\n" for ev in as_trace(graph))
    else:
        from ..kernel import render

        mg = as_merged_graph(graph, store)
        loops = mg.loops()
        text = {"dot": render.to_dot, "svg": render.to_svg, "html": render.to_html}[args.format](mg, loops)
    _write(args.output, text)
    return 0


def _write(path: str | None, text: str) -> None:
    if path is None:
        sys.stdout.write(text)
        return
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise StoreError(path, f"cannot write: {e.strerror}") from None


_S_PREV, _R_NEXT = 1 | 4, 1 | 2  # edge bits whose earlier lock was shared / whose later lock was a recursive read


def as_trace(graph: dict) -> Iterator[dict]:
    """A trace (trace-format.md) that replays to the stored graph: one task per edge label,
    and one acquisition per context a class was used in.  Usage bits "with a context enabled"
    come back together (a plain acquisition enables them all)."""
    from ..engine.usage import ENABLED, ENABLED_ALL, STATE_NAMES, USED_IN, bit

    kinds = {n["name"]: n["kind"] for n in graph["nodes"]}
    for n in graph["nodes"]:
        if n["kind"] != "event":
            yield {"op": "lock_init", "lock": n["name"], "class": n["name"], "kind": n["kind"],
                   **({"site": n["site"]} if n.get("site") else {})}
    k = 0
    for n in graph["nodes"]:
        if n["kind"] == "event":
            continue
        for s, ctx in enumerate(STATE_NAMES):
            for read in (0, 1):
                if n["usage"] >> bit(s, USED_IN, read) & 1:
                    k += 1
                    task = f"usage-{k}"
                    yield {"op": "acquire", "task": task, "lock": n["name"], "context": ctx.lower(),
                           "irqs_disabled": True, **({"mode": "shared"} if read else {})}
                    yield {"op": "release", "task": task, "lock": n["name"]}
        if n["usage"] & ENABLED_ALL:
            k += 1
            read = not n["usage"] & sum(1 << bit(s, ENABLED, 0) for s in range(len(STATE_NAMES)))
            yield {"op": "acquire", "task": f"usage-{k}", "lock": n["name"], **({"mode": "shared"} if read else {})}
            yield {"op": "release", "task": f"usage-{k}", "lock": n["name"]}
    for e in graph["edges"]:
        src, dst = e["from"], e["to"]
        for b in (1, 2, 4, 8):
            if not e["dep"] & b:
                continue
            k += 1
            task = f"edge-{k}"
            w = e.get("witness") or {}
            extra = {"site": w["site"]} if w.get("site") else {}
            if kinds.get(src) == "event":
                yield ({"op": "wait", "task": task, "event": dst} if kinds.get(dst) == "event" else
                       {"op": "acquire", "task": task, "lock": dst, "irqs_disabled": True})
                if kinds.get(dst) != "event":
                    yield {"op": "release", "task": task, "lock": dst}
                yield {"op": "signal", "task": task, "event": src, **extra}
                continue
            yield {"op": "acquire", "task": task, "lock": src, "irqs_disabled": True,
                   **({"mode": "shared"} if b & _S_PREV else {})}
            if kinds.get(dst) == "event":
                yield {"op": "wait", "task": task, "event": dst, **extra}
            else:
                yield {"op": "acquire", "task": task, "lock": dst, "irqs_disabled": True,
                       **({"mode": "recursive"} if b & _R_NEXT else {}), **extra}
                yield {"op": "release", "task": task, "lock": dst}
            yield {"op": "release", "task": task, "lock": src}


def as_merged_graph(graph: dict, store: Store) -> Any:
    """The stored graph in the form the kernel renderers draw (cycles: the stored circular findings)."""
    from ..kernel.loops import MergedGraph, Witness, meaningful_frames

    mg = MergedGraph()
    for e in graph["edges"]:
        m = mg.edge(e["from"], e["to"])
        w = e.get("witness") or {}
        source = describe_run(e["learned"])
        m.reports.add(source)
        stack = w.get("stack") or []
        by = meaningful_frames(stack, 12) if stack else ([w["site"]] if w.get("site") else [])
        m.witnesses.append(Witness(source, by, None, e["from"]))
    for row in store.findings():
        f = row["finding"]
        if f["kind"] == "circular_dependency":
            mg.add_cycle(f["classes"], describe_run(row["run"]))
    return mg


# ---------------------------------------------------------- maintenance
def _counts(n: dict[str, int]) -> str:
    return ", ".join(f"{v} {k}" for k, v in n.items())


def cmd_prune(args: argparse.Namespace) -> int:
    n = Store(args.db).prune(args.days)
    print(f"{args.db}: dropped {_counts(n)} (older than {args.days:g} days)")
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    store = Store(args.db)
    known = {n for (n,) in store.read("SELECT name FROM classes")}
    status = 0
    for cls in args.classes:
        if cls not in known:
            print(f"lockdep: {args.db}: no class {cls!r} in the store", file=sys.stderr)
            status = 2
            continue
        print(f"{args.db}: forgot {cls}: {_counts(store.forget(cls))}")
    return status


def cmd_merge(args: argparse.Namespace) -> int:
    sources = [Store(p, writable=False) for p in args.sources]  # every source is checked before writing
    target = Store(args.target)
    started = time.monotonic()
    for p, s in zip(args.sources, sources):
        print(f"{args.target}: merged {p}: {_counts(target.merge_store(s))}")
    print(f"{args.target}: {_counts(target.counts())} ({time.monotonic() - started:.1f} s)")
    return 0
