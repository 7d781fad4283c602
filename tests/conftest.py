"""Shared helpers: build traces as Python lists and run ``lockdep replay`` on them."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from lockdep.cli import main

# every `python -m lockdep` a test starts runs this checkout, not an installed copy
_SRC = str(Path(__file__).resolve().parent.parent / "src")
os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (_SRC, os.environ.get("PYTHONPATH", "")) if p)


def ev(op: str, **fields) -> dict:
    """One trace event; ``try_`` stands for the ``try`` field (a Python keyword)."""
    if "try_" in fields:
        fields["try"] = fields.pop("try_")
    return {"op": op, **fields}


def acq(task: str, lock: str, **kw) -> dict:
    return ev("acquire", task=task, lock=lock, **kw)


def rel(task: str, lock: str) -> dict:
    return ev("release", task=task, lock=lock)


def init(lock: str, cls: str, kind: str) -> dict:
    return ev("lock_init", lock=lock, **{"class": cls}, kind=kind)


def write_trace(path: Path, events: list) -> Path:
    path.write_text("".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in events))
    return path


class Replayer:
    def __init__(self, tmp_path: Path, capsys: pytest.CaptureFixture):
        self.tmp_path = tmp_path
        self.capsys = capsys
        self.n = 0

    def __call__(self, events: list, *flags: str) -> tuple[int, list[dict]]:
        """Replay with --json; return (exit status, findings)."""
        self.n += 1
        path = write_trace(self.tmp_path / f"t{self.n}.jsonl", events)
        self.capsys.readouterr()
        rc = main(["replay", "--json", str(path), *flags])
        out = self.capsys.readouterr().out
        return rc, json.loads(out)["findings"]

    def text(self, events: list, *flags: str) -> tuple[int, str]:
        self.n += 1
        path = write_trace(self.tmp_path / f"t{self.n}.jsonl", events)
        self.capsys.readouterr()
        rc = main(["replay", str(path), *flags])
        return rc, self.capsys.readouterr().out


@pytest.fixture
def replay(tmp_path: Path, capsys: pytest.CaptureFixture) -> Replayer:
    return Replayer(tmp_path, capsys)


def kinds(findings: list[dict]) -> list[tuple[str, list[str]]]:
    return [(f["kind"], f["classes"]) for f in findings]


pytest_plugins = ["pytester"]
