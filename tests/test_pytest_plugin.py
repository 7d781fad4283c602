"""``pytest --lockdep``: findings fail the test during which they appear, across tests too."""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

TWO_TESTS = """
import threading

db_lock = threading.Lock()
cache_lock = threading.Lock()

def test_write_through():
    with db_lock:
        with cache_lock:
            pass

def test_invalidate():
    with cache_lock:
        with db_lock:
            pass

def test_unrelated():
    with db_lock:
        pass
"""

BACKGROUND = """
import threading

a = threading.Lock()
b = threading.Lock()

def test_order():
    with a:
        with b:
            pass

def test_background():
    def work():
        with b:
            with a:
                pass
    t = threading.Thread(target=work, name="bg-worker")
    t.start()
    t.join()
"""


QUIET = ("-p", "no:cacheprovider", "-p", "no:hypothesispytest")  # hypothesis' plugin costs seconds per run


def run_suite(suite: pytest.Pytester, *args: str) -> pytest.RunResult:
    return suite.runpytest_subprocess(*args, *QUIET)


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for k in ("LOCKDEP", "LOCKDEP_JSON", "LOCKDEP_TRACE", "LOCKDEP_CHILD", "LOCKDEP_STYLE"):
        monkeypatch.delenv(k, raising=False)
    from runtime_helpers import env

    monkeypatch.setenv("PYTHONPATH", env()["PYTHONPATH"])  # this checkout, not an installed copy
    pytester.makepyfile(test_locks=TWO_TESTS)
    return pytester


def test_inversion_across_tests_fails_the_second(suite: pytest.Pytester):
    xml, html, sarif = suite.path / "junit.xml", suite.path / "r.html", suite.path / "r.sarif"
    result = run_suite(suite, "--lockdep", f"--junitxml={xml}", "--lockdep-html", str(html),
                       "--lockdep-sarif", str(sarif))
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*FAILED test_locks.py::test_invalidate*lockdep found 1 problem*",
    ])
    result.stdout.fnmatch_lines([
        "*lockdep: possible deadlock: test_locks.db_lock and test_locks.cache_lock are taken in opposite orders",
        "MainThread takes test_locks.db_lock",
        "  at test_locks.py:13 in test_invalidate",
        "        with db_lock:",
        "  ... * frames in pytest",
        "*lockdep: 1 finding*",
    ])
    assert result.ret == 1
    # --junitxml: the report is the failure of the test during which it appeared
    failures = ET.parse(xml).getroot().findall(".//testcase/failure")
    assert len(failures) == 1
    assert "lockdep: possible deadlock: test_locks.db_lock and test_locks.cache_lock" in failures[0].get("message")
    assert "Fix: take test_locks.db_lock before test_locks.cache_lock" in failures[0].text
    # --lockdep-html and --lockdep-sarif
    assert 'data-kind="circular_dependency"' in html.read_text()
    from test_report_formats import validate_sarif

    [res] = validate_sarif(sarif)["runs"][0]["results"]
    loc = res["locations"][0]["physicalLocation"]
    assert (loc["artifactLocation"]["uri"], loc["region"]["startLine"]) == ("test_locks.py", 13)


def test_a_path_after_the_flag_is_a_path(suite: pytest.Pytester):
    """`pytest --lockdep tests/`: the flag takes no value (it used to swallow the path: exit 4)."""
    sub = suite.mkpydir("sub")
    (sub / "test_in_sub.py").write_text(TWO_TESTS)
    result = run_suite(suite, "--lockdep", "sub/")
    result.assert_outcomes(passed=2, failed=1)  # only the tests under sub/ ran, with lockdep on
    result.stdout.fnmatch_lines(["*FAILED sub/test_in_sub.py::test_invalidate*"])


@pytest.mark.parametrize("flags", [("--lockdep=warn",), ("--lockdep", "--lockdep-mode=warn")])
def test_warn_mode_reports_without_failing(suite: pytest.Pytester, flags):
    result = run_suite(suite, *flags, "-q")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*= lockdep =*", "lockdep: found during test_locks.py::test_invalidate",
                                 "*possible deadlock*", "*lockdep: 1 finding*mode warn*"])
    out = result.stdout.str()  # -q and output capture on: the summary still holds the whole report
    section = out[out.index("= lockdep ="):]
    assert "How it can deadlock:" in section and "Fix: take test_locks.db_lock" in section


def test_off_by_default_and_off_wins(suite: pytest.Pytester):
    for flags in ((), ("--lockdep=off",)):
        result = run_suite(suite, *flags)
        result.assert_outcomes(passed=3)
        assert "= lockdep =" not in result.stdout.str() and "lockdep: " not in result.stdout.str()


def test_ini_key_and_json(suite: pytest.Pytester):
    suite.makeini("[pytest]\nlockdep = fail\n")
    out = suite.path / "f.json"
    result = run_suite(suite, "--lockdep-json", str(out))
    result.assert_outcomes(passed=2, failed=1)
    data = json.loads(out.read_text())
    assert [(f["kind"], f["classes"]) for f in data["findings"]] == [
        ("circular_dependency", ["test_locks.db_lock", "test_locks.cache_lock"])]
    assert data["findings"][0]["hint"].startswith("take test_locks.db_lock before test_locks.cache_lock")


def test_background_thread_finding_names_the_thread_and_the_test(suite: pytest.Pytester):
    suite.makepyfile(test_background=BACKGROUND)
    result = run_suite(suite, "--lockdep", "test_background.py")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([
        "*FAILED test_background.py::test_background*",
    ])
    result.stdout.fnmatch_lines([
        "lockdep: found in background thread 'bg-worker' during test_background.py::test_background",
        "*possible deadlock*",
        "bg-worker takes test_background.a",
    ])


def test_unwritable_output_is_a_usage_error(suite: pytest.Pytester):
    result = run_suite(suite, "--lockdep", "--lockdep-html", str(suite.path))
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*lockdep: {suite.path}: cannot write: Is a directory*"])


def _installed_copy(site: Path, src: Path) -> None:
    """A site directory as `pip install .` leaves it: lockdep.pth and a distribution whose files
    include lockdep/__init__.py (so pytest wants to rewrite ``lockdep`` when it loads the plugin)."""
    root = Path(__file__).resolve().parent.parent
    (site / "lockdep.pth").write_text((root / "lockdep.pth").read_text())
    info = site / "lockdep-0.1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: lockdep\nVersion: 0.1.0\n")
    (info / "entry_points.txt").write_text("[pytest11]\nlockdep = lockdep.pytest_plugin\n")
    files = [p.relative_to(src).as_posix() for p in (src / "lockdep").rglob("*.py")]
    (info / "RECORD").write_text("".join(f"{f},,\n" for f in files + ["lockdep.pth"]))


@pytest.mark.parametrize("flags", [(), ("--lockdep",)])
def test_starts_under_warnings_as_errors_with_lockdep_imported_at_startup(tmp_path: Path, flags):
    """`LOCKDEP=1 python -m pytest -W error`: lockdep is imported by lockdep.pth before pytest
    starts, which must not be a PytestAssertRewriteWarning (projects with filterwarnings=error)."""
    from runtime_helpers import ROOT, env

    site = tmp_path / "site"
    site.mkdir()
    _installed_copy(site, ROOT / "src")
    (tmp_path / "test_one.py").write_text("def test_one():\n    pass\n")
    code = ("import site, sys; site.addsitedir(sys.argv[1]); import pytest; "
            "sys.exit(pytest.main(sys.argv[2:]))")
    p = subprocess.run([sys.executable, "-c", code, str(site), "-W", "error", *QUIET, *flags,
                        "test_one.py"], capture_output=True, text=True, cwd=tmp_path, timeout=120,
                       env={**env(LOCKDEP="1"), "PYTEST_ADDOPTS": ""})
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert "1 passed" in p.stdout
    assert "PytestAssertRewriteWarning" not in p.stdout + p.stderr


def test_locks_created_when_the_conftest_imports_the_library_are_checked(suite: pytest.Pytester):
    """A conftest that imports the library under test (tqdm's does) runs before pytest_configure:
    lockdep starts earlier, so the library's module-level locks are instrumented too."""
    suite.makepyfile(mylib="import threading\n\nregistry_lock = threading.Lock()\nio_lock = threading.Lock()\n",
                     conftest="import mylib  # noqa: F401\n",
                     test_lib="import mylib\n\n\ndef test_a():\n    with mylib.registry_lock:\n"
                              "        with mylib.io_lock:\n            pass\n\n\ndef test_b():\n"
                              "    with mylib.io_lock:\n        with mylib.registry_lock:\n            pass\n")
    result = run_suite(suite, "--lockdep", "test_lib.py")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*mylib.registry_lock and mylib.io_lock are taken in opposite orders*"])


READER_LEFT_IN = """
from lightswitch import RWLock

rw = RWLock()


def test_second_reader_stays_in():  # as readerwriterlock's test_write_req12, run alone
    rw.acquire_read()
    rw.acquire_read()
    rw.release_read()


def test_a_local_lock_left_with_a_reader_in():
    local = RWLock()
    local.acquire_read()
    local.acquire_read()
    local.release_read()
"""


def test_tests_that_leave_a_reader_in_a_readers_writer_lock_pass(suite: pytest.Pytester):
    """A group hold never released is no lock-order bug: the end of a test does not decide it."""
    suite.makepyfile(lightswitch=(Path(__file__).parent / "programs" / "lightswitch.py").read_text(),
                     test_locks=READER_LEFT_IN)
    result = run_suite(suite, "--lockdep")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*lockdep: 0 findings*"])
