"""Lock history for Python programs: subprocesses report to the parent, runs remember each
other (``--db``), pytest-xdist workers share one graph, classes survive moved lines."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path

import pytest

from runtime_helpers import run

SHARED = """\
import threading
A = threading.Lock()
REGISTRY = []
REGISTRY.append(threading.Lock())   # no name of its own: the class is called shared.py:4
"""


def write(d: Path, name: str, text: str) -> Path:
    p = d / name
    p.write_text(textwrap.dedent(text))
    return p


def test_an_inversion_split_between_a_program_and_its_subprocess(tmp_path):
    write(tmp_path, "shared.py", SHARED)
    write(tmp_path, "child.py", """\
        from shared import A, REGISTRY
        with REGISTRY[0]:
            with A:
                pass
    """)
    write(tmp_path, "parent.py", """\
        import subprocess, sys
        from shared import A, REGISTRY
        with A:
            with REGISTRY[0]:
                pass
        subprocess.run([sys.executable, "child.py"], check=True)
    """)
    out = tmp_path / "out.json"
    p = run(["-m", "lockdep", "--fail", "--json", str(out), "parent.py"], cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    (f,) = json.loads(out.read_text())["findings"]
    assert f["kind"] == "circular_dependency" and sorted(f["classes"]) == ["shared.A", "shared.py:4"]
    assert f["learned_in"] == "merged graph of the session"
    tasks = " ".join(step["witness"]["task"] for step in f["chain"])
    assert "child.py" in tasks or "parent.py" in tasks
    assert "found by merged graph of the session" in p.stderr
    # the temporary store of the session is gone
    assert not list(tmp_path.glob("*.db"))


def test_the_parents_html_and_sarif_name_the_subprocess_that_found_it(tmp_path):
    """A child's own inversion and one split between parent and child: in every report of the parent."""
    write(tmp_path, "shared.py", SHARED)
    write(tmp_path, "child.py", """\
        import os, threading
        from shared import A, REGISTRY
        open("child.pid", "w").write(str(os.getpid()))
        B, C = threading.Lock(), threading.Lock()
        with REGISTRY[0]:
            with A:
                pass
        with B:
            with C:
                pass
        with C:
            with B:
                pass
    """)
    write(tmp_path, "parent.py", """\
        import subprocess, sys
        from shared import A, REGISTRY
        with A:
            with REGISTRY[0]:
                pass
        subprocess.run([sys.executable, "child.py", "--flag"], check=True)
    """)
    p = run(["-m", "lockdep", "--fail", "--json", "out.json", "--html", "out.html", "--sarif", "out.sarif",
             "parent.py"], cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    pid = int((tmp_path / "child.pid").read_text())
    by_pid = {f.get("pid"): f for f in json.loads((tmp_path / "out.json").read_text())["findings"]}
    assert set(by_pid) == {pid, None} and by_pid[pid]["classes"] in (["child.B", "child.C"], ["child.C", "child.B"])
    assert by_pid[pid]["argv"].endswith("child.py --flag")
    from test_report_formats import validate_sarif

    results = validate_sarif(tmp_path / "out.sarif")["runs"][0]["results"]
    props = sorted((r["properties"].get("pid", 0), r["properties"].get("argv", ""), r["message"]["text"])
                   for r in results)
    assert len(props) == 2
    (_, _, merged), (child_pid, argv, text) = props
    assert child_pid == pid and argv.endswith("child.py --flag") and f"[found by pid {pid} (" in text
    assert "[found by merged graph of the session]" in merged and "shared.A" in merged
    html = (tmp_path / "out.html").read_text()
    assert html.count('<section class="finding"') == 2
    assert f"found by <span class='process'>pid {pid} (" in html and "child.py --flag)</span>" in html
    assert "found by <span class='process'>merged graph of the session</span>" in html


def test_runs_remember_each_other_and_classes_survive_moved_lines(tmp_path):
    write(tmp_path, "shared.py", SHARED)
    write(tmp_path, "monday.py", """\
        from shared import A, REGISTRY
        with A:
            with REGISTRY[0]:
                pass
    """)
    db = str(tmp_path / "history.db")
    p = run(["-m", "lockdep", "--db", db, "--fail", "monday.py"], cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    # lines are added above the lock: it is now created on line 6, still the same class
    write(tmp_path, "shared.py", "# a comment\n# another\n" + SHARED)
    write(tmp_path, "tuesday.py", """\
        from shared import A, REGISTRY
        with REGISTRY[0]:
            with A:
                pass
    """)
    p = run(["-m", "lockdep", "--db", db, "--fail", "--json", "t.json", "tuesday.py"], cwd=tmp_path)
    assert p.returncode == 1, p.stderr
    assert re.search(r"lockdep: possible deadlock: (shared\.A and shared\.py:4|shared\.py:4 and shared\.A)", p.stderr)
    assert "in run 1 (pid" in p.stderr and "monday.py)" in p.stderr  # when and where the old half was learned
    (f,) = json.loads((tmp_path / "t.json").read_text())["findings"]
    assert sorted(f["classes"]) == ["shared.A", "shared.py:4"]  # the stored name
    learned = [s["learned"] for s in f["chain"] if s.get("learned")]
    assert learned and learned[0]["argv"].endswith("monday.py") and learned[0]["run"] == 1


def test_bad_store_stops_python_m_lockdep_before_the_program(tmp_path):
    (tmp_path / "bad.db").write_text("not sqlite")
    write(tmp_path, "prog.py", "open('ran', 'w').close()\n")
    p = run(["-m", "lockdep", "--db", "bad.db", "prog.py"], cwd=tmp_path)
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "bad.db: not a lockdep store" in p.stderr
    assert not (tmp_path / "ran").exists()


XDIST_TEST = """\
    import os
    import pytest
    from shared import A, REGISTRY

    @pytest.mark.xdist_group("{name}")
    def test_{name}():
        with {first}:
            with {second}:
                pass
        open("ran-{name}-" + os.environ.get("PYTEST_XDIST_WORKER", "main"), "w").close()
"""


def test_pytest_xdist_inversion_split_across_workers_is_reported_once(tmp_path):
    pytest.importorskip("xdist")
    write(tmp_path, "shared.py", SHARED)
    write(tmp_path, "test_ab.py", XDIST_TEST.format(name="ab", first="A", second="REGISTRY[0]"))
    write(tmp_path, "test_ba.py", XDIST_TEST.format(name="ba", first="REGISTRY[0]", second="A"))
    db = str(tmp_path / "ci.db")
    args = ["-m", "pytest", "-p", "no:cacheprovider", "--lockdep", "--lockdep-db", db]
    p = run([*args, "-n", "2", "--dist", "loadgroup", "--lockdep-sarif", "s.sarif", "test_ab.py", "test_ba.py"],
            cwd=tmp_path, timeout=180)
    workers = {f.name.rsplit("-", 1)[1] for f in tmp_path.glob("ran-*")}
    assert workers == {"gw0", "gw1"}, "the two halves must run in different workers"
    assert p.returncode == 1, p.stdout + p.stderr
    assert p.stdout.count("lockdep: possible deadlock: ") == 1, p.stdout
    assert re.search(r"lockdep: possible deadlock: (shared\.A and shared\.py:4|shared\.py:4 and shared\.A)", p.stdout)
    assert "found in the merged graph of the session" in p.stdout
    assert "2 passed" in p.stdout  # no test saw it: the session fails at its end
    (r,) = json.loads((tmp_path / "s.sarif").read_text())["runs"][0]["results"]  # the controller's, once
    assert r["properties"]["learned_in"] == "merged graph of the session"


def test_pytest_cross_run_finding_says_when_and_where_the_old_half_was_learned(tmp_path):
    pytest.importorskip("xdist")
    write(tmp_path, "shared.py", SHARED)
    write(tmp_path, "test_ab.py", XDIST_TEST.format(name="ab", first="A", second="REGISTRY[0]"))
    write(tmp_path, "test_ba.py", XDIST_TEST.format(name="ba", first="REGISTRY[0]", second="A"))
    args = ["-m", "pytest", "-p", "no:cacheprovider", "--lockdep", "--lockdep-db", str(tmp_path / "h.db")]
    assert run([*args, "-n", "1", "test_ab.py"], cwd=tmp_path, timeout=120).returncode == 0
    p = run([*args, "test_ba.py"], cwd=tmp_path, timeout=120)
    assert p.returncode == 1
    assert "lockdep found 1 problem during this test" in p.stdout
    assert "in run 1 (pid" in p.stdout and "pytest-xdist worker gw0" in p.stdout


def test_pytest_baseline_suppresses_known_findings(tmp_path):
    """A known inversion fails no test and is listed as suppressed."""
    write(tmp_path, "shared.py", SHARED)
    write(tmp_path, "test_both.py", """\
        from shared import A, REGISTRY

        def test_ab():
            with A:
                with REGISTRY[0]:
                    pass

        def test_ba():
            with REGISTRY[0]:
                with A:
                    pass
    """)
    args = ["-m", "pytest", "-p", "no:cacheprovider", "--lockdep", "--lockdep-json", "f.json", "test_both.py"]
    p = run(args, cwd=tmp_path, timeout=120)
    assert p.returncode == 1 and "lockdep found 1 problem during this test" in p.stdout
    assert run(["-m", "lockdep", "baseline", "update", "f.json"], cwd=tmp_path).returncode == 0
    p = run([*args, "--lockdep-baseline", "lockdep-baseline.json"], cwd=tmp_path, timeout=120)
    assert p.returncode == 0, p.stdout
    assert "suppressed (baseline): circular_dependency" in p.stdout


def test_a_long_running_process_merges_at_intervals(tmp_path):
    import subprocess
    import sys

    from lockdep.store import Store, StoreError
    from runtime_helpers import env

    write(tmp_path, "shared.py", SHARED)
    write(tmp_path, "service.py", """\
        import os, time
        from shared import A, REGISTRY
        with A:
            with REGISTRY[0]:
                pass
        while not os.path.exists("stop"):
            time.sleep(0.05)
    """)
    db = tmp_path / "s.db"
    proc = subprocess.Popen([sys.executable, "-m", "lockdep", "--db", str(db), "service.py"], cwd=tmp_path,
                            env=env(LOCKDEP_DB_INTERVAL="0.2"), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        edges: list = []
        for _ in range(600):  # the edge appears while the service still runs
            try:
                edges = Store(str(db), writable=False).read("SELECT src, dst FROM edges")
            except StoreError:
                pass  # not created yet
            if edges:
                break
            if proc.poll() is not None:
                break
            __import__("time").sleep(0.05)
        assert edges == [("shared.A", "shared.py:4")] and proc.poll() is None
    finally:
        (tmp_path / "stop").touch()
        proc.communicate(timeout=60)
    assert proc.returncode == 0
