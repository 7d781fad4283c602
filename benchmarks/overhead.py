"""Overhead of the Python runtime: ns per acquire+release pair, raw vs instrumented,
printed side by side as ratios in one run.

    python benchmarks/overhead.py [--n 200000]

Scenarios: a lone lock (explicit calls and ``with``), the innermost of 3 locks
taken in a repeated pattern, and 4 threads contending for one lock.
"""

from __future__ import annotations

import _thread
import argparse
import sys
import threading
import time

import lockdep.runtime as ld
from lockdep.runtime.primitives import Lock as LdLock
from lockdep.runtime.primitives import RLock as LdRLock

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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000)
    n = ap.parse_args().n
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
    raw_with = rows[1][1]
    print(f"Python {sys.version.split()[0]}, pure-Python runtime; ns per acquire+release pair (best of 5)")
    print(f"{'scenario':<30}{'raw ns':>9}{'lockdep ns':>12}{'ratio':>8}{'vs raw Lock with':>18}")
    for name, r, i in rows:
        print(f"{name:<30}{r:>9.0f}{i:>12.0f}{i / r:>7.1f}x{i / raw_with:>17.1f}x")
    print(f"findings: {len(rt.validator.findings)}, chain cache hits: {rt.validator.chain_hits}")
    ld.disable()


if __name__ == "__main__":
    main()
