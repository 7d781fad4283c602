"""Where the pure-Python core's ``with lock:`` goes: the hit path built up one ingredient
at a time, each next to a raw lock in the same process (ns per ``with`` and ratio).

    LOCKDEP_CORE=python python benchmarks/pycore_floor.py [--n 200000] [--rounds 9] [--instructions]

Rows, each adding to the one before (models of the hit path's work, without its checks, each
written out: a shared helper would cost more than some of what they measure):
``python with`` is a Python-level ``__enter__``/``__exit__`` around the raw lock, taken
as the core takes it (a try first); ``+ thread-local`` reads the calling thread's state on
both sides; ``+ call site`` reads the caller's code and instruction offset and compares
them with the entry's; ``+ bookkeeping`` looks the chain key up, counts the event, and
pushes and pops the entry as the core does.  The last row is lockdep's own ``Lock``
(``LOCKDEP_CORE=python``): what it costs beyond the model is its checks.  Same
measurement as benchmarks/overhead.py: best of ``--rounds`` alternating runs, thread CPU time;
or with ``--instructions``, machine instructions counted by valgrind (deterministic).
"""

from __future__ import annotations

import _thread
import argparse
import os
import sys
from typing import Any

from overhead import lone_with  # (this folder: the same loop as the per-lock rows)

_getframe = sys._getframe


class PythonWith:
    __slots__ = ("_block",)

    def __init__(self) -> None:
        self._block = _thread.allocate_lock()

    def __enter__(self) -> bool:
        if not self._block.acquire(False):
            return self._block.acquire()
        return True

    def __exit__(self, t: Any, v: Any, tb: Any) -> None:
        self._block.release()


class Entry:
    __slots__ = ("site", "seq", "refs", "chain_key", "node")

    def __init__(self) -> None:
        self.site: tuple = (None, -1)
        self.seq = self.refs = self.chain_key = self.node = 0


class State:
    __slots__ = ("held", "last_acq", "ctx")

    def __init__(self) -> None:
        self.held: list[Entry] = []
        self.last_acq: dict[int, Entry] = {}
        self.ctx = 0


class Counter:
    __slots__ = ("seq",)

    def __init__(self) -> None:
        self.seq = 0


tls: Any = _thread._local()
tls.ts = State()
counter = Counter()
next_keys: dict[int, dict[int, int]] = {0: {-1: 12345}}


class PlusThreadLocal(PythonWith):
    __slots__ = ()

    def __enter__(self) -> bool:
        if not self._block.acquire(False):
            return self._block.acquire()
        tls.ts
        return True

    def __exit__(self, t: Any, v: Any, tb: Any) -> None:
        self._block.release()
        tls.ts


class PlusCallSite(PythonWith):
    __slots__ = ("_entry",)

    def __init__(self) -> None:
        super().__init__()
        self._entry = Entry()

    def __enter__(self) -> bool:
        if not self._block.acquire(False):
            return self._block.acquire()
        tls.ts
        h = self._entry
        frame = _getframe(1)
        code = frame.f_code
        lasti = frame.f_lasti
        site = h.site
        if site[0] is not code or site[1] != lasti:
            h.site = (code, lasti)
        return True

    def __exit__(self, t: Any, v: Any, tb: Any) -> None:
        self._block.release()
        tls.ts


class PlusBookkeeping(PlusCallSite):
    __slots__ = ()

    def __enter__(self) -> bool:
        if not self._block.acquire(False):
            return self._block.acquire()
        ts = tls.ts
        held = ts.held
        key = next_keys[0][held[-1].chain_key if held else -1]
        h = self._entry
        frame = _getframe(1)
        code = frame.f_code
        lasti = frame.f_lasti
        site = h.site
        if site[0] is not code or site[1] != lasti:
            h.site = (code, lasti)
        h.seq = counter.seq = counter.seq + 1
        h.refs = 1
        h.chain_key = key
        ts.last_acq[h.node] = h
        held.append(h)
        return True

    def __exit__(self, t: Any, v: Any, tb: Any) -> None:
        self._block.release()
        held = tls.ts.held
        h = self._entry
        if held and held[-1] is h:
            del held[-1]
            h.refs = 0


def make_rows() -> dict[str, Any]:
    from lockdep.runtime.primitives import allocate_lock as Lock

    return {"raw lock": _thread.allocate_lock(), "python with": PythonWith(), "+ thread-local": PlusThreadLocal(),
            "+ call site": PlusCallSite(), "+ bookkeeping": PlusBookkeeping(), "pure-Python core Lock": Lock()}


def timed(n: int, rounds: int) -> dict[str, float]:
    """row -> ns per ``with``, best of ``rounds`` alternating runs"""
    rows = make_rows()
    for lock in rows.values():
        lone_with(lock, n // 10)  # warm up (and the core's chain validated once)
    best = {row: float("inf") for row in rows}
    for _ in range(rounds):
        for row, lock in rows.items():
            best[row] = min(best[row], lone_with(lock, n))
    return best


def instructions() -> dict[str, float]:
    """row -> machine instructions per ``with`` (valgrind's callgrind: the difference between a
    loop of 21,000 and one of 1,000, in processes with a fixed hash seed): immune to the load
    of a shared machine, where timings of a few nanoseconds are not."""
    import re
    import subprocess

    def count(row: str, n: int) -> int:
        p = subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                            __file__, "--loop", row, str(n)], capture_output=True, text=True,
                           env={**os.environ, "PYTHONHASHSEED": "0"}, check=True)
        m = re.search(r"Collected : (\d+)", p.stderr)
        assert m, p.stderr
        return int(m.group(1))

    return {row: (count(row, 21_000) - count(row, 1_000)) / 20_000 for row in make_rows()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200_000)
    ap.add_argument("--rounds", type=int, default=9)
    ap.add_argument("--instructions", action="store_true",
                    help="count machine instructions per `with` under valgrind instead of timing")
    ap.add_argument("--loop", nargs=2, metavar=("ROW", "N"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if os.environ.get("LOCKDEP_CORE") != "python":
        sys.exit("run with LOCKDEP_CORE=python: the last row is the pure-Python core's Lock")
    import lockdep.runtime as ld

    rt = ld.enable(quiet=True, summary=False)
    if a.loop:  # one row's loop, for --instructions
        lock = make_rows()[a.loop[0]]
        lone_with(lock, 100)
        lone_with(lock, int(a.loop[1]))
        return
    if a.instructions:
        ld.disable()
        results, unit, how = instructions(), "instructions", "machine instructions per `with lock: pass`"
    else:
        results, unit, how = timed(a.n, a.rounds), "ns", f"ns per `with lock: pass`, best of {a.rounds} alternating runs"
        assert not rt.validator.findings
        ld.disable()
    raw = results["raw lock"]
    print(f"Python {sys.version.split()[0]}; {how}")
    for row, x in results.items():
        print(f"{row:<24}{x:>7.0f} {unit} {x / raw:>5.1f}x")


if __name__ == "__main__":
    main()
