"""Semantics never change: CPython's own ``test.lock_tests`` conformance suites
run against the instrumented primitives, with instrumentation on."""

from __future__ import annotations

import threading

import pytest

lock_tests = pytest.importorskip("test.lock_tests")

from lockdep.runtime import disable, enable  # noqa: E402
from lockdep.runtime.primitives import Condition, Lock, RLock, allocate_lock  # noqa: E402


@pytest.fixture(autouse=True, scope="module")
def instrumented():
    rt = enable(quiet=True)
    yield rt
    disable()


class TestLock(lock_tests.LockTests):
    locktype = staticmethod(allocate_lock)


class TestRLock(lock_tests.RLockTests):
    locktype = staticmethod(RLock)


class TestEvent(lock_tests.EventTests):
    eventtype = staticmethod(lambda: threading.Event())


class TestCondition(lock_tests.ConditionTests):
    condtype = staticmethod(Condition)


class TestSemaphore(lock_tests.SemaphoreTests):
    semtype = staticmethod(lambda *a, **k: threading.Semaphore(*a, **k))


class TestBoundedSemaphore(lock_tests.BoundedSemaphoreTests):
    semtype = staticmethod(lambda *a, **k: threading.BoundedSemaphore(*a, **k))


class TestBarrier(lock_tests.BarrierTests):
    barriertype = staticmethod(lambda *a, **k: threading.Barrier(*a, **k))


def test_patched_factories_are_ours(instrumented):
    assert isinstance(threading.Lock(), Lock)
    assert isinstance(threading.RLock(), RLock)
    assert isinstance(threading.Condition(), Condition)
    assert isinstance(threading.Event()._cond, Condition)


def test_threading_lock_kept_on_a_class_is_called_without_self(instrumented):
    class Map:  # werkzeug's routing Map: ``lock_class = threading.Lock``, then ``self.lock_class()``
        lock_class = threading.Lock

    lock = Map().lock_class()
    assert isinstance(lock, Lock) and lock._ld_node >= 0
    with lock:
        assert lock.locked()


def test_cpython_threading_suites_pass_under_lockdep():
    """CPython's own test_threading, test_queue and test_thread, run by ``python -m lockdep``.

    One test is left out: test_import_from_another_thread needs an interpreter that starts
    without threading imported (not so on this machine, with or without lockdep)."""
    import subprocess
    import sys

    from runtime_helpers import env

    p = subprocess.run([sys.executable, "-m", "lockdep", "--quiet", "-m", "test", "test_threading", "test_queue",
                        "test_thread", "-i", "test_import_from_another_thread"],
                       capture_output=True, text=True, env=env(), timeout=900)
    assert "Result: SUCCESS" in p.stdout, p.stdout[-3000:] + p.stderr[-3000:]
    assert p.returncode == 0


def test_the_requested_core_is_the_one_in_use():
    """LOCKDEP_CORE=python forces the pure-Python path; LOCKDEP_CORE=c fails loudly without the build."""
    import os
    import subprocess
    import sys

    from runtime_helpers import env

    from lockdep.runtime import primitives

    wanted = os.environ.get("LOCKDEP_CORE")
    if wanted:
        assert primitives.CORE == wanted
    code = "import lockdep.runtime.primitives as p; print(p.CORE)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env(LOCKDEP_CORE="python")).stdout.strip()
    assert out == "python"
