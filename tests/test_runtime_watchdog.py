"""The hang watchdog: programs that really deadlock get a "deadlock detected" report
with the wait-for cycle while they hang, stay stoppable, and fail their test under
``pytest --lockdep`` instead of hanging it.  Run under the core LOCKDEP_CORE names."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Callable, Iterator

import pytest

from runtime_helpers import env, run

ACTORS = """
import threading
from concurrent.futures import ThreadPoolExecutor

actor_a = ThreadPoolExecutor(1, thread_name_prefix="actor_a")
actor_b = ThreadPoolExecutor(1, thread_name_prefix="actor_b")
futures = {}
asked = threading.Event()

def ask_b():  # A's work item waits for B's answer
    futures["b"] = actor_b.submit(answer_b)
    return futures["b"].result()

def answer_b():  # B's work item needs A's result first
    asked.wait()
    return futures["a"].result()

futures["a"] = actor_a.submit(ask_b)
asked.set()
print(futures["a"].result())
"""

ABBA = """
import threading

a = threading.Lock()
b = threading.Lock()
both_hold_one = threading.Barrier(2)

def one():
    with a:
        both_hold_one.wait()
        with b:
            pass

def two():
    with b:
        both_hold_one.wait()
        with a:
            pass

t1 = threading.Thread(target=one, name="one")
t2 = threading.Thread(target=two, name="two")
t1.start(); t2.start()
t1.join(); t2.join()
"""

SELF_LOCK = """
import threading

done = threading.Lock()
done.acquire()
done.acquire()  # nothing else will ever release it
"""


class Hanging:
    """A program run under ``python -m lockdep --hang-timeout 1``, its stderr read as it comes."""

    def __init__(self, tmp_path: Path, source: str):
        script = tmp_path / "prog.py"
        script.write_text(textwrap.dedent(source))
        self.json = tmp_path / "findings.json"
        self.p = subprocess.Popen([sys.executable, "-m", "lockdep", "--hang-timeout", "1", "--json", str(self.json),
                                   str(script)], cwd=tmp_path, env=env(), text=True,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines: list[str] = []
        self.reported = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        for line in self.p.stderr:  # type: ignore[union-attr]
            self.lines.append(line)
            if "*** DEADLOCK ***" in line and any("deadlock detected" in s for s in self.lines):
                self.reported.set()

    def report_while_hanging(self) -> str:
        """The deadlock report, printed while the process still runs (a guard, not a timing)."""
        assert self.reported.wait(60), "no deadlock report:\n" + "".join(self.lines)
        assert self.p.poll() is None, "the process ended by itself"
        text = "".join(self.lines)
        return text[text.index("WARNING: deadlock detected"):]

    def stop(self, sig: int) -> int:
        self.p.send_signal(sig)
        try:
            rc = self.p.wait(60)
        except subprocess.TimeoutExpired:
            self.p.kill()
            pytest.fail(f"the process did not stop on signal {sig}")
        self._reader.join()
        return rc

    def findings(self) -> list[dict]:
        return json.loads(self.json.read_text())["findings"]


@pytest.fixture
def hanging(tmp_path: Path) -> Iterator[Callable[[str], Hanging]]:
    """Starts a hanging program; whatever the test's outcome, the process does not outlive it."""
    progs: list[Hanging] = []

    def start(source: str) -> Hanging:
        progs.append(Hanging(tmp_path, source))
        return progs[-1]

    yield start
    for prog in progs:
        if prog.p.poll() is None:
            prog.p.kill()
            prog.p.wait()


def rotations(cycle: list[str]) -> list[list[str]]:
    return [cycle[i:] + cycle[:i] for i in range(len(cycle))]


def test_actors_waiting_on_each_others_futures(hanging):
    prog = hanging(ACTORS)
    text = prog.report_while_hanging()
    assert "wait-for cycle:" in text
    assert "actor_a_0 waits for future answer_b@prog.py:11 at 0x" in text and ", run by actor_b_0\n" in text
    assert "actor_b_0 waits for future ask_b@prog.py:18 at 0x" in text and ", run by actor_a_0\n" in text
    assert "blocked on it:\n MainThread waits for future ask_b@prog.py:18" in text
    # each thread's current wait and stack, faulthandler-like
    assert "at: prog.py:12 ask_b(): return futures[\"b\"].result()" in text
    assert "  prog.py:16 answer_b(): return futures[\"a\"].result()" in text
    assert text.count("WARNING: deadlock detected") == 1  # once per deadlock
    assert prog.stop(signal.SIGINT) != 0
    [dl] = [f for f in prog.findings() if f["kind"] == "deadlock"]
    assert dl["cycle"] in rotations(["actor_a_0", "actor_b_0"])
    assert [t["wait"]["kind"] for t in dl["threads"]] == ["future", "future", "future"]


def test_abba_that_really_hangs(hanging):
    prog = hanging(ABBA)
    text = prog.report_while_hanging()
    cycle = text[text.index("wait-for cycle:"):text.index("blocked on it:")]
    assert "one waits for Lock (prog.b) at 0x" in cycle and ", held by two\n" in cycle
    assert "two waits for Lock (prog.a) at 0x" in cycle and ", held by one\n" in cycle
    assert " MainThread waits for thread one\n" in text
    # the held locks with their owners' acquisition sites
    assert "1 lock held by one:\n #0: (prog.a) Lock at 0x" in text
    assert ", at: prog.py:9 one(): with a:" in text
    assert prog.stop(signal.SIGINT) != 0
    found = prog.findings()
    assert "circular_dependency" in [f["kind"] for f in found]  # predicted too, before it hung
    [dl] = [f for f in found if f["kind"] == "deadlock"]
    assert dl["cycle"] in rotations(["one", "two"]) and sorted(dl["classes"]) == ["(thread)one", "prog.a", "prog.b"]


def test_waiting_for_a_lock_it_holds_itself(hanging):
    prog = hanging(SELF_LOCK)
    text = prog.report_while_hanging()
    assert ("a thread waits for itself:\n MainThread waits for Lock (prog.done) at 0x" in text
            and "held by itself; no other thread is left to release it" in text)
    assert prog.stop(signal.SIGTERM) != 0


def test_event_nobody_sets_while_the_pool_is_idle(hanging):
    prog = hanging("""
        import threading
        from concurrent.futures import ThreadPoolExecutor

        pool = ThreadPoolExecutor(2)
        print(pool.submit(abs, -42).result())
        ready = threading.Event()
        ready.wait()  # nobody will set it
    """)
    text = prog.report_while_hanging()
    assert "wait-for cycle:" not in text
    assert ("blocked:\n MainThread waits for condition (prog.ready._cond) at 0x" in text
            and "notified by any thread; none is left to do it\n" in text)
    assert " ThreadPoolExecutor-0_0 waits for work from its executor's queue, submitted by any thread" in text
    assert prog.stop(signal.SIGINT) != 0


def test_waits_that_a_running_thread_ends_are_not_deadlocks(tmp_path):
    """A Lock handed to another thread, a queue fed late, a join: all blocked longer than the
    timeout while some thread still runs (here in ``time.sleep``)."""
    (tmp_path / "slow.py").write_text(textwrap.dedent("""
        import queue, threading, time

        done = threading.Lock()
        jobs = queue.Queue()

        def worker():
            time.sleep(1.5)
            jobs.put("job")
            done.release()  # a hand-off: the Lock the main thread took

        def consumer():
            print(jobs.get())

        done.acquire()
        threads = [threading.Thread(target=worker), threading.Thread(target=consumer)]
        for t in threads:
            t.start()
        done.acquire()
        for t in threads:
            t.join()
    """))
    p = run(["-m", "lockdep", "--hang-timeout", "0.2", str(tmp_path / "slow.py")], cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "job\n" and "deadlock detected" not in p.stderr


def test_waits_that_look_stuck_at_one_check_only_are_not_deadlocks(tmp_path):
    """A thread that releases what the others wait for and ends at once leaves them marked
    blocked until they next run: the watchdog reports only waits it finds stuck twice."""
    (tmp_path / "check.py").write_text(textwrap.dedent("""
        import threading
        from lockdep.runtime import enable
        from lockdep.runtime.watchdog import Wait, Watchdog

        rt = enable(quiet=True)
        wd = Watchdog(rt, timeout=0.0)
        cond = threading.Condition()
        me = threading.get_ident()
        w = wd.blocked[me] = Wait(rt.thread(), "condition", cond, None, False)
        first = wd.check()
        del wd.blocked[me]  # the waiter ran: its wait ended
        print(first, wd.check())
        wd.blocked[me] = w  # stuck again, and still at the next check
        print(wd.check() is None, wd.check().kind)
    """))
    p = run([str(tmp_path / "check.py")], cwd=tmp_path)
    assert p.stdout.split() == ["None", "None", "True", "deadlock"], p.stderr


def test_main_thread_waiting_for_a_signal_handler_is_not_a_deadlock(tmp_path):
    (tmp_path / "serve.py").write_text(textwrap.dedent("""
        import os, signal, subprocess, sys, threading

        stop = threading.Event()
        signal.signal(signal.SIGUSR1, lambda signum, frame: stop.set())
        kill = f"import os, time; time.sleep(1.5); os.kill({os.getpid()}, {int(signal.SIGUSR1)})"
        subprocess.Popen([sys.executable, "-c", kill])
        stop.wait()  # the only thread: only the handler can end the wait
        print("stopped")
    """))
    p = run(["-m", "lockdep", "--hang-timeout", "0.2", str(tmp_path / "serve.py")], cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "stopped\n" and "deadlock detected" not in p.stderr


def test_hang_timeout_must_be_seconds(tmp_path):
    (tmp_path / "x.py").write_text("")
    p = run(["-m", "lockdep", "--hang-timeout", "soon", str(tmp_path / "x.py")])
    assert (p.returncode, p.stderr) == (2, "lockdep: --hang-timeout: not a number of seconds: 'soon'\n")
    p = run(["-m", "lockdep", str(tmp_path / "x.py")], LOCKDEP_HANG_TIMEOUT="-1")
    assert p.returncode == 2 and p.stderr.startswith("lockdep: LOCKDEP_HANG_TIMEOUT: must be 0 (off)")


HANGING_TESTS = f"""
import textwrap

def test_actors():
    exec(textwrap.dedent({ACTORS!r}), {{"__name__": "__main__"}})

def test_abba():
    exec(textwrap.dedent({ABBA!r}), {{}})

def test_still_runs():
    pass
"""


def test_pytest_fails_a_deadlocked_test_with_the_report(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch):
    for k in ("LOCKDEP", "LOCKDEP_JSON", "LOCKDEP_TRACE", "LOCKDEP_CHILD", "LOCKDEP_HANG_TIMEOUT"):
        monkeypatch.delenv(k, raising=False)
    monkeypatch.setenv("PYTHONPATH", env()["PYTHONPATH"])
    pytester.makepyfile(test_hangs=HANGING_TESTS)
    result = pytester.runpytest_subprocess("--lockdep", "--lockdep-hang-timeout", "1", "-p", "no:threadexception",
                                           timeout=120)
    result.assert_outcomes(failed=2, passed=1)
    result.stdout.fnmatch_lines([
        "*_ test_actors _*", "lockdep found * during this test:", "WARNING: deadlock detected",
        "wait-for cycle:", " actor_?_0 waits for future *, run by actor_?_0",
        "*_ test_abba _*", "lockdep found * during this test:",
    ], consecutive=False)
    result.stdout.fnmatch_lines(["*(the waits of these threads were aborted with lockdep.runtime.DeadlockError)"])
