"""The lock-history store (``--db``): orders learned by one run are checked against
every later run; many writers at once; bad stores refused without being touched."""

from __future__ import annotations

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import acq, rel, write_trace
from lockdep.cli import main
from lockdep.store import Store, schema

SRC = str(Path(__file__).resolve().parent.parent / "src")
ENV = {**os.environ, "PYTHONPATH": SRC + os.pathsep + os.environ.get("PYTHONPATH", "")}

AB = [acq("T1", "A", site="app.c:10 setup"), acq("T1", "B", site="app.c:11 setup"), rel("T1", "B"), rel("T1", "A")]
BA = [acq("T2", "B", site="app.c:20 teardown"), acq("T2", "A", site="app.c:21 teardown"), rel("T2", "A"),
      rel("T2", "B")]


def lockdep(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lockdep", *args], capture_output=True, text=True,
                          env={**ENV, **(env or {})}, timeout=120)


def run_json(capsys, *args: str) -> tuple[int, dict]:
    capsys.readouterr()
    rc = main(["replay", "--json", *args])
    return rc, json.loads(capsys.readouterr().out)


def test_inversion_split_across_runs_is_found_and_says_where_the_old_half_was_learned(tmp_path):
    db = tmp_path / "locks.db"
    a, b = write_trace(tmp_path / "monday.jsonl", AB), write_trace(tmp_path / "tuesday.jsonl", BA)
    first = lockdep("replay", "--db", str(db), str(a))
    assert first.returncode == 0, first.stderr
    copy = tmp_path / "copy.db"
    assert lockdep("db", "merge", str(copy), str(db)).returncode == 0
    second = lockdep("replay", "--json", str(b), env={"LOCKDEP_DB": str(db)})
    assert second.returncode == 1, second.stderr
    (f,) = json.loads(second.stdout)["findings"]
    assert f["kind"] == "circular_dependency" and sorted(f["classes"]) == ["A", "B"]
    old = next(step for step in f["chain"] if step.get("learned"))
    assert (old["from"], old["to"]) == ("A", "B")
    assert old["learned"]["run"] == 1 and "monday.jsonl" in old["learned"]["argv"]
    assert old["learned"]["pid"] and old["learned"]["when"] <= time.time()
    text = lockdep("replay", "--db", str(copy), str(b))  # the report says which run learned the old half
    assert "taken by T1 in run 1 (pid" in text.stdout and "monday.jsonl" in text.stdout
    # the finding is in the store; it is reported once (as lockdep does), later runs mention it
    again = lockdep("replay", "--db", str(db), str(b))
    assert again.returncode == 0 and "1 earlier finding" in again.stderr
    shown = lockdep("db", "show", "--json", str(db))
    s = json.loads(shown.stdout)
    assert s["counts"]["runs"] == 3 and [f["classes"] for f in s["findings"]] == [f["classes"]]


def test_without_db_the_runs_know_nothing_of_each_other(tmp_path, capsys):
    write_trace(tmp_path / "a.jsonl", AB)
    assert run_json(capsys, str(tmp_path / "a.jsonl"))[0] == 0
    assert run_json(capsys, str(write_trace(tmp_path / "b.jsonl", BA)))[0] == 0


def test_edges_are_merged_once_and_keep_their_first_witness(tmp_path, capsys):
    db = str(tmp_path / "s.db")
    t = str(write_trace(tmp_path / "a.jsonl", AB))
    for _ in range(3):
        run_json(capsys, "--db", db, t)
    ((src, dst, count, witness, run),) = Store(db).read("SELECT src, dst, count, witness, run FROM edges")
    assert (src, dst, count, run) == ("A", "B", 1, 1)
    assert json.loads(witness)["site"] == "app.c:11 setup"


def test_usage_bits_of_earlier_runs_count(tmp_path, capsys):
    """A class used in hardirq context yesterday and with irqs enabled today: inconsistent lock state."""
    db = str(tmp_path / "s.db")
    irq = [acq("irq", "L", context="hardirq"), rel("irq", "L")]
    assert run_json(capsys, "--db", db, str(write_trace(tmp_path / "a.jsonl", irq)))[0] == 0
    rc, out = run_json(capsys, "--db", db, str(write_trace(tmp_path / "b.jsonl", [acq("T", "L"), rel("T", "L")])))
    assert rc == 1 and [f["kind"] for f in out["findings"]] == ["inconsistent_lock_state"]


# ----------------------------------------------------------- bad stores
def _foreign(p: Path) -> None:
    c = sqlite3.connect(p)
    c.execute("CREATE TABLE photos (id INTEGER)")
    c.commit()
    c.close()


def _newer(p: Path) -> None:
    Store(str(p)).close()
    c = sqlite3.connect(p)
    c.execute(f"PRAGMA user_version={schema.SCHEMA_VERSION + 1}")
    c.commit()
    c.close()


def _corrupt(p: Path) -> None:
    Store(str(p)).close()
    data = p.read_bytes()
    p.write_bytes(data[:100] + b"\xff" * (len(data) - 100))


BAD = {
    "text": (lambda p: p.write_text("not a database\n"), "not a lockdep store"),
    "foreign": (_foreign, "foreign SQLite database"),
    "newer": (_newer, "newer than this lockdep"),
    "corrupt": (_corrupt, "corrupt"),
    "read-only": (lambda p: (Store(str(p)).close(), p.chmod(0o444)), "read-only"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_store_one_line_exit_2_and_untouched(tmp_path, case):
    db = tmp_path / "s.db"
    make, message = BAD[case]
    make(db)
    before = db.read_bytes()
    r = lockdep("replay", "--db", str(db), str(write_trace(tmp_path / "a.jsonl", AB)))
    assert r.returncode == 2 and r.stdout == ""
    assert r.stderr.count("\n") == 1 and r.stderr.startswith(f"lockdep: {db}: ") and message in r.stderr
    assert "Traceback" not in r.stderr
    assert db.read_bytes() == before


HOTPLUG = Path(__file__).resolve().parent / "fixtures" / "hotplug" / "facet-a-readdir-mmap-4.14.txt"
PROGRAM = "open('ran', 'w').close()\n"
TEST = "def test_a():\n    open('ran', 'w').close()\n"


def _entry_point(how: str, db: Path, d: Path) -> subprocess.CompletedProcess:
    (d / "prog.py").write_text(PROGRAM)
    (d / "test_a.py").write_text(TEST)
    python = [sys.executable]
    args = {"splat": [*python, "-m", "lockdep", "splat", "--db", str(db), str(HOTPLUG)],
            "loops": [*python, "-m", "lockdep", "loops", "--db", str(db), str(HOTPLUG)],
            "python -m lockdep": [*python, "-m", "lockdep", "--db", str(db), "prog.py"],
            "LOCKDEP=1": [*python, "prog.py"],
            "pytest --lockdep": [*python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--lockdep",
                                 "--lockdep-db", str(db), "test_a.py"]}[how]
    env = {**ENV, "LOCKDEP": "1", "LOCKDEP_DB": str(db)} if how == "LOCKDEP=1" else ENV
    return subprocess.run(args, capture_output=True, text=True, cwd=d, env=env, timeout=120)


# every entry point and every kind of bad store, pairwise (replay takes them all above)
@pytest.mark.parametrize("how,case", [("splat", "foreign"), ("loops", "newer"), ("python -m lockdep", "corrupt"),
                                      ("LOCKDEP=1", "read-only"), ("pytest --lockdep", "text"),
                                      ("LOCKDEP=1", "newer"), ("pytest --lockdep", "read-only")])
def test_bad_store_on_every_entry_point(tmp_path, how, case):
    db = tmp_path / "s.db"
    make, message = BAD[case]
    make(db)
    before = db.read_bytes()
    r = _entry_point(how, db, tmp_path)
    assert r.returncode == 2 and r.stdout == "", r.stdout + r.stderr
    assert r.stderr.count("\n") == 1 and f"lockdep: {db}: " in r.stderr and message in r.stderr
    assert db.read_bytes() == before and not (tmp_path / "ran").exists()


def test_read_only_directory(tmp_path):
    d = tmp_path / "ro"
    d.mkdir()
    d.chmod(0o555)
    r = lockdep("replay", "--db", str(d / "s.db"), str(write_trace(tmp_path / "a.jsonl", AB)))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "read-only" in r.stderr
    assert not (d / "s.db").exists()


def test_migration_path(tmp_path, monkeypatch):
    db = str(tmp_path / "s.db")
    Store(db).close()
    monkeypatch.setattr(schema, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(schema.MIGRATIONS, 1, "ALTER TABLE runs ADD COLUMN note TEXT;")
    from lockdep.store import sqlite as st

    monkeypatch.setattr(st, "SCHEMA_VERSION", 2)
    s = Store(db)
    assert s.read("PRAGMA user_version") == [(2,)]
    assert "note" in [r[1] for r in s.read("PRAGMA table_info(runs)")]


# ------------------------------------------------------ concurrent writers
WRITER = r"""
import sys
from lockdep.store.sqlite import Store, run_info
name, n = sys.argv[1], int(sys.argv[2])
s = Store(sys.argv[3])
run = run_info("test")
for i in range(n):
    s.merge(run, [{"name": f"{name}-{i}", "kind": "mutex"}],
            [{"from": f"{name}-{i}", "to": f"{name}-{i + 1}", "dep": 8, "witness": {"line": i, "task": name}}], [])
    print(i, flush=True)
"""


def test_concurrent_writers_and_a_writer_killed_mid_transaction(tmp_path):
    db = str(tmp_path / "s.db")
    n = 150
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, f"W{k}", str(n), db], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=ENV) for k in range(3)]
    rng = random.Random(9)
    committed: dict[str, int] = {}
    for k in range(4):  # writers killed at random points, while the others go on
        victim = subprocess.Popen([sys.executable, "-c", WRITER, f"K{k}", str(10 ** 6), db], stdout=subprocess.PIPE,
                                  text=True, env=ENV)
        target = rng.randrange(5, 60)
        last = -1
        while last < target:
            last = int(victim.stdout.readline())
        os.kill(victim.pid, signal.SIGKILL)
        rest = victim.stdout.read()  # lines printed after the last one read were committed too
        victim.wait()
        committed[f"K{k}"] = int(rest.split()[-1]) if rest.split() else last
    for w in writers:
        out, err = w.communicate(timeout=120)
        assert w.returncode == 0, err
        assert out.split()[-1] == str(n - 1)
    s = Store(db)
    assert s.read("PRAGMA integrity_check") == [("ok",)]
    edges = {src for (src,) in s.read("SELECT src FROM edges")}
    for k in range(3):
        assert {f"W{k}-{i}" for i in range(n)} <= edges  # no lost edge
    for name, last in committed.items():
        assert {f"{name}-{i}" for i in range(last + 1)} <= edges  # every commit before the kill survived


# ----------------------------------------------------------- db commands
def test_db_show_export_forget_prune(tmp_path, capsys):
    db = str(tmp_path / "s.db")
    run_json(capsys, "--db", db, str(write_trace(tmp_path / "a.jsonl", AB)))
    run_json(capsys, "--db", db, str(write_trace(tmp_path / "b.jsonl", BA)))
    capsys.readouterr()
    assert main(["db", "show", db]) == 0
    out = capsys.readouterr().out
    assert "2 runs, 2 classes, 2 dependencies, 1 distinct findings" in out
    assert "circular_dependency: A --> B" in out
    # the export as a trace replays to the same graph (and the same finding)
    assert main(["db", "export", db, "--format", "trace", "-o", str(tmp_path / "x.jsonl")]) == 0
    rc, again = run_json(capsys, str(tmp_path / "x.jsonl"))
    assert rc == 1 and [sorted(f["classes"]) for f in again["findings"]] == [["A", "B"]]
    assert main(["db", "export", db, "--format", "dot"]) == 0
    assert '"A" -> "B"' in capsys.readouterr().out
    assert main(["db", "forget", db, "B"]) == 0
    s = Store(db)
    assert s.counts() == {"runs": 1, "classes": 1, "edges": 0, "findings": 0}
    assert main(["db", "forget", db, "nonesuch"]) == 2
    run_json(capsys, "--db", db, str(tmp_path / "a.jsonl"))
    assert main(["db", "prune", db, "--days", "1"]) == 0 and Store(db).counts()["edges"] == 1
    assert main(["db", "prune", db, "--days", "0"]) == 0 and Store(db).counts()["edges"] == 0


def test_db_merge_keeps_the_earliest_witness(tmp_path, capsys):
    ci1, ci2, all_ = (str(tmp_path / n) for n in ("ci1.db", "ci2.db", "all.db"))
    run_json(capsys, "--db", ci1, str(write_trace(tmp_path / "a.jsonl", AB)))
    late = [acq("T9", "A", site="late.c:1"), acq("T9", "B", site="late.c:2"), rel("T9", "B"), rel("T9", "A")]
    run_json(capsys, "--db", ci2, str(write_trace(tmp_path / "late.jsonl", late + BA)))
    assert main(["db", "merge", all_, ci2, ci1]) == 0
    s = Store(all_)
    assert s.counts()["runs"] == 2 and s.counts()["edges"] == 2
    (w,) = s.read("SELECT witness FROM edges WHERE src = 'A'")
    assert json.loads(w[0])["site"] == "app.c:11 setup"
    # merged again (or a copy sharing its history): the runs and their findings are there once
    assert main(["db", "merge", all_, ci2]) == 0
    assert Store(all_).counts()["runs"] == 2 and Store(all_).counts()["findings"] == 1
    # a bad source is refused before anything is written
    bad = tmp_path / "bad.db"
    bad.write_text("junk")
    capsys.readouterr()
    assert main(["db", "merge", all_, str(bad)]) == 2
    assert "not a lockdep store" in capsys.readouterr().err


def test_splat_and_loops_share_the_store(tmp_path, capsys):
    """A loop whose facets were read on different days is still solved as one."""
    facets = Path(__file__).resolve().parent / "fixtures" / "hotplug"
    db = str(tmp_path / "k.db")
    assert main(["splat", "--db", db, str(facets / "facet-a-readdir-mmap-4.14.txt")]) == 0
    capsys.readouterr()
    assert main(["loops", "--json", "--db", db, str(facets / "facet-b-sysfs-store-5.0.txt")]) == 0
    out = json.loads(capsys.readouterr().out)
    assert len(out["cycles"]) == 2 and [(c["from"], c["to"]) for c in out["cuts"]] == [
        ("cpu_hotplug_lock", "kernfs_mutex")]
    assert any(s.startswith("run 1 (pid ") for c in out["cycles"] for s in c["sources"])
    assert Store(db).counts()["findings"] == 2
