"""Start-up of a checked program, as whole processes: ``python app.py`` against
``python -m lockdep app.py`` and ``LOCKDEP=1 python app.py``, side by side.

    python benchmarks/startup.py [--runs 15]

``app.py`` takes one lock and exits, so what is measured is what lockdep adds
to starting and ending a process.  The runs of each command alternate; the
best run of each is kept (the least disturbed by other jobs on the machine).
Bytecode is compiled once before timing, as an installed package has it
(PYTHONDONTWRITEBYTECODE is cleared for the children).  ``LOCKDEP=1`` needs
``lockdep.pth`` in site-packages (``pip install [-e] .``); the lockdep that
runs is the one the children import (PYTHONPATH first: compare two trees with
``PYTHONPATH=/tmp/old/src python benchmarks/startup.py``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

APP = "import threading\nlock = threading.Lock()\nwith lock:\n    pass\n"


def commands(app: str) -> list[tuple[str, list[str], dict[str, str]]]:
    py = sys.executable
    return [
        ("python app.py", [py, app], {}),
        ("python -m lockdep app.py", [py, "-m", "lockdep", app], {}),
        ("LOCKDEP=1 python app.py", [py, app], {"LOCKDEP": "1"}),
        ("lockdep --help", [py, "-m", "lockdep", "--help"], {}),
    ]


def child_env(extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCKDEP") and k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, **extra}


def time_once(argv: list[str], env: dict[str, str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=15, help="runs of each command (default 15)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        app = os.path.join(d, "app.py")
        with open(app, "w", encoding="utf-8") as f:
            f.write(APP)
        rows = [(label, argv, child_env(extra)) for label, argv, extra in commands(app)]
        for _, argv, env in rows:  # warm-up: writes the bytecode, fills the OS caches
            time_once(argv, env)
        best = {label: float("inf") for label, _, _ in rows}
        for _ in range(args.runs):
            for label, argv, env in rows:
                best[label] = min(best[label], time_once(argv, env))
    plain = best["python app.py"]
    print(f"Python {sys.version.split()[0]}; whole processes, best of {args.runs}")
    print(f"{'command':<28}{'ms':>8}{'minus plain':>14}")
    for label, _, _ in rows:
        extra = "" if label == "python app.py" else f"{(best[label] - plain) * 1e3:+.1f}"
        print(f"{label:<28}{best[label] * 1e3:>8.1f}{extra:>14}")


if __name__ == "__main__":
    main()
