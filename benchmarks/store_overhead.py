"""Cost of the lock-history store: a 1,000-test pytest session under ``--lockdep``,
without and with ``--lockdep-db``, side by side (best of N, alternating).

    python benchmarks/store_overhead.py [--tests 1000] [--repeat 3]

The tests take nested locks of 100 classes in one global order (a clean suite
with a few hundred dependencies).  Two cases with the store: a new store per
session (the whole cost: create, merge) and one store reused between
repetitions, as a CI cache would be (the runs load the history of the earlier
ones: known dependencies need no graph search).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time

SRC = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "src")


def write_suite(d: str, n_tests: int) -> None:
    with open(os.path.join(d, "locks.py"), "w") as f:
        f.write("import threading\nLOCKS = []\n")
        for i in range(100):
            f.write(f"L{i} = threading.Lock(); LOCKS.append(L{i})\n")
    with open(os.path.join(d, "test_suite.py"), "w") as f:
        f.write("import random\nfrom locks import LOCKS\n")
        for i in range(n_tests):
            f.write(textwrap.dedent(f"""
                def test_{i}():
                    picked = sorted(random.Random({i}).sample(range(100), 3))
                    a, b, c = (LOCKS[k] for k in picked)
                    for _ in range(20):
                        with a:
                            with b:
                                with c:
                                    pass
            """))


def session(d: str, *extra: str) -> float:
    env = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}
    env = {k: v for k, v in env.items() if not k.startswith("LOCKDEP") or k == "LOCKDEP_CORE"}
    t0 = time.perf_counter()
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--lockdep", *extra],
                       cwd=d, env=env, capture_output=True, text=True)
    secs = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit(f"session failed:\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return secs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tests", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        write_suite(d, args.tests)
        db = os.path.join(d, "history.db")
        without, cold, warm = [], [], []
        for i in range(args.repeat):
            without.append(session(d))
            cold.append(session(d, "--lockdep-db", os.path.join(d, f"new-{i}.db")))  # a store of its own
            warm.append(session(d, "--lockdep-db", db))
        a, b, c = min(without), min(cold), min(warm)
        print(f"{args.tests} tests, best of {args.repeat}; Python {sys.version.split()[0]}; "
              f"load average {os.getloadavg()[0]:.1f}")
        print(f"{'--lockdep':<40}{a:>8.2f} s")
        print(f"{'--lockdep --lockdep-db (new store)':<40}{b:>8.2f} s")
        print(f"{'--lockdep --lockdep-db (reused store)':<40}{c:>8.2f} s")
        print(f"ratio with/without store: new store {b / a:.3f} ({(b / a - 1) * 100:+.1f} %), "
              f"reused store {c / a:.3f} ({(c / a - 1) * 100:+.1f} %)")


if __name__ == "__main__":
    main()
