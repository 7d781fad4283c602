"""Many files into one graph, sequentially and on a real Dask LocalCluster: the same findings."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from conftest import acq, init, rel, write_trace
from lockdep.cli import main
from lockdep.engine import Validator
from lockdep.trace.multi import replay_files

distributed = pytest.importorskip("distributed")

SRC = str(Path(__file__).resolve().parent.parent / "src")


@pytest.fixture(scope="session")
def dask_client():
    """One real LocalCluster (two worker processes) for the whole session."""
    from dask.distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0") as cluster, \
            Client(cluster) as c:
        yield c


LOCKS = [f"L{i}" for i in range(6)]
KINDS = ["mutex", "spinlock", "rwlock", "rwsem", "rlock", "semaphore"]
EVENTS = ["(completion)done", "(work)flush"]


def random_trace(rng: random.Random, kind_of: dict[str, str]) -> list[dict]:
    """A stream with most of the format: kinds, modes, trylocks, subclasses, irq contexts, waits,
    exits, frees, forks, re-keys, instance order.  A class has one kind and one order in every file (``kind_of``)."""
    out: list[dict] = []

    def declare(lock: str, cls: str) -> None:
        out.append(init(lock, cls, kind_of[cls]))
        if kind_of[cls + "/order"] == "instance":
            out[-1]["order"] = "instance"  # nested instances of the class judged by their order

    for lock in rng.sample(LOCKS, rng.randrange(len(LOCKS))):
        declare(lock, f"c{lock}" if rng.random() < 0.7 else "cshared")
    held: dict[str, list[str]] = {f"T{t}": [] for t in range(rng.randrange(1, 4))}
    for i in range(rng.randrange(5, 40)):
        task = rng.choice(list(held))
        stack = held[task]
        r = rng.random()
        site = f"f.c:{i} fn{i % 5}"
        if r < 0.45:
            lock = rng.choice(LOCKS)
            ev = acq(task, lock, site=site)
            if rng.random() < 0.2:
                ev["mode"] = rng.choice(["shared", "recursive"])
            if rng.random() < 0.1:
                ev["try"] = True
            if rng.random() < 0.05:
                ev["subclass"] = 1
            if rng.random() < 0.15:
                ev["context"] = rng.choice(["softirq", "hardirq", "handler"])
            if rng.random() < 0.1:
                ev["irqs_disabled"] = True
            out.append(ev)
            stack.append(lock)
        elif r < 0.75 and stack:
            lock = stack.pop() if rng.random() < 0.8 else stack.pop(rng.randrange(len(stack)))
            out.append(rel(task, lock))
        elif r < 0.8:
            out.append(rel(task, rng.choice(LOCKS)))  # maybe a bad unlock
        elif r < 0.87:
            out.append({"op": rng.choice(["wait", "signal", "begin"]), "task": task, "event": rng.choice(EVENTS)})
        elif r < 0.9:
            out.append({"op": "free", "lock": rng.choice(LOCKS)})
        elif r < 0.93:
            out.append({"op": "task_exit", "task": task})
            stack.clear()
        elif r < 0.95:
            out.append({"op": "fork", "task": task})
        elif r < 0.97:
            lock = rng.choice(LOCKS)
            declare(lock, f"c{lock}")  # declared again: a re-key (if held, reported like a free)
    return out


def findings_of(v: Validator) -> list[dict]:
    return [f.to_dict() for f in v.findings]  # with how often each was seen, and by which tasks


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(st.integers(0, 2**32 - 1), st.integers(1, 4))
@example(95, 3)  # an events-only cycle after a recorded Python trace's first class: no lock, no cycle
def test_dask_finds_what_sequential_replay_finds(dask_client, tmp_path_factory, seed, n_files):
    from lockdep.distributed.cluster import replay_dask

    rng = random.Random(seed)
    kind_of = {c: rng.choice(KINDS) for c in ["cshared", *(f"c{x}" for x in LOCKS)]}
    kind_of |= {f"{c}/order": "instance" if rng.random() < 0.2 else "class" for c in list(kind_of)}
    d = tmp_path_factory.mktemp("t")
    paths = [str(write_trace(d / f"m{i}.jsonl", random_trace(rng, kind_of))) for i in range(n_files)]
    seq = replay_files(paths, Validator())
    par = replay_dask(paths, Validator(), c=dask_client)
    assert findings_of(par) == findings_of(seq)
    s, p = seq.summary(), par.summary()
    for k in ("events", "tasks", "classes", "edges", "chains", "findings"):
        assert p[k] == s[k], k


def test_split_inversion_across_files(tmp_path, capsys):
    a = write_trace(tmp_path / "a.jsonl", [acq("T", "A"), acq("T", "B"), rel("T", "B"), rel("T", "A")])
    b = write_trace(tmp_path / "b.jsonl", [acq("T", "B"), acq("T", "A"), rel("T", "A"), rel("T", "B")])
    capsys.readouterr()
    assert main(["replay", "--json", str(a), str(b)]) == 1
    (f,) = json.loads(capsys.readouterr().out)["findings"]
    assert f["task"] == "b.jsonl:T" and f["chain"][0]["witness"]["task"] == "a.jsonl:T"
    # each file alone is clean
    assert main(["replay", str(a)]) == 0 and main(["replay", str(b)]) == 0


def test_files_have_their_own_tasks_and_locks_unless_shared(tmp_path, capsys):
    """T holds A at the end of part 1; part 2 releases it: one stream only with --shared-tasks."""
    p1 = write_trace(tmp_path / "p1.jsonl", [init("A", "cA", "mutex"), acq("T", "A")])
    p2 = write_trace(tmp_path / "p2.jsonl", [init("A", "cA", "mutex"), rel("T", "A")])
    capsys.readouterr()
    assert main(["replay", "--json", str(p1), str(p2)]) == 1
    assert [f["kind"] for f in json.loads(capsys.readouterr().out)["findings"]] == ["bad_unlock_balance"]
    # one stream: the second lock_init of A (same class) is not a re-key, so no "held lock freed"
    assert main(["replay", "--json", "--shared-tasks", str(p1), str(p2)]) == 0


def test_dask_command_on_a_local_cluster_and_bad_input(tmp_path, dask_client, capsys):
    a = write_trace(tmp_path / "a.jsonl", [acq("T", "A"), acq("T", "B"), rel("T", "B"), rel("T", "A")])
    b = write_trace(tmp_path / "b.jsonl", [acq("T", "B"), acq("T", "A"), rel("T", "A"), rel("T", "B")])
    bad = write_trace(tmp_path / "bad.jsonl", [acq("T", "A"), '{"op": "acquire", "task": "T"}'])
    capsys.readouterr()
    assert main(["replay", "--dask", dask_client.scheduler.address, "--json", str(a), str(b), str(bad)]) == 2
    out = capsys.readouterr()
    assert out.out == "" and out.err == f'lockdep: {bad}:2: acquire: missing field "lock" (needs task, lock)\n'
    # as a user runs it: a LocalCluster of its own
    env = {"PYTHONPATH": SRC, "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-m", "lockdep", "replay", "--dask", "--dask-workers", "1", "--json",
                        str(a), str(b)], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 1, r.stderr
    assert [f["kind"] for f in json.loads(r.stdout)["findings"]] == ["circular_dependency"]


def test_fsspec_urls_and_their_wildcards(tmp_path, capsys):
    write_trace(tmp_path / "a.jsonl", [acq("T", "A"), acq("T", "B"), rel("T", "B"), rel("T", "A")])
    write_trace(tmp_path / "b.jsonl", [acq("T", "B"), acq("T", "A"), rel("T", "A"), rel("T", "B")])
    capsys.readouterr()
    assert main(["replay", "--json", f"file://{tmp_path}/*.jsonl"]) == 1
    (f,) = json.loads(capsys.readouterr().out)["findings"]
    assert f["task"] == "b.jsonl:T"


def test_loops_on_dask_equals_loops(dask_client, capsys):
    facets = sorted(str(p) for p in (Path(__file__).resolve().parent / "fixtures" / "hotplug").glob("*.txt"))
    capsys.readouterr()
    assert main(["loops", "--json", *facets]) == 0
    local = capsys.readouterr().out
    assert main(["loops", "--json", "--dask", dask_client.scheduler.address, *facets]) == 0
    assert capsys.readouterr().out == local
