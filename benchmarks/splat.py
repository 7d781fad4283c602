"""Reports parsed per second (``lockdep splat``), and ``lockdep loops`` on a large merged graph.

    python benchmarks/splat.py [--reports 10000] [--classes 5000] [--edges 50000]

The corpus varies real report layouts (3.x syslog, 4.x, 5.x, 6.x syzbot with
caller ids) by renaming classes, tasks and frames. A second line reads the
real corpus as found (tests/fixtures/kernel-corpus: mail, quoting, QP,
interleaving) repeated to the same number of reports.
"""

from __future__ import annotations

import argparse
import glob
import os
import random
import re
import sys
import time

from lockdep.kernel.loops import MergedGraph
from lockdep.kernel.splat import parse_text, read_text_file

HERE = os.path.dirname(os.path.abspath(__file__))
FOUND = sorted(glob.glob(os.path.join(HERE, "..", "tests", "fixtures", "kernel-corpus", "[0-9]*")))
SOURCES = sorted(p for d in ("splats", "kernel-splats", "hotplug")
                 for p in glob.glob(os.path.join(HERE, "..", "tests", "fixtures", d, "*.txt")))


def corpus(n: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    texts = [open(p, encoding="utf-8").read() for p in SOURCES]
    out: list[str] = []
    i = 0
    while sum(t.count("WARNING") + t.count("[ INFO") for t in out) < n * 1.1:  # some reports are planted truncated
        t = texts[i % len(texts)]
        i += 1
        k = rng.randrange(100000)
        t = re.sub(r"(kernfs_mutex|slab_mutex|&dev->mutex|&priv->lock|rtnl_mutex)", lambda m: f"{m.group(1)}_{k % 97}", t)
        t = re.sub(r"/(\d+) is trying", lambda m: f"/{k} is trying", t)
        out.append(t)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=int, default=10_000)
    ap.add_argument("--classes", type=int, default=5_000)
    ap.add_argument("--edges", type=int, default=50_000)
    a = ap.parse_args()
    texts = corpus(a.reports)
    lines = "\n".join(texts).splitlines()
    t0 = time.perf_counter()
    splats, errors = parse_text(lines, "corpus")
    dt = time.perf_counter() - t0
    print(f"Python {sys.version.split()[0]}")
    print(f"splat: {len(splats):,} reports ({len(errors)} unreadable, as planted) from {len(lines):,} lines in "
          f"{dt:.2f} s = {len(splats) / dt:,.0f} reports/s")
    found = [read_text_file(p) for p in FOUND]
    per_round = sum(len(parse_text(x, "c")[0]) for x in found)
    rounds = max(1, a.reports // per_round)
    t0 = time.perf_counter()
    n = sum(len(parse_text(x, "c")[0]) for _ in range(rounds) for x in found)
    dt = time.perf_counter() - t0
    print(f"splat, corpus as found: {n:,} reports from {rounds * sum(map(len, found)):,} lines in {dt:.2f} s = "
          f"{n / dt:,.0f} reports/s")

    rng = random.Random(3)
    mg = MergedGraph()
    names = [f"class_{i}" for i in range(a.classes)]
    order = {n: i for i, n in enumerate(names)}
    while len(mg.edges) < a.edges:  # mostly one global order ...
        x, y = rng.sample(names, 2)
        if order[x] > order[y]:
            x, y = y, x
        mg.edge(x, y).reports.add("r")
    for i in range(200):  # ... with 200 reported inversions closing cycles
        x, y = rng.sample(names, 2)
        if order[x] > order[y]:
            x, y = y, x
        mg.add_cycle([x, y], f"inv{i}")
    t0 = time.perf_counter()
    loops = mg.loops()
    dt = time.perf_counter() - t0
    cuts = sum(len(lp.cuts) for lp in loops)
    print(f"loops: {a.classes:,} classes, {len(mg.edges):,} edges, {len(mg.cycles)} reported cycles -> "
          f"{len(loops)} loops, {cuts} cuts in {dt:.2f} s "
          f"({'exact' if all(lp.exact for lp in loops) else 'greedy where large'})")


if __name__ == "__main__":
    main()
