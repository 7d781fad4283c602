"""Events/s of ``lockdep replay`` over many files: one process, and Dask with 1 and 2 workers, side by side.

    python benchmarks/dask_replay.py [--files 20] [--events-per-file 500000] [--dir /tmp/lockdep-dask-bench]

Each file is the trace of benchmarks/replay.py (many tasks running a few
hundred nested-lock patterns over 1,000 classes, one global order) with its
own seed; the last one ends with one inverted pair, so every run must find
exactly one circular dependency.  The files are generated once into --dir
(not the repository) and reused.  The clusters are started before timing:
the figures are extraction + transfer + merge + checks, cluster start-up aside.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--files", type=int, default=20)
    ap.add_argument("--events-per-file", type=int, default=500_000)
    ap.add_argument("--dir", default="/tmp/lockdep-dask-bench")
    args = ap.parse_args()
    paths, n = make_files(args.dir, args.files, args.events_per_file)
    size = sum(os.path.getsize(p) for p in paths)
    print(f"{len(paths)} files, {n:,} events, {size / 1e6:,.0f} MB; Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} cores")
    rows = []
    t0 = time.perf_counter()
    c0 = time.process_time()
    v = replay_files(paths, Validator())
    rows.append(("one process", time.perf_counter() - t0, v))
    cpu = {"one process": time.process_time() - c0}
    for workers in (1, 2):
        with client(workers=workers) as c:
            before = sum(c.run(_cpu_seconds).values())
            t0 = time.perf_counter()
            v = replay_dask(paths, Validator(), c=c)
            name = f"dask, {workers} worker{'s' if workers > 1 else ''}"
            rows.append((name, time.perf_counter() - t0, v))
            cpu[name] = sum(c.run(_cpu_seconds).values()) - before
    print(f"{'':<18}{'seconds':>10}{'events/s':>14}{'CPU s':>8}{'findings':>10}")
    for name, secs, v in rows:
        print(f"{name:<18}{secs:>10.2f}{n / secs:>14,.0f}{cpu[name]:>8.1f}{len(v.findings):>10}")
    print(f"load average at the end (other processes on the machine): {os.getloadavg()[0]:.1f}")
    same = all([f.to_dict() for f in v.findings] == [f.to_dict() for f in rows[0][2].findings] for _, _, v in rows)
    print(f"findings identical: {same}")
    print(f"2 workers / 1 worker: {rows[1][1] / rows[2][1]:.2f}x; 2 workers / one process: "
          f"{rows[0][1] / rows[2][1]:.2f}x")


if __name__ == "__main__":
    main()
