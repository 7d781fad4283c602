"""Commands a newcomer gets wrong get one clear line and exit status 2, never
a traceback, never a silent wrong answer; help and version are where they look."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pytest
from runtime_helpers import EXAMPLES, ROOT, run

TRACE = ROOT / "examples" / "cpu-hotplug.jsonl"
FTRACE = ROOT / "tests" / "fixtures" / "ftrace" / "abba.trace"
HOTPLUG = sorted((ROOT / "tests" / "fixtures" / "hotplug").glob("*.txt"))


def lockdep(*args: str, **kw) -> subprocess.CompletedProcess:
    return run(["-m", "lockdep", *args], **kw)


def in_process(capsys: pytest.CaptureFixture, *args: str) -> subprocess.CompletedProcess:
    """``lockdep ARGS`` through cli.main in this process (quicker where start-up does not matter)."""
    from lockdep.cli import main

    capsys.readouterr()
    rc = main(list(args))
    out = capsys.readouterr()
    return subprocess.CompletedProcess(args, rc, out.out, out.err)


def one_line_error(p: subprocess.CompletedProcess, *words: str) -> str:
    assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lockdep: "), p.stderr
    assert "Traceback" not in p.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


@pytest.mark.parametrize("name", ["t.jsonl", "t.json", "t.jsonl.gz", "events.txt"])
def test_a_trace_given_as_a_script(tmp_path, capsys, name):
    path = tmp_path / name
    data = TRACE.read_bytes()
    path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
    line = one_line_error(lockdep(str(path)) if name == "t.jsonl" else in_process(capsys, "run", str(path)),
                          "this looks like a trace")
    assert line.endswith(f"lockdep replay {path}")


def test_unknown_command_suggests_the_nearest(capsys):
    one_line_error(lockdep("replya", str(TRACE)), "unknown command 'replya'", "did you mean 'lockdep replay'")
    one_line_error(in_process(capsys, "lopos"), "did you mean 'lockdep loops'")
    one_line_error(in_process(capsys, "frobnicate"), "'frobnicate' is neither a command", "replay")


def test_version_and_help():
    from lockdep import __version__

    p = lockdep("--version")
    assert p.returncode == 0 and p.stdout.strip() == f"lockdep {__version__}"
    for args in (("--help",), ()):
        p = lockdep(*args)
        assert p.returncode == 0
        for option in ("--fail", "--json", "--trace", "--quiet", "-m MODULE", "--style", "--sarif", "--html",
                       "replay", "splat", "loops", "docs/trace-format.md"):
            assert option in p.stdout, (args, option)


def _unwritable(tmp_path: Path) -> list[Path]:
    return [tmp_path, tmp_path / "missing-dir" / "out"]  # a directory; a file in a directory that does not exist


@pytest.mark.parametrize("option,bad", [("--json", "dir"), ("--trace", "missing"), ("--html", "missing"),
                                        ("--sarif", "dir")])
def test_unwritable_output_of_run(tmp_path, option, bad):
    path = _unwritable(tmp_path)[bad == "missing"]
    p = lockdep(option, str(path), str(EXAMPLES / "bank_transfer.py"))
    one_line_error(p, str(path), "cannot write")
    assert "total" not in p.stdout  # refused before the program ran


@pytest.mark.parametrize("args", [
    ("replay", "--sarif", "{bad}", str(TRACE)),
    ("replay", "--html", "{bad}", str(TRACE)),
    ("loops", "--html", "{bad}", *map(str, HOTPLUG)),
    ("loops", "--svg", "{bad}", *map(str, HOTPLUG)),
    ("loops", "--dot", "{bad}", *map(str, HOTPLUG)),
    ("convert", str(FTRACE), "-o", "{bad}"),
])
def test_unwritable_output_of_the_other_commands(tmp_path, capsys, args):
    for bad in _unwritable(tmp_path):
        p = in_process(capsys, *(a.replace("{bad}", str(bad)) for a in args))
        one_line_error(p, str(bad), "cannot write")
        assert p.stdout == ""


@pytest.mark.parametrize("command", ["splat", "loops"])
def test_empty_or_binary_input(tmp_path, capsys, command):
    empty, binary, text = tmp_path / "empty.txt", tmp_path / "core.bin", tmp_path / "boot.log"
    empty.write_text("")
    binary.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)) * 4)
    text.write_text("[    0.000000] Linux version 6.1.0\n[    1.000000] all fine\n")
    one_line_error(lockdep(command, str(empty)), str(empty), "empty file")
    one_line_error(in_process(capsys, command, str(binary)), str(binary), "binary file")
    p = in_process(capsys, command, str(text))  # text that simply holds no report: a note, exit 0
    assert p.returncode == 0, p.stderr
    assert "no lockdep report" in p.stdout or "no loops" in p.stdout


def test_editable_install_ships_lockdep_pth(tmp_path):
    """`pip install -e .` then `LOCKDEP=1 python app.py`: the hook that starts lockdep is installed too."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True)
    py = venv / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    p = subprocess.run([str(py), "-m", "pip", "install", "-q", "--disable-pip-version-check", "--no-deps", "-e",
                        str(ROOT)], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr[-3000:]
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith(("LOCKDEP", "PYTHON"))}
    p = subprocess.run([str(py), str(EXAMPLES / "bank_transfer.py")], capture_output=True, text=True, timeout=120,
                       env={**env, "LOCKDEP": "1"})
    assert p.returncode == 0, p.stderr
    assert "lockdep: possible deadlock: Bank.accounts_lock and Bank.audit_lock" in p.stderr
    assert "lockdep: 1 finding" in p.stderr
