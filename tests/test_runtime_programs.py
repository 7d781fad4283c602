"""Real programs run under ``python -m lockdep`` / ``LOCKDEP=1``: each bug
pattern is reported from a run that does not deadlock, clean programs are silent."""

from __future__ import annotations

import json
import textwrap


from runtime_helpers import EXAMPLES, kinds, lockdep_json, run


def test_abba_between_two_threads(tmp_path):
    p, found = lockdep_json(EXAMPLES / "bank_transfer.py", tmp_path)
    assert p.returncode == 0 and "total (100, 1)" in p.stdout
    assert kinds(found) == [("circular_dependency", ["Bank.accounts_lock", "Bank.audit_lock"])]
    f = found[0]
    assert [s.split(":")[0].endswith("bank_transfer.py") for s in f["sites"]] == [True, True]
    # the report on stderr (Python style, tests/test_report_text.py): both sides, with their source lines
    err = p.stderr
    assert "lockdep: possible deadlock: Bank.accounts_lock and Bank.audit_lock are taken in opposite orders" in err
    assert "bank_transfer.py:23 in Bank.transfer\n          with self.audit_lock:" in err
    assert "bank_transfer.py:28 in Bank.audit\n        with self.accounts_lock:" in err
    assert "Fix: take Bank.accounts_lock before Bank.audit_lock" in err and "lockdep: 1 finding" in err


def test_join_while_holding_a_lock_the_thread_needs(tmp_path):
    p, found = lockdep_json(EXAMPLES / "join_under_lock.py", tmp_path)
    # which edge closes the cycle depends on whether the worker's exit comes before the join (a race
    # of the example itself: the cycle is the same, listed from its new edge)
    assert [(k, sorted(c)) for k, c in kinds(found)] == [
        ("circular_dependency", ["(thread)refresh@examples/python/join_under_lock.py:21", "join_under_lock.cache_lock"])]


def test_future_result_under_a_lock_the_work_item_takes(tmp_path):
    p, found = lockdep_json(EXAMPLES / "future_under_lock.py", tmp_path)
    assert kinds(found) == [("circular_dependency", ["(future)load@examples/python/future_under_lock.py:17", "future_under_lock.registry_lock"])]


def test_queue_consumer_holding_a_lock_the_producer_needs(tmp_path):
    p, found = lockdep_json(EXAMPLES / "queue_consumer_lock.py", tmp_path)
    assert kinds(found) == [("circular_dependency", ["queue_consumer_lock.state_lock",
                                                     "(condition)queue_consumer_lock.jobs.not_empty"])]


def test_lock_taken_in_a_signal_handler(tmp_path):
    p, found = lockdep_json(EXAMPLES / "signal_counter.py", tmp_path)
    assert kinds(found) == [("inconsistent_lock_state", ["signal_counter.stats_lock"])]
    assert found[0]["state"] == "HANDLER"
    assert "on_hangup" in json.dumps(found[0])  # the handler's frame is named


def test_clean_program_with_50_threads_reports_nothing(tmp_path):
    p, found = lockdep_json(EXAMPLES / "clean_pool.py", tmp_path, "--fail")
    assert p.returncode == 0, p.stderr
    assert p.stdout.strip() == "True 1000"
    assert found == []
    assert "lockdep: 0 findings" in p.stderr


def test_fail_flag_and_exit_status(tmp_path):
    p, _ = lockdep_json(EXAMPLES / "bank_transfer.py", tmp_path, "--fail")
    assert p.returncode == 1 and "total" in p.stdout
    script = tmp_path / "exits.py"
    script.write_text("import sys\nsys.exit(3)\n")
    assert run(["-m", "lockdep", str(script)]).returncode == 3
    script.write_text("raise ValueError('boom')\n")
    p = run(["-m", "lockdep", str(script)])
    assert p.returncode == 1 and "ValueError: boom" in p.stderr and "runpy" not in p.stderr


def test_module_form(tmp_path):
    pkg = tmp_path / "app"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "main.py").write_text((EXAMPLES / "bank_transfer.py").read_text())
    out = tmp_path / "f.json"
    p = run(["-m", "lockdep", "--json", str(out), "-m", "app.main", "extra-arg"], cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert kinds(json.loads(out.read_text())["findings"]) == [
        ("circular_dependency", ["Bank.accounts_lock", "Bank.audit_lock"])]


def test_env_var_activation_and_subprocesses(tmp_path):
    child = tmp_path / "child.py"
    child.write_text((EXAMPLES / "bank_transfer.py").read_text())
    parent = tmp_path / "parent.py"
    parent.write_text(textwrap.dedent(f"""
        import subprocess, sys, threading
        lock = threading.Lock()
        with lock:
            pass
        subprocess.run([sys.executable, {str(child)!r}], check=True)
    """))
    out = tmp_path / "f.json"
    p = run([str(parent)], LOCKDEP="1", LOCKDEP_JSON=str(out))
    assert p.returncode == 0, p.stderr
    # the parent itself is clean; its report carries the child's finding, with the child's pid and command line
    (f,) = json.loads(out.read_text())["findings"]
    assert (f["kind"], f["classes"]) == ("circular_dependency", ["Bank.accounts_lock", "Bank.audit_lock"])
    assert f["pid"] and f["argv"].endswith("child.py")
    assert f"circular_dependency: Bank.accounts_lock --> Bank.audit_lock  [found by pid {f['pid']}" in p.stderr
    children = list(tmp_path.glob("f.json.*"))
    assert len(children) == 1
    assert kinds(json.loads(children[0].read_text())["findings"]) == [
        ("circular_dependency", ["Bank.accounts_lock", "Bank.audit_lock"])]
    assert "lockdep: possible deadlock: " in p.stderr
    # without the variable nothing is instrumented
    p = run([str(child)])
    assert "WARNING" not in p.stderr and "lockdep" not in p.stderr


def test_recorded_trace_replays_to_the_same_findings(tmp_path):
    for name in ("bank_transfer.py", "join_under_lock.py", "queue_consumer_lock.py", "signal_counter.py"):
        trace = tmp_path / f"{name}.jsonl"
        p, found = lockdep_json(EXAMPLES / name, tmp_path, "--trace", str(trace))
        r = run(["-m", "lockdep", "replay", "--json", str(trace)])
        assert r.returncode == 1, r.stderr
        assert kinds(json.loads(r.stdout)["findings"]) == kinds(found), name


def test_fork_while_another_thread_holds_a_lock(tmp_path):
    script = tmp_path / "forker.py"
    script.write_text(textwrap.dedent("""
        import os, threading
        log_lock = threading.Lock()
        holding, done = threading.Event(), threading.Event()
        def writer():
            with log_lock:
                holding.set()
                done.wait()
        t = threading.Thread(target=writer, name="writer")
        t.start()
        holding.wait()
        pid = os.fork()
        if pid == 0:
            os._exit(0)
        os.waitpid(pid, 0)
        done.set()
        t.join()
    """))
    p, found = lockdep_json(script, tmp_path)
    assert p.returncode == 0, p.stderr
    assert kinds(found) == [("held_lock_at_fork", ["forker.log_lock"])]
    assert found[0]["held"][0]["site"].endswith("forker.py:6 writer(): with log_lock:")


def test_lock_taken_in_a_finalizer(tmp_path):
    script = tmp_path / "fin.py"
    script.write_text(textwrap.dedent("""
        import threading
        registry_lock = threading.Lock()
        registry = set()
        class Conn:
            def __init__(self):
                with registry_lock:
                    registry.add(id(self))
            def __del__(self):
                with registry_lock:
                    registry.discard(id(self))
        c = Conn()
        del c
    """))
    p, found = lockdep_json(script, tmp_path)
    assert kinds(found) == [("inconsistent_lock_state", ["fin.registry_lock"])]
    assert "Conn.__del__" in json.dumps(found[0])


def test_name_and_nested_annotations(tmp_path):
    script = tmp_path / "annot.py"
    script.write_text(textwrap.dedent("""
        import threading, lockdep.runtime as ld
        class Node:
            def __init__(self):
                self.lock = threading.Lock()
        parent, child = Node(), Node()
        with parent.lock:
            with ld.nested(child.lock, 1):   # parent then child: a deliberate, ordered nesting
                pass
        conn = ld.name(threading.Lock(), "pool.conn")
        with conn:
            with parent.lock:
                pass
        with child.lock:
            with child.lock if False else conn:
                pass
    """))
    p, found = lockdep_json(script, tmp_path)
    assert p.returncode == 0, p.stderr
    assert kinds(found) == [("circular_dependency", ["pool.conn", "Node.lock"])]


def test_rlock_held_at_thread_exit(tmp_path):
    script = tmp_path / "leak.py"
    script.write_text(textwrap.dedent("""
        import threading
        cfg_lock = threading.RLock()
        def leaky():
            cfg_lock.acquire()
        t = threading.Thread(target=leaky, name="leaky")
        t.start(); t.join()
        handoff = threading.Lock()
        def taker():
            handoff.acquire()      # released by the main thread later: a legal hand-off
        t = threading.Thread(target=taker); t.start(); t.join()
        handoff.release()
    """))
    p, found = lockdep_json(script, tmp_path)
    assert kinds(found) == [("held_lock_at_exit", ["leak.cfg_lock"])]


def test_heavy_contention_stays_consistent(tmp_path):
    """Threads queue up on one lock (each validated before it blocks): no phantom findings."""
    script = tmp_path / "contend.py"
    script.write_text(textwrap.dedent("""
        import threading
        lock, rlock = threading.Lock(), threading.RLock()
        def work():
            for _ in range(3000):
                with lock:
                    pass
                with rlock:
                    with rlock:
                        pass
                lock.acquire(); lock.release()
        ts = [threading.Thread(target=work) for _ in range(6)]
        for t in ts: t.start()
        for t in ts: t.join()
    """))
    p, found = lockdep_json(script, tmp_path)
    assert p.returncode == 0, p.stderr
    assert found == []


def test_lock_taken_deep_inside_a_finalizer_after_the_chain_is_cached(tmp_path):
    """sentry-python #803 shape: __del__ -> close() -> log() -> lock, the lock long since cached."""
    script = tmp_path / "deep.py"
    script.write_text(textwrap.dedent("""
        import threading
        sink_lock = threading.Lock()
        def log(msg):
            with sink_lock:
                pass
        def close():
            log("closing")
        for _ in range(100):
            log("normal")           # learned (and cached) in normal context
        class Resource:
            def __del__(self):
                close()
        r = Resource()
        del r
    """))
    p, found = lockdep_json(script, tmp_path)
    assert kinds(found) == [("inconsistent_lock_state", ["deep.sink_lock"])]
    assert "Resource.__del__" in json.dumps(found[0])


def test_asyncio_lock_inversion_between_tasks(tmp_path):
    p, found = lockdep_json(EXAMPLES / "asyncio_abba.py", tmp_path)
    assert p.returncode == 0 and "done" in p.stdout, p.stderr
    assert kinds(found) == [("circular_dependency", ["Cache.index_lock", "Cache.store_lock"])]
    assert found[0]["task"] == "task compactor"


def test_one_slot_semaphores_are_locks_counting_ones_are_not(tmp_path):
    p, found = lockdep_json(EXAMPLES / "semaphore_mutexes.py", tmp_path)
    assert p.returncode == 0 and "ok" in p.stdout, p.stderr
    assert kinds(found) == [("circular_dependency", ["semaphore_mutexes.printer", "semaphore_mutexes.scanner"])]
