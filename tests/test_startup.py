"""Start-up is a feature: a command imports what it needs when it runs.  Checked on
the modules a real process imported (``python -X importtime``), not on timings
(those are in benchmarks/startup.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from runtime_helpers import env

HEAVY = ("networkx", "rich", "dask", "distributed")
APP = "import threading\nlock = threading.Lock()\nwith lock:\n    pass\nprint('ok')\n"


def imported(args: list[str], cwd: Path, **extra: str) -> set[str]:
    """The top-level packages a ``python -X importtime ARGS`` process imported."""
    p = subprocess.run([sys.executable, "-X", "importtime", *args], cwd=cwd, env=env(**extra),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr[-2000:]
    rows = [line.split("|")[-1] for line in p.stderr.splitlines() if line.startswith("import time:")]
    return {r.strip().split(".")[0] for r in rows[1:]}  # (the first row is the header)


def test_help_imports_no_heavy_library(tmp_path):
    mods = imported(["-m", "lockdep", "--help"], tmp_path)
    assert "lockdep" in mods
    assert mods.isdisjoint(HEAVY)


def test_running_a_program_imports_only_what_it_uses(tmp_path):
    """``python -m lockdep app.py`` on a program without asyncio, futures or a store: none of them,
    nor a report library, is imported (asyncio and concurrent.futures are patched when imported)."""
    (tmp_path / "app.py").write_text(APP)
    mods = imported(["-m", "lockdep", "app.py"], tmp_path)
    assert "lockdep" in mods
    assert mods.isdisjoint({*HEAVY, "asyncio", "concurrent", "logging", "sqlite3", "dataclasses"})


def test_lockdep_unset_imports_nothing_of_lockdep(tmp_path):
    """The ``.pth`` hook of an installed lockdep costs nothing when LOCKDEP is not set."""
    site = Path(sysconfig.get_paths()["purelib"])
    if not (site / "lockdep.pth").exists():
        pytest.skip("lockdep.pth is not installed in this environment's site-packages")
    (tmp_path / "app.py").write_text(APP)
    assert "lockdep" in imported(["app.py"], tmp_path, LOCKDEP="1")
    mods = imported(["app.py"], tmp_path, LOCKDEP="")
    assert "lockdep" not in mods


@pytest.mark.parametrize("program", ["asyncio_lock", "futures"])
def test_modules_imported_after_start_are_still_checked(tmp_path, program):
    """asyncio and concurrent.futures imported by the program once lockdep runs are patched then."""
    code = {
        "asyncio_lock": """
import asyncio
async def main():
    a, b = asyncio.Lock(), asyncio.Lock()
    async with a:
        async with b:
            pass
    async with b:
        async with a:
            pass
asyncio.run(main())
""",
        "futures": """
import threading
from concurrent.futures import ThreadPoolExecutor
lock = threading.Lock()
def work():
    with lock:
        pass
with ThreadPoolExecutor(1) as pool:
    f = pool.submit(work)
    while not f.done():
        pass
    with lock:
        f.result()  # would deadlock had work not run yet: a cycle lock -> future -> lock
""",
    }[program]
    (tmp_path / "app.py").write_text(code)
    p = subprocess.run([sys.executable, "-m", "lockdep", "--json", "out.json", "app.py"], cwd=tmp_path,
                       env=env(), capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr[-2000:]
    found = json.loads((tmp_path / "out.json").read_text())["findings"]
    assert [f["kind"] for f in found] == ["circular_dependency"], p.stderr[-2000:]
