"""Events/s of ``lockdep replay`` over many files: one process, and Dask with 1 and 2 workers, side by side.

    python benchmarks/dask_replay.py [--files 20] [--events-per-file 500000] [--dir /tmp/lockdep-dask-bench]
                                     [--repeat N]

Each file is the trace of benchmarks/replay.py (many tasks running a few
hundred nested-lock patterns over 1,000 classes, one global order) with its
own seed; the last one ends with one inverted pair, so every run must find
exactly one circular dependency.  The files are generated once into --dir
(not the repository) and reused.  The clusters are started before timing:
the figures are extraction + transfer + merge + checks, cluster start-up aside.
With --repeat the three are timed in turn, round after round, and the best of
each is kept (the machine may be shared: the load average is printed).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Callable

import orjson

from lockdep import Validator
from lockdep.distributed.cluster import client, replay_dask
from lockdep.trace.multi import replay_files

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from replay import generate  # noqa: E402  (the trace shape of the single-file benchmark)


def make_files(directory: str, n_files: int, per_file: int) -> tuple[list[str], int]:
    os.makedirs(directory, exist_ok=True)
    paths, total = [], 0
    for i in range(n_files):
        path = os.path.join(directory, f"machine{i:03}.jsonl")
        stamp = path + f".{per_file}.done"
        if not os.path.exists(stamp):
            n = generate(path, per_file, 1000, 64, seed=100 + i)
            if i == n_files - 1:
                with open(path, "ab") as f:  # the one inversion of the set
                    for op, lock in (("acquire", "l900"), ("acquire", "l10"), ("release", "l10"), ("release", "l900")):
                        f.write(orjson.dumps({"op": op, "task": "late", "lock": lock}) + b"\n")
                n += 4
            with open(stamp, "w") as f:
                f.write(str(n))
        with open(stamp) as f:
            total += int(f.read())
        paths.append(path)
    return paths, total


def _cpu_seconds() -> float:
    """CPU time of a worker process (run on each worker)."""
    import resource

    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _timed(fn: Callable[[], Validator], cpu: Callable[[], float]) -> tuple[float, float, Validator]:
    c0, t0 = cpu(), time.perf_counter()
    v = fn()
    return time.perf_counter() - t0, cpu() - c0, v


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--events-per-file", type=int, default=500_000)
    ap.add_argument("--dir", default="/tmp/lockdep-dask-bench")
    ap.add_argument("--repeat", type=int, default=1, help="rounds (one process, 1 worker, 2 workers); best of each")
    args = ap.parse_args()
    paths, n = make_files(args.dir, args.files, args.events_per_file)
    size = sum(os.path.getsize(p) for p in paths)
    print(f"{len(paths)} files, {n:,} events, {size / 1e6:,.0f} MB; Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores, best of {args.repeat}")
    best: dict[str, tuple[float, float, Validator]] = {}
    loads = []
    with client(workers=1) as c1, client(workers=2) as c2:
        for _ in range(args.repeat):
            runs = {"one process": (lambda: replay_files(paths, Validator()), time.process_time)}
            for name, c in (("dask, 1 worker", c1), ("dask, 2 workers", c2)):
                runs[name] = (lambda c=c: replay_dask(paths, Validator(), c=c),
                              lambda c=c: sum(c.run(_cpu_seconds).values()))
            for name, (fn, cpu) in runs.items():
                r = _timed(fn, cpu)
                if name not in best or r[0] < best[name][0]:
                    best[name] = r
            loads.append(os.getloadavg()[0])
    print(f"{'':<18}{'seconds':>10}{'events/s':>14}{'CPU s':>8}{'findings':>10}")
    for name, (secs, cpu, v) in best.items():
        print(f"{name:<18}{secs:>10.2f}{n / secs:>14,.0f}{cpu:>8.1f}{len(v.findings):>10}")
    print(f"load average after each round (other processes on the machine): {', '.join(f'{x:.1f}' for x in loads)}")
    first = [f.to_dict() for f in best["one process"][2].findings]
    print(f"findings identical: {all([f.to_dict() for f in v.findings] == first for _, _, v in best.values())}")
    one, w1, w2 = (best[k][0] for k in ("one process", "dask, 1 worker", "dask, 2 workers"))
    print(f"2 workers / 1 worker: {w1 / w2:.2f}x; 2 workers / one process: {one / w2:.2f}x")


if __name__ == "__main__":
    main()
