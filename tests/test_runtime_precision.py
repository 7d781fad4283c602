"""Precision on correct Python code, recall on its buggy twins (issue: every finding is a
bug a maintainer would fix).  Each program in tests/programs/ runs under ``python -m
lockdep`` in a subprocess, as a user runs it; CI runs this file under both cores."""

from __future__ import annotations

import json
import os
import queue
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from runtime_helpers import kinds, run

PROGRAMS = Path(__file__).resolve().parent / "programs"
REPROS = "../../benchmarks/precision/repros"  # relative to PROGRAMS


def lockdep(program: str, tmp_path: Path, **env: str) -> tuple[list, str]:
    out = tmp_path / "findings.json"
    p = run(["-m", "lockdep", "--json", str(out), str(PROGRAMS / program)], timeout=120,
            LOCKDEP_HANG_TIMEOUT="1", **env)
    assert p.returncode == 0, p.stderr
    return json.loads(out.read_text())["findings"], p.stderr


@pytest.mark.parametrize("program", [
    "futures_wait_many.py",   # the stdlib nests every future's condition, sorted by id
    "futures_waited_round_after_round.py",  # ... round after round, each round's futures dropped
    "accounts_sorted.py",     # two instances of one class, always in id order
    "nested_futures.py",      # outer future's condition held while waiting on an inner one
    "handoff_done_flag.py",   # a Lock released by the worker, re-acquired to wait for it
    "rwlock_group.py",        # readers' group lock: first reader takes it, last one releases
    "rwlock_one_thread.py",   # the same lock used by one thread at a time: never seen handed off
    "rwlock_reader_left_in.py",  # group holds never released: dropped, held at exit, left by a thread
    "fork_hook_takes_registry.py",  # an at-fork hook takes a registry's locks in its iteration order
    "dropped_held_lock_at_fork.py",  # a lock dropped while held is held by nobody at a fork
    "rwlock_downgrade_through_a_thread.py",  # a write hold becomes a thread's read hold
    "stop_then_join.py",      # wake each emitter, then join it, holding a lock they never take
    "stop_then_join_mixed.py",  # the same, after joins of emitters (one thread class) that never waited
    "pool_finalizer_other_instance.py",  # a dead pool's finalizer, inside a live pool's critical section
    "executor_weakref_callback.py",  # a weakref callback takes the lock it carries for the dead executor
    # the harness's reproducers of false findings in PyPI suites (benchmarks/precision/repros):
    f"{REPROS}/rwlock_lightswitch.py",  # readers' group holds (under the readers' lock), a writer's (alone)
    f"{REPROS}/lock_born_in_critical_section.py",  # a constructor logs under its object's private lock
    f"{REPROS}/wait_futures_of_two_submit_sites.py",  # the stdlib nests futures' conditions of two lines by id
    f"{REPROS}/dropped_held_lock.py",  # a lock dropped while held orders nothing after it
    f"{REPROS}/at_fork_reinit_held_lock.py",  # a held lock reset by _at_fork_reinit() is held by nobody
    f"{REPROS}/as_completed_frees_yielded.py",  # exits 1 if the watched as_completed keeps a yielded future
    f"{REPROS}/executor_dropped_without_shutdown.py",  # exits 1 if its futures keep the executor alive
    f"{REPROS}/wait_first_exception.py",  # wait() asks its done futures for their exception, under their conditions
    f"{REPROS}/done_callback_result_under_lock.py",  # a done callback reads its future's result under a lock
    f"{REPROS}/as_completed_result_under_lock.py",  # results of futures seen done, read under a lock
    f"{REPROS}/registered_lock_factory.py",  # a factory registers each lock before returning it (loguru)
    f"{REPROS}/barrier_rounds_under_lock.py",  # a barrier's round 1 waited under a lock, round 2 reached with it
    f"{REPROS}/logging_bridge_both_ways.py",  # a library's handler writes to logging, a logging handler to it
    f"{REPROS}/fork_hook_takes_registry.py",  # loguru's at-fork hook over a WeakSet whose resizes reorder it
    f"{REPROS}/weak_registry_keeps_released_lock.py",  # exits 1 if a released lock outlives its last user
    f"{REPROS}/session_merge_event_cycle.py",  # events alone in the session's merged graph (a subprocess ran)
])
def test_correct_program_is_clean(program, tmp_path):
    found, err = lockdep(program, tmp_path)
    assert found == [], err
    assert "lockdep: 0 findings" in err


def test_unsorted_instances_of_one_class_are_an_inversion_naming_both(tmp_path):
    found, err = lockdep("accounts_unsorted.py", tmp_path)
    assert kinds(found) == [("circular_dependency", ["Account.lock", "Account.lock"])]
    a, b = found[0]["instances"]
    assert a.startswith("Account.lock of <Account at 0x") and b.startswith("Account.lock of <Account at 0x")
    assert a != b
    assert "accounts_unsorted.py:14 transfer(): with b.lock:" in found[0]["site"]
    assert "accounts_unsorted.py:13 transfer(): with a.lock:" in found[0]["holding"]["site"]


def test_two_queues_of_two_lines_nested_in_both_orders_are_an_inversion_naming_both(tmp_path):
    found, err = lockdep("queues_nested_both_orders.py", tmp_path)
    assert kinds(found) == [("circular_dependency", ["queues_nested_both_orders.inbox.mutex",
                                                     "queues_nested_both_orders.outbox.mutex"])]
    assert ("two queues_nested_both_orders.inbox.mutex / queues_nested_both_orders.outbox.mutex objects are "
            "taken in opposite orders") in err
    assert "queues_nested_both_orders.py:14 in move" in err and "queues_nested_both_orders.py:13 in move" in err


def test_a_lock_reset_by_at_fork_reinit_is_held_by_nobody(tmp_path):
    found, err = lockdep("at_fork_reinit.py", tmp_path)  # the forked child reports on its own stderr
    assert found == [] and "possible deadlock" not in err, err


def test_a_thread_waiting_for_a_lock_only_it_could_release_is_a_self_deadlock(tmp_path):
    found, err = lockdep("self_deadlock.py", tmp_path)
    assert kinds(found) == [("recursive_locking", ["self_deadlock.lock"])]
    assert found[0]["self_wait"] and found[0]["same_instance"]
    assert "reentrant" not in found[0]["hint"]


def test_join_under_a_lock_the_thread_takes(tmp_path):
    found, _ = lockdep("join_under_lock.py", tmp_path)
    assert kinds(found) == [("circular_dependency",
                             ["(thread)worker@tests/programs/join_under_lock.py:16", "join_under_lock.state_lock"])]


def test_queue_get_under_a_lock_the_producer_needs(tmp_path):
    found, _ = lockdep("queue_get_under_lock.py", tmp_path)
    assert kinds(found) == [("circular_dependency",
                             ["(condition)queue_get_under_lock.q.not_empty", "queue_get_under_lock.lock"])]
    assert "queue_get_under_lock.py:23 producer(): q.put(1)" in json.dumps(found[0])  # where it was signalled


def test_the_result_of_a_done_future_under_a_lock_its_worker_takes(tmp_path):
    found, _ = lockdep("done_future_result_under_lock.py", tmp_path)
    assert kinds(found) == [("circular_dependency", [
        "(future)load@tests/programs/done_future_result_under_lock.py:15",
        "done_future_result_under_lock.registry_lock"])]


def test_join_under_a_lock_that_the_waker_of_the_thread_needs(tmp_path):
    found, err = lockdep("join_while_waker_needs_lock.py", tmp_path)
    assert kinds(found) == [("circular_dependency", [
        "(thread)DelayedQueue.get@tests/programs/join_while_waker_needs_lock.py:27",
        "(condition)DelayedQueue._not_empty", "Observer._lock"])]
    assert "Thread-1 (get) waits for condition DelayedQueue._not_empty before it finishes" in err
    assert ("or let Thread-2 (stop_from_elsewhere) signal condition DelayedQueue._not_empty without holding "
            "Observer._lock (tests/programs/join_while_waker_needs_lock.py:36 in Observer.stop_from_elsewhere)") in err


def test_a_finalizer_taking_a_shared_lock_held_elsewhere_by_normal_code(tmp_path):
    found, err = lockdep("shared_registry_finalizer.py", tmp_path)
    assert kinds(found) == [("inconsistent_lock_state", ["Registry.lock"])]
    assert "shared_registry_finalizer.py:20 in Registry.unregister" in err


def test_the_instance_order_of_freed_locks_is_forgotten(tmp_path):
    script = tmp_path / "many.py"
    script.write_text("import threading\n\n\nclass Account:\n    def __init__(self):\n"
                      "        self.lock = threading.Lock()\n\n\nfor i in range(10000):\n"
                      "    a, b = Account(), Account()\n    with a.lock:\n        with b.lock:\n            pass\n")
    out = tmp_path / "f.json"
    p = run(["-m", "lockdep", "--json", str(out), str(script)], timeout=300)
    result = json.loads(out.read_text())
    assert result["findings"] == [], p.stderr
    assert 0 < result["stats"]["instance_edges"] < 5000  # 10,000 pairs were ordered; most are gone


@pytest.mark.parametrize("lock", ["threading.Lock()", "threading.RLock()"])
def test_an_interrupt_inside_the_bookkeeping_of_a_condition_wait_leaves_the_lock_owned(tmp_path, lock):
    """A KeyboardInterrupt that a signal handler raises while lockdep records a wait (dask's
    test_interrupt) must leave the condition's lock owned, as CPython's atomic release does:
    the caller's `with` then releases it, instead of failing with "release unlocked lock"."""
    script = tmp_path / "interrupted.py"
    script.write_text(f"import threading\nfrom lockdep.runtime import state\n\n\n"
                      f"def interrupted(*args, **kwargs):\n    raise KeyboardInterrupt\n\n\n"
                      f"state.Runtime.wait = interrupted\nc = threading.Condition({lock})\ntry:\n"
                      f"    with c:\n        c.wait()\nexcept KeyboardInterrupt:\n"
                      f"    assert c.acquire(blocking=False)\n    print('interrupted cleanly')\n")
    p = run(["-m", "lockdep", str(script)])
    assert p.returncode == 0 and "interrupted cleanly" in p.stdout, p.stderr


def test_waiting_for_a_handed_off_lock_while_holding_what_its_releaser_needs(tmp_path):
    found, err = lockdep("handoff_waiter_holds_what_releaser_needs.py", tmp_path)
    assert kinds(found) == [("circular_dependency", ["(release)round_.done",
                                                     "handoff_waiter_holds_what_releaser_needs.state_lock"])]
    assert "handoff_waiter_holds_what_releaser_needs.py:25 in round_" in err  # the wait under the lock


def test_locks_an_at_fork_hook_takes_are_still_ordered_by_normal_code(tmp_path):
    program = (PROGRAMS / "fork_hook_takes_registry.py").read_text().replace(
        'print("done")', 'with y:\n    with x:\n        pass\nprint("done")')
    (tmp_path / "twin.py").write_text(program)
    found, _ = lockdep(str(tmp_path / "twin.py"), tmp_path)
    assert kinds(found) == [("circular_dependency", ["twin.x", "twin.y"])]


def test_a_lock_held_in_round_one_of_a_barrier_that_another_arrival_of_round_one_needs(tmp_path):
    found, err = lockdep("barrier_round_one_both_roles.py", tmp_path)
    assert kinds(found) == [("circular_dependency", ["barrier_round_one_both_roles.lock",
                                                     "(condition)barrier_round_one_both_roles.barriers[]._cond round 1"])]
    assert "barrier_round_one_both_roles.py:17 in worker" in err  # the wait under the lock


def test_an_entry_lock_taken_under_the_table_lock_and_released_without_it(tmp_path):
    """The readers' group hold's shape up to its release, which is not made under the guard."""
    found, err = lockdep("entry_lock_outlives_table_lock.py", tmp_path)
    assert kinds(found) == [("circular_dependency", ["entry_lock_outlives_table_lock.table_lock", "Entry.lock"])]
    assert "entry_lock_outlives_table_lock.py:24 in touch" in err


def test_a_shared_object_that_logs_under_its_lock_read_by_a_log_handler(tmp_path):
    found, _ = lockdep("shared_object_logs_under_its_lock.py", tmp_path)
    assert kinds(found) == [("circular_dependency", ["Attributes._lock", "ExportingHandler.lock"])]


def test_a_finalizer_called_by_name_is_normal_code_and_one_run_by_a_del_interrupts(tmp_path):
    """`obj.__del__()` written in the code (tqdm's tests simulate a collection so) interrupts nothing;
    the same finalizer run by the last reference going is the HANDLER context."""
    body = ("import threading\nshared = threading.Lock()\ninner = threading.Lock()\n\n\nclass Res:\n"
            "    def __del__(self):\n        with shared:\n            pass\n\n\nr = Res()\nwith shared:\n"
            "    with inner:\n        pass\n")
    for last, expected in (("r.__del__()\ndel Res.__del__\n", []),
                           ("del r\n", [("inconsistent_lock_state", ["finalize.shared"])])):
        script = tmp_path / "finalize.py"
        script.write_text(body + last)
        out = tmp_path / "f.json"
        p = run(["-m", "lockdep", "--json", str(out), str(script)])
        assert kinds(json.loads(out.read_text())["findings"]) == expected, p.stderr


def test_a_plain_lock_leaked_by_an_ended_thread_is_held_at_exit(tmp_path):
    script = tmp_path / "leak.py"
    script.write_text("import threading\nleaked = threading.Lock()\n\n\ndef worker():\n    leaked.acquire()\n\n\n"
                      "t = threading.Thread(target=worker)\nt.start()\nt.join()\n")
    out = tmp_path / "f.json"
    p = run(["-m", "lockdep", "--json", str(out), str(script)])
    found = json.loads(out.read_text())["findings"]
    assert kinds(found) == [("held_lock_at_exit", ["leak.leaked"])], p.stderr
    assert found[0]["task"].endswith("(worker)")
    assert "leak.py:6 worker(): leaked.acquire()" in found[0]["held"][0]["site"]


def test_a_plain_lock_released_later_by_another_thread_is_not_leaked(tmp_path):
    script = tmp_path / "later.py"
    script.write_text("import threading\ngate = threading.Lock()\n\n\ndef worker():\n    gate.acquire()\n\n\n"
                      "t = threading.Thread(target=worker)\nt.start()\nt.join()\ngate.release()\n")
    out = tmp_path / "f.json"
    run(["-m", "lockdep", "--json", str(out), str(script)])
    assert json.loads(out.read_text())["findings"] == []


# ---------------------------------------------------------------- property
class _Worker:
    """A thread that runs lock commands one at a time."""

    def __init__(self) -> None:
        self.cmds: queue.SimpleQueue = queue.SimpleQueue()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            cmd = self.cmds.get()
            if cmd is None:
                return
            cmd()
            self.done.set()

    def start(self, cmd) -> None:
        self.done.clear()
        self.cmds.put(cmd)

    def finish(self) -> None:
        assert self.done.wait(10), "a command that cannot block did not finish"


ops = st.lists(st.tuples(st.sampled_from(["acquire", "release"]), st.integers(0, 2), st.integers(0, 2)),
               min_size=1, max_size=12)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(ops)
def test_held_stacks_hold_only_owned_locks(steps):
    """Random acquisitions, hand-offs (releases by other threads) and blocked acquirers: a
    thread's held stack never contains a lock it does not own."""
    from lockdep.runtime import disable, enable

    rt = enable(quiet=True, summary=False)
    try:
        locks = [threading.Lock()]  # three classes, one per line
        locks.append(threading.Lock())
        locks.append(threading.Lock())
        workers = [_Worker() for _ in range(3)]
        owner: dict[int, int | None] = {i: None for i in range(3)}
        blocked: dict[int, list[int]] = {i: [] for i in range(3)}  # lock -> workers blocked on it, in order

        def is_blocked(w_i: int) -> bool:
            return any(w_i in ws for ws in blocked.values())

        def release(l_i: int, by: int | None) -> None:
            if by is None:  # this test's own thread
                locks[l_i].release()
            else:
                workers[by].start(locks[l_i].release)
                workers[by].finish()
            owner[l_i] = None
            if blocked[l_i]:  # exactly one blocked acquirer gets it: wait for whichever does
                deadline = time.monotonic() + 10
                while not any(workers[w].done.is_set() for w in blocked[l_i]):
                    assert time.monotonic() < deadline
                    time.sleep(0.001)
                winner = next(w for w in blocked[l_i] if workers[w].done.is_set())
                blocked[l_i].remove(winner)
                owner[l_i] = winner

        for op, w_i, l_i in steps:
            if is_blocked(w_i):
                continue
            if op == "acquire":
                if owner[l_i] == w_i:
                    continue  # a self-wait: only a hand-off would end it
                workers[w_i].start(locks[l_i].acquire)
                if owner[l_i] is None:
                    workers[w_i].finish()
                    owner[l_i] = w_i
                else:
                    blocked[l_i].append(w_i)
                    time.sleep(0.005)  # let it block (or be about to: either way it does not own the lock)
            elif owner[l_i] is not None:
                release(l_i, w_i)
            for w_i2, w in enumerate(workers):
                ts = rt.threads.get(w.thread.ident)
                held = {id(h.lock) for h in ts.held} if ts is not None else set()
                assert held <= {id(locks[i]) for i, o in owner.items() if o == w_i2}
        for l_i in range(3):  # let every blocked worker through
            while owner[l_i] is not None:
                release(l_i, None)
        for w in workers:
            w.cmds.put(None)
            w.thread.join()
    finally:
        disable()


@pytest.mark.skipif(os.environ.get("LOCKDEP_CORE") == "python",
                    reason="the pure-Python core has Python frames between taking a lock and returning")
def test_an_interrupt_while_waiting_for_a_contended_lock_never_leaves_it_held():
    # the precision harness's reproducer of dask's test_interrupt hanging under lockdep
    repro = PROGRAMS.parent.parent / "benchmarks" / "precision" / "repros" / "interrupt_leaves_lock_held.py"
    p = run(["-m", "lockdep", str(repro)], timeout=60)
    assert p.returncode == 0, p.stderr


@pytest.mark.parametrize("program", [
    "accounts_sorted.py",        # instance order within a class
    "accounts_unsorted.py",      # ... and its inversion
    f"{REPROS}/wait_futures_of_two_submit_sites.py",  # the instance rule across the classes of one family
    "queues_nested_both_orders.py",  # ... and its inversion
    "rwlock_one_thread.py",      # a readers' group lock seen in one thread
    "rwlock_group.py",           # a group hold released by another thread, one taken by a thread that ended
    "rwlock_downgrade_through_a_thread.py",  # windows of a hand-off release
    "handoff_waiter_holds_what_releaser_needs.py",  # the hand-off rule's buggy twin
    "rwlock_reader_left_in.py",  # group holds never released
    "entry_lock_outlives_table_lock.py",  # ... and the group-hold rule's buggy twin
    f"{REPROS}/barrier_rounds_under_lock.py",  # a barrier's rounds
    "barrier_round_one_both_roles.py",  # ... and their buggy twin
    "futures_waited_round_after_round.py",  # locks that die and leave their address to new ones
    "stop_then_join.py",         # cycles of thread and queue events alone, the own-signal rule
    "pool_finalizer_other_instance.py",  # a callback judged as normal code
    f"{REPROS}/lock_born_in_critical_section.py",  # private acquisitions
])
def test_a_recorded_trace_replays_to_the_live_runs_findings(program, tmp_path):
    """The trace carries the live run's judgements (docs/trace-format.md, "Recorded Python traces")."""
    trace = tmp_path / "trace.jsonl"
    live, _ = lockdep(program, tmp_path, LOCKDEP_TRACE=str(trace))
    r = run(["-m", "lockdep", "replay", "--json", str(trace)])
    assert r.returncode == (1 if live else 0), r.stderr
    assert kinds(json.loads(r.stdout)["findings"]) == kinds(live)
