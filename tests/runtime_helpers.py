"""Run Python programs under lockdep in a subprocess, with this checkout first on the path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "python"


def env(**extra: str) -> dict[str, str]:
    e = {k: v for k, v in os.environ.items() if not k.startswith("LOCKDEP") or k == "LOCKDEP_CORE"}
    e["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), e.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    e.update(extra)
    return e


def run(args: list[str], cwd: Path | None = None, timeout: float = 60, **extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, cwd=cwd, env=env(**extra),
                          timeout=timeout)


def lockdep_json(script: Path | str, tmp_path: Path, *options: str) -> tuple[subprocess.CompletedProcess, list]:
    out = tmp_path / "findings.json"
    p = run(["-m", "lockdep", "--json", str(out), *options, str(script)])
    findings = json.loads(out.read_text())["findings"] if out.exists() else None
    return p, findings


def kinds(findings: list) -> list:
    return [(f["kind"], f["classes"]) for f in findings]
