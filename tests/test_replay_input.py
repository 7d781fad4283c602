"""``lockdep replay`` on bad, compressed and piped input: one line naming file:line, exit 2."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import acq, rel

GOOD = [acq("T1", "A"), acq("T1", "B"), rel("T1", "B"), rel("T1", "A"), acq("T2", "B"), acq("T2", "A")]


def run(args: list[str], stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lockdep", *args], input=stdin, capture_output=True)


def lines(events) -> bytes:
    return "".join(json.dumps(e) + "\n" for e in events).encode()


@pytest.mark.parametrize("bad,line,message", [
    (b'{"op": "acquire", "task": "T", "lock": "A"\n', 1, "malformed JSON"),
    (b'# comment\n\n{"op": "grab", "task": "T", "lock": "A"}\n', 3, "unknown op 'grab'"),
    (b'{"op": "acquire", "task": "T"}\n', 1, 'missing field "lock"'),
    (b'{"task": "T"}\n', 1, 'missing field "op"'),
    (b'{"op": "acquire", "task": 7, "lock": "A"}\n', 1, 'field "task" must be a non-empty string'),
    (b'{"op": "acquire", "task": "", "lock": "A"}\n', 1, 'field "task" must be a non-empty string'),
    (b'{"op": "acquire", "task": "T", "lock": "A", "try": 1}\n', 1, 'field "try" must be true or false'),
    (b'{"op": "acquire", "task": "T", "lock": "A", "subclass": 1.5}\n', 1, 'field "subclass" must be an integer'),
    (b'{"op": "acquire", "task": "T", "lock": "A", "subclass": true}\n', 1, 'field "subclass" must be an integer'),
    (b'{"op": "acquire", "task": "T", "lock": "A", "mode": "read"}\n', 1, 'field "mode" must be one of'),
    (b'{"op": "acquire", "task": "T", "lock": "A", "context": "nmi"}\n', 1, 'field "context" must be one of'),
    (b'{"op": "lock_init", "lock": "a", "class": "A", "kind": "futex"}\n', 1, 'field "kind" must be one of'),
    (b'{"op": "lock_init", "lock": "a", "class": "A"}\n', 1, 'missing field "kind"'),
    (b'{"op": "wait", "task": "T", "lock": "A"}\n', 1, 'missing field "event"'),
    (b'{"op": "release", "task": "T", "lock": "A", "stack": "f"}\n', 1, 'field "stack" must be a list of strings'),
    (b'{"op": "release", "task": "T", "lock": "A", "t": "now"}\n', 1, 'field "t" must be a number'),
    (b'[1, 2]\n', 1, "expected a JSON object"),
    (b'{"op": "free", "lock": "A", "t": NaN}\n', 1, "malformed JSON"),
    (b'{"op": "free", "lock": "\xff\xfe"}\n', 1, "not valid UTF-8"),
    (b'', 1, "no events"),
    (b'# only a comment\n\n', 2, "no events"),
])
def test_bad_input_is_one_line_with_file_and_line(tmp_path: Path, bad: bytes, line: int, message: str):
    good = lines(GOOD[:2])
    path = tmp_path / "bad.jsonl"
    if message == "no events":
        path.write_bytes(bad)
    else:
        path.write_bytes(good + bad)
        line += 2
    p = run(["replay", "--json", str(path)])
    assert p.returncode == 2
    assert p.stdout == b""
    err = p.stderr.decode()
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith(f"lockdep: {path}:{line}: ") and message in err, err


def test_unreadable_file(tmp_path: Path):
    p = run(["replay", str(tmp_path / "missing.jsonl")])
    assert p.returncode == 2 and p.stdout == b""
    assert p.stderr.decode().startswith(f"lockdep: {tmp_path / 'missing.jsonl'}: cannot read")
    p = run(["replay", str(tmp_path)])
    assert p.returncode == 2 and "cannot read" in p.stderr.decode()


def test_bad_line_after_findings_still_fails_and_prints_nothing(tmp_path: Path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(lines(GOOD) + b'{"op": "nope"}\n')
    p = run(["replay", str(path)])
    assert (p.returncode, p.stdout) == (2, b"")
    assert f"{path}:7: unknown op" in p.stderr.decode()


def test_gzip_and_stdin(tmp_path: Path):
    path = tmp_path / "t.jsonl.gz"
    path.write_bytes(gzip.compress(lines(GOOD)))
    for args, stdin in ((["replay", "--json", str(path)], None), (["replay", "--json", "-"], lines(GOOD)),
                        (["replay", "--json", "-"], gzip.compress(lines(GOOD)))):
        p = run(args, stdin)
        assert p.returncode == 1, p.stderr
        out = json.loads(p.stdout)
        assert [f["classes"] for f in out["findings"]] == [["A", "B"]]
        assert out["stats"]["events"] == 6


def test_truncated_gzip(tmp_path: Path):
    path = tmp_path / "t.jsonl.gz"
    path.write_bytes(gzip.compress(lines(GOOD) * 50)[:40])
    p = run(["replay", str(path)])
    assert p.returncode == 2 and "Traceback" not in p.stderr.decode()
    assert p.stderr.decode().startswith(f"lockdep: {path}:")


def test_unknown_keys_are_ignored(replay):
    rc, found = replay([dict(e, extra={"x": 1}, t=1.5, site="f.c:1", stack=["a", "b"]) for e in GOOD])
    assert rc == 1 and found[0]["classes"] == ["A", "B"]


def test_clean_exit_zero(tmp_path: Path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(lines(GOOD[:4]))
    p = run(["replay", str(path)])
    assert p.returncode == 0 and b"0 findings" in p.stdout
