"""Recall on real bugs: run lockdep on buggy and fixed releases of PyPI libraries.

For every bug of bugs.py and each of its two releases this makes a venv
/work/venvs/recall-<bug>-{buggy,fixed} (outside the repository), installs this
checkout (a wheel built once per run, not editable) and the library at that
version, runs `python -m lockdep --json out.json <driver>` and records which
findings came out. A buggy release counts as found when one of the bug's
expected kinds is reported naming the bug's lock (its witness); a fixed release
counts as clean when nothing is reported.

    python benchmarks/recall/run.py                 # every bug
    python benchmarks/recall/run.py tqdm_del_monitor  # some bugs
    python benchmarks/recall/run.py --fresh         # rebuild the venvs too

Writes benchmarks/recall/results.json and reports/<bug>-<variant>.txt (the
report text lockdep printed), and prints the table of RESULTS.md.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bugs import BUGS, Bug

HERE = Path(__file__).resolve().parent
CHECKOUT = HERE.parent.parent
VENVS = Path(os.environ.get("LOCKDEP_RECALL_VENVS", "/work/venvs"))
PYTHON = os.environ.get("LOCKDEP_RECALL_PYTHON", sys.executable)
RUN_TIMEOUT = 120  # seconds; a driver never blocks for real, so this is a hang guard


def sh(*cmd: str | Path, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], check=True, capture_output=True, text=True, **kw)


def build_wheel(out: Path) -> Path:
    sh(PYTHON, "-m", "pip", "wheel", "-q", "--no-deps", "-w", out, CHECKOUT)
    return next(out.glob("lockdep-*.whl"))


def prepare_venv(bug: Bug, variant: str, wheel: Path, fresh: bool) -> Path:
    venv = VENVS / f"recall-{bug.name}-{variant}"
    version = bug.version(variant)
    pip = venv / "bin" / "pip"
    installed = venv / ".recall-installed"  # written once the library is in: a failed install is redone
    if fresh or not installed.exists():
        shutil.rmtree(venv, ignore_errors=True)
        sh(PYTHON, "-m", "venv", venv)
        sh(pip, "install", "-q", wheel, f"{bug.package}=={version}", *bug.extra)
        installed.write_text(f"{bug.package}=={version}\n")
    # the library stays; lockdep is always this checkout as of now
    sh(pip, "install", "-q", "--force-reinstall", "--no-deps", wheel)
    return venv


def run_driver(bug: Bug, variant: str, venv: Path) -> dict:
    work = venv / "run"
    work.mkdir(exist_ok=True)
    out = work / "out.json"
    out.unlink(missing_ok=True)
    cmd = [venv / "bin" / "python", "-m", "lockdep", "--json", out, HERE / bug.driver]
    try:
        proc = subprocess.run([str(c) for c in cmd], cwd=work, capture_output=True, text=True,
                              timeout=RUN_TIMEOUT)
        rc, stdout, stderr = proc.returncode, proc.stdout, proc.stderr
    except subprocess.TimeoutExpired as exc:
        rc, stdout, stderr = "timeout", exc.stdout or "", exc.stderr or ""
    (HERE / "reports").mkdir(exist_ok=True)
    (HERE / "reports" / f"{bug.name}-{variant}.txt").write_text(
        f"$ {' '.join(str(c) for c in cmd)}\nexit: {rc}\n--- stdout\n{stdout}--- stderr\n{stderr}")
    findings = json.loads(out.read_text())["findings"] if out.exists() else None
    return {
        "version": bug.version(variant),
        "exit": rc,
        "findings": None if findings is None else [
            {"kind": f["kind"], "classes": f["classes"]} for f in findings],
    }


def verdict(bug: Bug, result: dict, variant: str) -> str:
    findings = result["findings"]
    if findings is None or result["exit"] != 0:
        return f"ERROR (driver exit {result['exit']})"
    if variant == "buggy":
        hits = [f for f in findings if f["kind"] in bug.expected]
        if any(bug.witness in c for f in hits for c in f["classes"]):
            return "REPORTED"
        return "REPORTED (other classes)" if hits else "MISSED"
    return "CLEAN" if not findings else "REPORTED (false)"


def describe(findings: list[dict] | None) -> str:
    if not findings:
        return "-"
    return "; ".join(f"{f['kind']}: {' / '.join(f['classes'])}" for f in findings)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bugs", nargs="*", help="names from bugs.py (default: all)")
    ap.add_argument("--fresh", action="store_true", help="recreate the venvs")
    args = ap.parse_args(argv)
    wanted = [b for b in BUGS if not args.bugs or b.name in args.bugs]
    unknown = set(args.bugs) - {b.name for b in BUGS}
    if unknown:
        ap.error(f"unknown bug(s): {', '.join(sorted(unknown))}")

    results_path = HERE / "results.json"
    results = json.loads(results_path.read_text()) if results_path.exists() else {}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            wheel = build_wheel(Path(tmp))
            for bug in wanted:
                entry = {}
                for variant in ("buggy", "fixed"):
                    venv = prepare_venv(bug, variant, wheel, args.fresh)
                    entry[variant] = run_driver(bug, variant, venv)
                    entry[variant]["verdict"] = verdict(bug, entry[variant], variant)
                    print(f"{bug.name:32} {variant:5} {entry[variant]['verdict']:24} "
                          f"{describe(entry[variant]['findings'])}", flush=True)
                results[bug.name] = entry
    except subprocess.CalledProcessError as exc:
        last = (exc.stderr or "").strip().splitlines()[-1:] or ["(no output)"]
        print(f"recall: {' '.join(map(str, exc.cmd))} failed: {last[0]}", file=sys.stderr)
        return 2
    results_path.write_text(json.dumps(results, indent=1, sort_keys=True) + "\n")

    print("\n| bug | library | buggy | reported? | fixed | clean? |")
    print("|---|---|---|---|---|---|")
    for bug in BUGS:
        if bug.name in results:
            r = results[bug.name]
            print(f"| {bug.name} | {bug.package} | {bug.buggy} | {r['buggy']['verdict']} "
                  f"| {bug.fixed} | {r['fixed']['verdict']} |")
    ok = all(results[b.name]["buggy"]["verdict"] == "REPORTED"
             and results[b.name]["fixed"]["verdict"] == "CLEAN" for b in wanted)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
