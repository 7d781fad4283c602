"""Text reports as users read them, run as users run lockdep (subprocess): the
Python style by default, the kernel's layout on request and for kernel traces.
Golden files hold one real Python report in each style; on a mismatch the
actual text is written beside the test's tmp_path so a reviewer can diff it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from runtime_helpers import EXAMPLES, ROOT, run

GOLDEN = Path(__file__).resolve().parent / "golden"
KERNEL_MARKS = re.compile(r"\{[+.?-]{4,}\}|\[(EN|ER|SN|SR)(/\w\w)*\]")


def report(script: Path, *options: str, **env: str) -> str:
    """stderr of ``python -m lockdep [options] script`` run from the repository root, without the summary line."""
    p = run(["-m", "lockdep", *options, str(script.relative_to(ROOT))], cwd=ROOT, **env)
    assert p.returncode == 0, p.stderr
    return "".join(line for line in p.stderr.splitlines(keepends=True) if not line.startswith("lockdep: 1 finding ("))


def check_golden(name: str, text: str, tmp_path: Path) -> None:
    text = re.sub(r"threading\.py:\d+", "threading.py:N", text)  # the stdlib's line numbers differ by version
    expected = (GOLDEN / name).read_text()
    if text != expected:
        actual = tmp_path / name
        actual.write_text(text)
        pytest.fail(f"report differs from tests/golden/{name}; actual text in {actual}")


@pytest.mark.parametrize("style", ["python", "kernel"])
def test_golden_report_in_each_style(style, tmp_path):
    options = ("--style", style) if style == "kernel" else ()
    check_golden(f"bank_transfer.{style}.txt", report(EXAMPLES / "bank_transfer.py", *options), tmp_path)


def test_environment_variable_chooses_the_style(tmp_path):
    check_golden("bank_transfer.kernel.txt", report(EXAMPLES / "bank_transfer.py", LOCKDEP_STYLE="kernel"), tmp_path)


def test_python_style_has_no_kernel_notation():
    for name in ("bank_transfer.py", "join_under_lock.py", "future_under_lock.py", "queue_consumer_lock.py",
                 "signal_logging.py", "asyncio_abba.py", "semaphore_mutexes.py"):
        text = report(EXAMPLES / name)
        assert "lockdep: " in text and "\nFix: " in text, name
        assert not KERNEL_MARKS.search(text), (name, KERNEL_MARKS.search(text))
        assert "CPU0" not in text and "at: ?" not in text and "None" not in text, name


def test_thread_table_instead_of_cpus():
    text = report(EXAMPLES / "bank_transfer.py")
    assert "Thread A (Thread-2 (audit))" in text and "Thread B (Thread-1 (transfer))" in text


def test_acquisition_inside_the_stdlib_is_headed_by_the_users_call():
    """logging takes its handler lock in Handler.acquire: the headline is the user's log.info(...)."""
    text = report(EXAMPLES / "signal_logging.py")
    assert ("  at examples/python/signal_logging.py:14 in on_hangup\n"
            "        log.info(\"reloading configuration\")") in text
    assert re.search(r"\(inside logging/__init__.py:\d+ in Handler\.(acquire|handle)\)", text)  # 3.13: handle()
    assert "frames in runpy" in text and "<frozen runpy>" not in text


def test_wait_advice_names_the_call_to_move():
    text = report(EXAMPLES / "join_under_lock.py")
    assert "MainThread waits for the thread running refresh() to finish (started at " in text
    assert "Fix: release join_under_lock.cache_lock before calling worker.join()" in text


def test_colour_on_a_terminal_plain_when_no_color():
    coloured = report(EXAMPLES / "bank_transfer.py", FORCE_COLOR="1")
    assert "\x1b[" in coloured
    assert re.sub(r"\x1b\[[0-9;]*m", "", coloured) == report(EXAMPLES / "bank_transfer.py")
    assert "\x1b[" not in report(EXAMPLES / "bank_transfer.py", FORCE_COLOR="1", NO_COLOR="1")


def test_recorded_python_trace_replays_in_python_style_kernel_trace_in_kernel_layout(tmp_path):
    trace = tmp_path / "t.jsonl"
    run(["-m", "lockdep", "--quiet", "--trace", str(trace), str(EXAMPLES / "bank_transfer.py")])
    p = run(["-m", "lockdep", "replay", str(trace)])
    assert p.returncode == 1 and "lockdep: possible deadlock: Bank.accounts_lock and Bank.audit_lock" in p.stdout
    for env in ({}, {"LOCKDEP_STYLE": "python"}):
        p = run(["-m", "lockdep", "replay", str(ROOT / "examples" / "cpu-hotplug.jsonl")], **env)
        assert "WARNING: possible circular locking dependency detected" in p.stdout
        assert "-> #3 (&mm->mmap_sem) [EN]:" in p.stdout and "Thread A" not in p.stdout


def test_no_unknown_location_placeholders_in_the_kernel_layout(tmp_path):
    """A signal whose site is unknown: the line is left out (never `at: ?` or `signalled at None`)."""
    trace = tmp_path / "t.jsonl"
    trace.write_text("\n".join([
        '{"op":"acquire","task":"T1","lock":"L"}', '{"op":"wait","task":"T1","event":"E"}',
        '{"op":"release","task":"T1","lock":"L"}',
        '{"op":"begin","task":"T2","event":"E"}', '{"op":"acquire","task":"T2","lock":"L"}',
        '{"op":"release","task":"T2","lock":"L"}', '{"op":"signal","task":"T2","event":"E","site":"?"}']) + "\n")
    p = run(["-m", "lockdep", "replay", str(trace)])
    assert p.returncode == 1
    assert "at: ?" not in p.stdout and "None" not in p.stdout


def test_readme_shows_the_real_python_report():
    readme = (ROOT / "README.md").read_text()
    block = readme.split("$ python -m lockdep examples/python/bank_transfer.py\n", 1)[1].split("```", 1)[0]
    report_part = "".join(x for x in block.splitlines(keepends=True) if not x.startswith("lockdep: 1 finding ("))
    assert report_part == (GOLDEN / "bank_transfer.python.txt").read_text()


def test_instance_order_cycle_names_the_objects():
    """Two locks of one class taken in both orders (transfer(a, b) / transfer(b, a))."""
    text = report(ROOT / "tests" / "programs" / "accounts_unsorted.py")
    assert "lockdep: possible deadlock: two Account.lock objects are taken in opposite orders" in text
    assert re.search(r"with Account\.lock of <Account at 0x[0-9a-f]+>:   # blocks: B holds it", text)
    assert "Fix: always take two Account.lock objects in one order: `with a.lock:` then `with b.lock:`" in text
