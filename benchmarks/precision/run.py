"""Precision harness: run thread-heavy PyPI test suites plain and under ``pytest --lockdep=warn``.

For each suite of ``projects.py``: a venv under /work/venvs/precision-<suite> (outside the repo) gets this
checkout or --lockdep-ref (re-installed before every run), the pinned PyPI release and its test
dependencies; the release's sdist (``pip download --no-binary :all:``) gives the test suite.  The chosen
tests run twice, plain and instrumented; the harness records per-test outcomes (JUnit XML), wall times and
every finding with the test it appeared in, into ``results/<label>.json``, and rewrites RESULTS.md from all
labels and ``verdicts.json``.

    python benchmarks/precision/run.py                       # all suites, label "current"
    python benchmarks/precision/run.py --suites pykka-actors,janus
    python benchmarks/precision/run.py --label baseline --lockdep-ref c38db9d   # another commit of lockdep
    python benchmarks/precision/run.py --report              # only rewrite RESULTS.md
"""

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))

from projects import BY_NAME, SUITES, Suite  # noqa: E402
from report import write_results  # noqa: E402

VENVS = Path(os.environ.get("PRECISION_VENVS", "/work/venvs"))
CACHE = VENVS / "precision-cache"
VENV_PATH = re.compile(r"/[^\s:@()]*?/site-packages/")
TIMEOUT = 600  # seconds for one pytest run; past it the run is a hang (tracebacks via faulthandler)


class SetupError(Exception):
    pass


def sh(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    proc = subprocess.run(cmd, text=True, capture_output=True, **kw)
    if proc.returncode:
        errors = [line for line in proc.stderr.splitlines() if "ERROR" in line or "rror:" in line]
        raise SetupError(f"{' '.join(cmd[:6])}...: exit {proc.returncode}: {' '.join(errors)[-600:]}")
    return proc


def venv_for(suite: Suite, fresh_deps: bool, lockdep_src: Path) -> Path:
    venv = VENVS / f"precision-{suite.name}"
    py = venv / "bin" / "python"
    marker = venv / ".precision-deps"
    wanted = " ".join([suite.requirement, *suite.deps])
    if not py.exists():
        sh([sys.executable, "-m", "venv", str(venv)])
    if fresh_deps or not marker.exists() or marker.read_text() != wanted:
        sh([str(py), "-m", "pip", "install", "-q", suite.requirement, *suite.deps])
        marker.write_text(wanted)
    # lockdep, re-installed every run (non-editable: the C core is built as a user gets it)
    sh([str(py), "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", str(lockdep_src)])
    return py


def sources_for(suite: Suite) -> Path:
    unpacked = CACHE / "src"
    for d in unpacked.glob("*"):
        if d.name.lower().replace("_", "-") == f"{suite.package}-{suite.version}".lower().replace("_", "-"):
            return d
    sdists = CACHE / "sdists"
    sdists.mkdir(parents=True, exist_ok=True)
    sh([sys.executable, "-m", "pip", "download", "-q", "--no-binary", ":all:", "--no-deps", "-d", str(sdists),
        suite.requirement])
    stem = f"{suite.package}-{suite.version}".lower().replace("-", "_")
    for f in sdists.glob("*.tar.gz"):
        if f.name.lower().replace("-", "_").startswith(stem):
            with tarfile.open(f) as t:
                t.extractall(unpacked, filter="data")
            return sources_for(suite)
    raise SetupError(f"no sdist for {suite.requirement} in {sdists}")


def outcomes(junit: Path) -> dict[str, str]:
    """Test id -> passed / failed / error / skipped, from pytest's JUnit XML."""
    if not junit.exists():
        return {}
    out = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        key = f"{case.get('classname')}::{case.get('name')}"
        tags = {child.tag for child in case}
        out[key] = ("failed" if "failure" in tags else "error" if "error" in tags
                    else "skipped" if "skipped" in tags else "passed")
    return out


def trimmed(obj, depth: int = 8):
    """A finding with its stacks cut to their innermost frames and venv paths shortened (results stay small)."""
    if isinstance(obj, dict):
        return {k: (trimmed(v[:depth]) if k.endswith("stack") and isinstance(v, list) else trimmed(v))
                for k, v in obj.items()}
    if isinstance(obj, list):
        return [trimmed(v) for v in obj]
    if isinstance(obj, str):
        return VENV_PATH.sub("", obj)
    return obj


def default_sigint() -> None:
    """A background shell starts its jobs with SIGINT ignored, and Python then keeps it ignored: tests that
    interrupt the main thread (dask's test_interrupt) would hang."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_pytest(py: Path, suite: Suite, src: Path, logdir: Path, instrumented: bool, core: str) -> dict:
    tag = "lockdep" if instrumented else "plain"
    junit = logdir / f"{suite.name}.{tag}.xml"
    log = logdir / f"{suite.name}.{tag}.log"
    cmd = [str(py), "-X", "faulthandler", "-m", "pytest", "-p", "no:cacheprovider", "-rfE",
           f"--junitxml={junit}", *suite.tests, *suite.pytest_args]
    env = {**os.environ, **suite.env, "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("LOCKDEP", None)
    env.pop("PYTHONPATH", None)
    findings_path = logdir / f"{suite.name}.findings.json"
    probe_path = logdir / f"{suite.name}.probe.json"
    if instrumented:
        for p in (findings_path, probe_path):
            p.unlink(missing_ok=True)
        cmd += ["-p", "ldprobe", "--lockdep=warn", f"--lockdep-json={findings_path}"]
        env["PYTHONPATH"] = str(HERE / "plugin")
        env["LDPROBE_OUT"] = str(probe_path)
        if core:
            env["LOCKDEP_CORE"] = core
    junit.unlink(missing_ok=True)
    start = time.perf_counter()
    with open(log, "w") as out:
        proc = subprocess.Popen(cmd, cwd=src, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                                preexec_fn=default_sigint)
        hung = False
        try:
            rc = proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            hung = True
            os.killpg(proc.pid, signal.SIGABRT)  # faulthandler prints every thread's stack into the log
            time.sleep(2)
            os.killpg(proc.pid, signal.SIGKILL)
            rc = proc.wait()
    wall = time.perf_counter() - start
    text = log.read_text(errors="replace")
    hung = hung or "+ Timeout +" in text  # pytest-timeout dumped the stacks and ended the run
    res = {"rc": rc, "wall": round(wall, 2), "hung": hung, "outcomes": outcomes(junit), "log": str(log),
           "tail": text.splitlines()[-3:]}
    if instrumented:
        findings = json.loads(findings_path.read_text())["findings"] if findings_path.exists() else []
        owners = json.loads(probe_path.read_text())["tests"] if probe_path.exists() else []
        for i, f in enumerate(findings):
            f["test"] = owners[i] if i < len(owners) else "?"
        res["findings"] = [trimmed(f) for f in findings]
        res["json_written"] = findings_path.exists()
    return res


def run_suite(suite: Suite, fresh_deps: bool, lockdep_src: Path, core: str) -> dict:
    print(f"== {suite.name}: installing", flush=True)
    py = venv_for(suite, fresh_deps, lockdep_src)
    src = sources_for(suite)
    logdir = CACHE / "logs"
    logdir.mkdir(parents=True, exist_ok=True)
    print(f"== {suite.name}: plain run", flush=True)
    plain = run_pytest(py, suite, src, logdir, instrumented=False, core=core)
    print(f"   {plain['wall']} s, rc {plain['rc']}: {plain['tail'][-1:]}", flush=True)
    print(f"== {suite.name}: lockdep run", flush=True)
    instr = run_pytest(py, suite, src, logdir, instrumented=True, core=core)
    print(f"   {instr['wall']} s, rc {instr['rc']}, {len(instr['findings'])} findings", flush=True)
    changed = {t: [plain["outcomes"].get(t), instr["outcomes"].get(t)]
               for t in sorted(set(plain["outcomes"]) | set(instr["outcomes"]))
               if plain["outcomes"].get(t) != instr["outcomes"].get(t)}
    return {"requirement": suite.requirement, "deps": list(suite.deps), "tests": list(suite.tests),
            "pytest_args": list(suite.pytest_args), "plain": plain, "lockdep": instr, "changed": changed}


def git(*args: str) -> str:
    return sh(["git", "-C", str(REPO), *args]).stdout.strip()


def export(ref: str) -> Path:
    """The tree of lockdep at ``ref``, unpacked under the cache (for --lockdep-ref)."""
    sha = git("rev-parse", "--short", ref)
    dest = CACHE / f"lockdep-{sha}"
    if not dest.exists():
        dest.mkdir(parents=True)
        archive = subprocess.run(["git", "-C", str(REPO), "archive", sha], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--label", default="current", help="results/<label>.json (baseline, current)")
    ap.add_argument("--suites", default="", help="comma-separated suite names (default: all)")
    ap.add_argument("--fresh-deps", action="store_true", help="re-install the release and test dependencies too")
    ap.add_argument("--lockdep-ref", default="", help="measure this commit of lockdep (git archive) instead of the "
                    "checkout, e.g. the baseline's commit for a suite added later")
    ap.add_argument("--core", choices=("c", "python"), default="", help="LOCKDEP_CORE for the instrumented run "
                    "(default: lockdep's own choice, the C core where it is built)")
    ap.add_argument("--report", action="store_true", help="only rewrite RESULTS.md from results/*.json")
    args = ap.parse_args(argv)
    results_dir = HERE / "results"
    results_dir.mkdir(exist_ok=True)
    if not args.report:
        names = [n for n in args.suites.split(",") if n] or [s.name for s in SUITES]
        unknown = [n for n in names if n not in BY_NAME]
        if unknown:
            ap.error(f"unknown suite {', '.join(unknown)}; known: {', '.join(BY_NAME)}")
        path = results_dir / f"{args.label}.json"
        data = json.loads(path.read_text()) if path.exists() else {"suites": {}}
        ref = args.lockdep_ref or "HEAD"
        lockdep_src = export(ref) if args.lockdep_ref else REPO
        data["meta"] = {"commit": git("rev-parse", "--short", ref), "subject": git("log", "-1", "--format=%s", ref),
                        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                        "python": sys.version.split()[0], "core": args.core or "default (C)"}
        for n in names:
            try:
                data["suites"][n] = run_suite(BY_NAME[n], args.fresh_deps, lockdep_src, args.core)
            except SetupError as e:
                print(f"precision: {n}: {e}", file=sys.stderr)
                continue
            data["suites"][n]["commit"] = data["meta"]["commit"]
            path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n")
    write_results(results_dir, HERE / "verdicts.json", HERE / "RESULTS.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
