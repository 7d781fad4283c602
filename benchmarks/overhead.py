"""Overhead of the Python runtime: ns per acquire+release pair, raw vs instrumented
(C core and pure-Python core), printed side by side as ratios in one run.

    python benchmarks/overhead.py [--n 200000] [--rounds 7]

Each core is measured in a child process (the core is chosen at import, by
LOCKDEP_CORE).  Inside a child, raw and instrumented runs of a scenario
alternate, ``--rounds`` times each, and the best of each is kept: a load
change on the machine hits both sides alike.  Rows count CPU time, so that
other processes on a shared machine do not: the thread's
(time.thread_time_ns), and the process's for the 4-thread rows (with the
GIL, that is their wall time on an idle machine).

Per-lock rows (the rows of issue 11's table, plus their RLock and explicit-call
variants): a lone lock (explicit calls and ``with``), the innermost of 3 nested
locks, an RLock taken again by its owner, and 4 threads contending for one lock.
Then the rest of the table (unless ``--per-lock``): start-up of ``python -m lockdep
app.py`` and ``LOCKDEP=1`` as whole processes (benchmarks/startup.py) and the
1 M-event ``lockdep replay`` (benchmarks/replay.py).
"""

from __future__ import annotations

import _thread
import argparse
import json
import os
import subprocess
import sys
import threading
import time
from typing import Any, Callable

import lockdep.runtime as ld

RawLock, RawRLock = _thread.allocate_lock, _thread.RLock


cpu_ns = time.thread_time_ns


def lone_calls(lock: Any, n: int) -> float:
    acquire, release = lock.acquire, lock.release
    t = cpu_ns()
    for _ in range(n):
        acquire()
        release()
    return (cpu_ns() - t) / n


def lone_with(lock: Any, n: int) -> float:
    t = cpu_ns()
    for _ in range(n):
        with lock:
            pass
    return (cpu_ns() - t) / n


def reentry(lock: Any, n: int) -> float:
    """An RLock its owner already holds, taken and released again."""
    acquire, release = lock.acquire, lock.release
    with lock:
        t = cpu_ns()
        for _ in range(n):
            acquire()
            release()
        return (cpu_ns() - t) / n


def nested3(locks: list[Any], n: int) -> float:
    a, b, c = locks
    n //= 3
    t = cpu_ns()
    for _ in range(n):
        with a:
            with b:
                with c:
                    pass
    return (cpu_ns() - t) / (3 * n)


def contended(lock: Any, n: int, threads: int = 4) -> float:
    per = n // threads

    def work() -> None:
        for _ in range(per):
            with lock:
                pass

    ts = [threading.Thread(target=work) for _ in range(threads)]
    t = time.process_time_ns()
    for x in ts:
        x.start()
    for x in ts:
        x.join()
    return (time.process_time_ns() - t) / (per * threads)


#: row -> (how it is measured, makes its lock(s) from a factory, target ratio C core, target pure-Python core)
ROWS: dict[str, tuple[Callable[[Any, int], float], Callable[[Callable[[], Any]], Any], str, str]] = {
    "Lock with": (lone_with, lambda f: f(), "1.5", "4"),
    "Lock with, 3 nested": (nested3, lambda f: [f(), f(), f()], "1.5", "4"),
    "Lock acquire()+release()": (lone_calls, lambda f: f(), "", ""),
    "Lock with, 4 threads": (contended, lambda f: f(), "2", "6"),
    "RLock acquire()+release()": (lone_calls, lambda f: f(), "2", ""),
    "RLock with": (lone_with, lambda f: f(), "", ""),
    "RLock re-entry by its owner": (reentry, lambda f: f(), "", ""),
    "RLock with, 3 nested": (nested3, lambda f: [f(), f(), f()], "", ""),
    "RLock with, 4 threads": (contended, lambda f: f(), "", ""),
}


def measure(n: int, rounds: int) -> dict[str, tuple[float, float]]:
    """row -> (raw ns, instrumented ns), best of ``rounds`` alternating runs."""
    from lockdep.runtime.primitives import allocate_lock as LdLock
    from lockdep.runtime.primitives import RLock as LdRLock

    rt = ld.enable(quiet=True, summary=False)
    out = {}
    for row, (fn, make, _, _) in ROWS.items():
        raw_t, ld_t = (RawRLock, LdRLock) if row.startswith("RLock") else (RawLock, LdLock)
        raw, ins = make(raw_t), make(ld_t)
        k = n if "threads" not in row else n // 2
        fn(ins, k // 10)  # warm up: the chains are validated once, off the clock
        best_raw = best_ins = float("inf")
        for _ in range(rounds):
            best_raw = min(best_raw, fn(raw, k))
            best_ins = min(best_ins, fn(ins, k))
        out[row] = (best_raw, best_ins)
    assert not rt.validator.findings, "the benchmark itself must be clean"
    ld.disable()
    return out


def per_lock_table(n: int, rounds: int) -> list[str]:
    results: dict[str, dict[str, list[float]]] = {}
    lines = []
    for core in ("c", "python"):
        p = subprocess.run([sys.executable, __file__, "--child", "--n", str(n), "--rounds", str(rounds)],
                           capture_output=True, text=True, env={**os.environ, "LOCKDEP_CORE": core})
        if p.returncode != 0:
            lines.append(f"{core} core: not available "
                         f"({p.stderr.strip().splitlines()[-1] if p.stderr else p.returncode})")
            continue
        results[core] = json.loads(p.stdout)
    lines.append(f"Python {sys.version.split()[0]}; ns per acquire+release pair, best of {rounds} alternating runs; "
                 "ratio = instrumented / raw of the same scenario, in the same process")
    lines.append(f"{'scenario':<29}{'raw ns':>7}{'C core':>8}{'ratio':>7}{'target':>8}   "
                 f"{'raw ns':>7}{'Python core':>12}{'ratio':>7}{'target':>8}")
    for row, (_, _, c_target, py_target) in ROWS.items():
        line = f"{row:<29}"
        for core, target, width in (("c", c_target, 8), ("python", py_target, 12)):
            if core not in results:
                line += " " * (width + 25)
                continue
            raw, ins = results[core][row]
            ratio = ins / raw
            verdict = ("ok" if ratio <= float(target) else "--") if target else ""
            line += f"{raw:>7.0f}{ins:>{width}.0f}{ratio:>6.1f}x{'<=' + target + 'x' if target else '':>8} {verdict:<2}"
        lines.append(line.rstrip())
    return lines


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--per-lock", action="store_true",
                    help="only the per-lock rows (by default the start-up and replay rows follow, from "
                         "benchmarks/startup.py and benchmarks/replay.py)")
    a = ap.parse_args()
    if a.child:
        print(json.dumps(measure(a.n, a.rounds)))
        return
    print("\n".join(per_lock_table(a.n, a.rounds)), flush=True)
    if not a.per_lock:
        here = os.path.dirname(os.path.abspath(__file__))
        for script in ("startup.py", "replay.py"):  # whole processes: their own scripts, one after the other
            print(f"\n$ python benchmarks/{script}", flush=True)
            subprocess.run([sys.executable, os.path.join(here, script)], check=True)


if __name__ == "__main__":
    main()
