"""Overhead of the Python runtime: ns per acquire+release pair, raw vs instrumented
(C core and pure-Python core), printed side by side as ratios in one run.

    python benchmarks/overhead.py [--n 200000]

Each core is measured in a child process (the core is chosen at import, by
LOCKDEP_CORE); the raw figures come from the same children.

Scenarios: a lone lock (explicit calls and ``with``), the innermost of 3 locks
taken in a repeated pattern, and 4 threads contending for one lock.
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

import lockdep.runtime as ld
RawLock, RawRLock = _thread.allocate_lock, _thread.RLock


def lone_calls(lock, n):
    acquire, release = lock.acquire, lock.release
    t = time.perf_counter_ns()
    for _ in range(n):
        acquire()
        release()
    return (time.perf_counter_ns() - t) / n


def lone_with(lock, n):
    t = time.perf_counter_ns()
    for _ in range(n):
        with lock:
            pass
    return (time.perf_counter_ns() - t) / n


def nested3(locks, n):
    a, b, c = locks
    t = time.perf_counter_ns()
    for _ in range(n):
        with a:
            with b:
                with c:
                    pass
    return (time.perf_counter_ns() - t) / (3 * n)


def contended(lock, n, threads=4):
    per = n // threads

    def work():
        for _ in range(per):
            with lock:
                pass

    ts = [threading.Thread(target=work) for _ in range(threads)]
    t = time.perf_counter_ns()
    for x in ts:
        x.start()
    for x in ts:
        x.join()
    return (time.perf_counter_ns() - t) / (per * threads)


def best(fn, *args, repeat=5):
    return min(fn(*args) for _ in range(repeat))


def measure(n: int) -> list[tuple[str, float, float]]:
    from lockdep.runtime.primitives import Lock as LdLock
    from lockdep.runtime.primitives import RLock as LdRLock

    rt = ld.enable(quiet=True, summary=False)
    rows = []
    for kind, raw_t, ld_t in (("Lock", RawLock, LdLock), ("RLock", RawRLock, LdRLock)):
        raw, ins = raw_t(), ld_t()
        raws = [raw_t() for _ in range(3)]
        inss = [ld_t(), ld_t(), ld_t()]
        rows.append((f"{kind} acquire()+release()", best(lone_calls, raw, n), best(lone_calls, ins, n)))
        rows.append((f"{kind} with", best(lone_with, raw, n), best(lone_with, ins, n)))
        rows.append((f"{kind} with, 3 nested", best(nested3, raws, n // 3), best(nested3, inss, n // 3)))
        rows.append((f"{kind} with, 4 threads", best(contended, raw, n, repeat=3), best(contended, ins, n, repeat=3)))
    assert not rt.validator.findings, "the benchmark itself must be clean"
    ld.disable()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        from lockdep.runtime.primitives import CORE

        print(json.dumps({"core": CORE, "rows": measure(a.n)}))
        return
    results = {}
    for core in ("c", "python"):
        p = subprocess.run([sys.executable, __file__, "--child", "--n", str(a.n)], capture_output=True, text=True,
                           env={**os.environ, "LOCKDEP_CORE": core})
        if p.returncode != 0:
            print(f"{core} core: not available ({p.stderr.strip().splitlines()[-1] if p.stderr else p.returncode})")
            continue
        results[core] = json.loads(p.stdout)["rows"]
    print(f"Python {sys.version.split()[0]}; ns per acquire+release pair (best of 5); "
          "ratio = instrumented / raw of the same scenario")
    print(f"{'scenario':<28}{'raw ns':>8}{'C core':>9}{'ratio':>7}{'Python core':>13}{'ratio':>7}")
    base = results.get("c") or results.get("python") or []
    for i, (name, raw, _) in enumerate(base):
        line = f"{name:<28}{raw:>8.0f}"
        for core in ("c", "python"):
            if core in results:
                _, r, ins = results[core][i]
                line += f"{ins:>9.0f}{ins / r:>6.1f}x" if core == "c" else f"{ins:>13.0f}{ins / r:>6.1f}x"
        print(line)


if __name__ == "__main__":
    main()
