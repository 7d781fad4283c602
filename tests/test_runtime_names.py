"""Names that keep different things apart, interrupting contexts and thread
identity: small programs run under ``python -m lockdep``; each correct program
is clean and its buggy twin is still reported, under the names a user reads."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from runtime_helpers import kinds, run


def lockdep_run(tmp_path: Path, files: dict[str, str], main: str = "main.py") -> tuple[list, dict, set]:
    """Write ``files``, run ``main`` under lockdep with a trace; return the findings, the
    lock classes by name (with their creation sites) and the events waited for or signalled."""
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    out, trace = tmp_path / "findings.json", tmp_path / "trace.jsonl"
    p = run(["-m", "lockdep", "--json", str(out), "--trace", str(trace), str(tmp_path / main)], cwd=tmp_path)
    assert p.returncode == 0 and "ok" in p.stdout, p.stdout + p.stderr
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    classes = {e["class"]: e["site"] for e in events if e["op"] == "lock_init"}
    waited = {e["event"] for e in events if e["op"] in ("wait", "signal")}
    return json.loads(out.read_text())["findings"], classes, waited


# ---------------------------------------------------------------------------------- names
JOB = """
    import threading
    class Job:
        def __init__(self):
            self.done = threading.Event()
"""

JOBS_MAIN = """
    import threading
    import {a}, {b}
    state_lock = threading.Lock()

    def finish(job, take_lock):
        while not job.done._cond._waiters:  # until the main thread waits
            threading.Event().wait(0.001)
        if take_lock:
            with state_lock:
                pass
        job.done.set()

    # b's job is finished by a thread that takes state_lock, with nothing held by its waiter
    jb = {b}.Job()
    t = threading.Thread(target=finish, args=(jb, True)); t.start()
    jb.done.wait(); t.join()
    # a's job is waited for under state_lock; its finisher never takes it
    ja = {a}.Job()
    t = threading.Thread(target=finish, args=(ja, False)); t.start()
    with state_lock:
        ja.done.wait()
    t.join()
    print("ok")
"""


def test_events_of_two_modules_with_one_class_name_stay_apart(tmp_path):
    found, _, events = lockdep_run(tmp_path, {"jobs_a.py": JOB, "jobs_b.py": JOB,
                                              "main.py": JOBS_MAIN.format(a="jobs_a", b="jobs_b")})
    assert found == []
    assert {"(condition)Job.done._cond", "(condition)Job.done._cond#2"} <= events


def test_one_event_class_waited_under_a_lock_its_setter_takes_is_reported(tmp_path):
    found, _, _ = lockdep_run(tmp_path, {"jobs_a.py": JOB, "main.py": JOBS_MAIN.format(a="jobs_a", b="jobs_a")})
    assert kinds(found) == [("circular_dependency", ["(condition)Job.done._cond", "main.state_lock"])]

