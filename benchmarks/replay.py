"""Events/s of ``lockdep replay`` on a generated trace: the fast path against the
reference (reader + Validator), chain cache on vs off, side by side (best of 2,
alternating); then the whole ``lockdep replay FILE`` command as a process (best
of 3).  Wall and CPU seconds: on a machine shared with other jobs the CPU time
is the steadier figure.

    python benchmarks/replay.py [--events 1000000] [--classes 1000] [--tasks 64]

The trace: many tasks repeatedly run a few hundred critical-section patterns
(2-4 nested locks drawn from ~1,000 classes in one global order), interleaved
section by section -- the shape of a long, mostly repetitive, clean run.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import resource
import subprocess
import sys
import tempfile
import time

import orjson

from lockdep import Validator
from lockdep.trace.reader import feed_events, read_events, replay


def generate(path: str, n_events: int, n_classes: int, n_tasks: int, seed: int = 1) -> int:
    rng = random.Random(seed)
    patterns = []
    for _ in range(300):
        k = rng.randint(2, 4)
        patterns.append(sorted(rng.sample(range(n_classes), k)))
    written = 0
    with open(path, "wb") as f:
        for c in range(n_classes):
            f.write(orjson.dumps({"op": "lock_init", "lock": f"l{c}", "class": f"class_{c}", "kind": "mutex"}) + b"\n")
        while written < n_events:
            task = f"task{rng.randrange(n_tasks)}"
            pat = patterns[rng.randrange(len(patterns))]
            lines = [orjson.dumps({"op": "acquire", "task": task, "lock": f"l{c}", "site": f"f.c:{c}"}) for c in pat]
            lines += [orjson.dumps({"op": "release", "task": task, "lock": f"l{c}"}) for c in reversed(pat)]
            f.write(b"\n".join(lines) + b"\n")
            written += len(lines)
    return written + n_classes


def run(path: str, fast: bool, chain_cache: bool) -> tuple[float, float, Validator]:
    """Wall and CPU seconds to validate the trace: ``replay`` is what ``lockdep replay`` runs (the fast path)."""
    v = Validator(chain_cache=chain_cache)
    t0, c0 = time.perf_counter(), time.process_time()
    if fast:
        replay([path], v)
    else:
        gc.disable()  # as replay() does
        feed_events(v, read_events(path))
        gc.enable()
    return time.perf_counter() - t0, time.process_time() - c0, v


def command(path: str) -> tuple[float, float]:
    """Wall and CPU seconds of a whole ``python -m lockdep replay FILE`` process (start-up and report included)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "lockdep", "replay", path], stdout=subprocess.DEVNULL, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.perf_counter() - t0, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=1_000_000)
    ap.add_argument("--classes", type=int, default=1000)
    ap.add_argument("--tasks", type=int, default=64)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "trace.jsonl")
        n = generate(path, args.events, args.classes, args.tasks)
        print(f"trace: {n:,} events, {args.classes} classes, {args.tasks} tasks, "
              f"{os.path.getsize(path) / 1e6:.0f} MB; Python {sys.version.split()[0]}")
        configs = ((True, True), (False, True), (True, False), (False, False))
        best: dict[tuple[bool, bool], tuple[float, float, Validator]] = {}
        for _ in range(2):
            for config in configs:
                wall, cpu, v = run(path, *config)
                if config not in best or cpu < best[config][1]:
                    best[config] = (wall, cpu, v)
        whole = min((command(path) for _ in range(3)), key=lambda x: x[1])
    print(f"{'path':<11}{'chain cache':<13}{'wall s':>8}{'events/s':>12}{'CPU s':>8}{'events/CPU s':>14}"
          f"{'graph searches':>16}{'findings':>10}")
    for (fast, cache), (wall, cpu, v) in best.items():
        print(f"{'fast' if fast else 'reference':<11}{'on' if cache else 'off':<13}{wall:>8.2f}{n / wall:>12,.0f}"
              f"{cpu:>8.2f}{n / cpu:>14,.0f}{v.stats['graph_searches']:>16,}{len(v.findings):>10}")
    on = best[(True, True)]
    print(f"fast / reference, cache on: {best[(False, True)][1] / on[1]:.2f}x less CPU; "
          f"cache on / off (fast path): {best[(True, False)][1] / on[1]:.2f}x")
    print(f"whole command, lockdep replay FILE (best of 3): {whole[0]:.2f} s = {n / whole[0]:,.0f} events/s; "
          f"CPU {whole[1]:.2f} s = {n / whole[1]:,.0f} events/CPU s")

if __name__ == "__main__":
    main()
