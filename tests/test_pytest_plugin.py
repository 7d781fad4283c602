"""``pytest --lockdep``: findings fail the test during which they appear, across tests too."""

from __future__ import annotations

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


@pytest.fixture
def suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    for k in ("LOCKDEP", "LOCKDEP_JSON", "LOCKDEP_TRACE", "LOCKDEP_CHILD"):
        monkeypatch.delenv(k, raising=False)
    from runtime_helpers import env

    monkeypatch.setenv("PYTHONPATH", env()["PYTHONPATH"])  # this checkout, not an installed copy
    pytester.makepyfile(test_locks=TWO_TESTS)
    return pytester


def test_inversion_across_tests_fails_the_second(suite: pytest.Pytester):
    result = suite.runpytest_subprocess("--lockdep", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines([
        "*FAILED test_locks.py::test_invalidate*lockdep found 1 problem*",
    ])
    result.stdout.fnmatch_lines([
        "*WARNING: possible circular locking dependency detected*",
        "*is trying to acquire lock:*",
        "*(test_locks.db_lock)*test_invalidate(): with db_lock:*",
        "*lockdep: 1 finding*",
    ])
    assert result.ret == 1


def test_warn_mode_reports_without_failing(suite: pytest.Pytester):
    result = suite.runpytest_subprocess("--lockdep=warn", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*test_locks.py::test_invalidate:*", "*possible circular locking dependency*",
                                 "*lockdep: 1 finding*"])


def test_off_by_default(suite: pytest.Pytester):
    result = suite.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
    assert "lockdep:" not in result.stdout.str() and "WARNING" not in result.stdout.str()


def test_ini_key_and_json(suite: pytest.Pytester):
    suite.makeini("[pytest]\nlockdep = fail\n")
    out = suite.path / "f.json"
    result = suite.runpytest_subprocess("--lockdep-json", str(out), "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    import json

    data = json.loads(out.read_text())
    assert [(f["kind"], f["classes"]) for f in data["findings"]] == [
        ("circular_dependency", ["test_locks.db_lock", "test_locks.cache_lock"])]
