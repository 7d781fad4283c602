"""The fast replay path (trace/fast_replay.py) against the reference (reader + Validator):
the same findings, statistics and final task states on random traces of every op, and
the same one-line error for a bad line, wherever the chunks fall."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lockdep import Validator
from lockdep.errors import InputError
from lockdep.trace import fast_replay
from lockdep.trace.reader import feed_events, read_events

TASKS = ["T0", "T1", "T2"]
LOCKS = ["a", "b", "c", "d", "e"]
EVENTS = ["done", "work"]
KINDS = ["mutex", "spinlock", "rwlock", "rwsem", "rlock", "semaphore", "lockmap"]

name = st.sampled_from


@st.composite
def acquire(draw, task: str) -> dict:
    e = {"op": "acquire", "task": task, "lock": draw(name(LOCKS))}
    extra = draw(st.fixed_dictionaries({}, optional={
        "mode": name(["exclusive", "shared", "recursive"]), "try": st.booleans(), "subclass": st.integers(0, 1),
        "context": name(["process", "softirq", "hardirq", "handler"]), "irqs_disabled": st.booleans(),
        "site": name(["f.c:1", "g.py:2"]), "stack": st.just(["f", "g"]), "t": st.floats(0, 9)}))
    return {**e, **extra}


def other_event() -> st.SearchStrategy[dict]:
    task, lock, event = name(TASKS), name(LOCKS), name(EVENTS)
    return st.one_of(
        st.builds(lambda t, x: {"op": "release", "task": t, "lock": x}, task, lock),
        st.builds(lambda x, c, k, o: {"op": "lock_init", "lock": x, "class": c, "kind": k, "order": o},
                  lock, name(["A", "B", "C"]), name(KINDS), name(["class", "instance"])),
        st.builds(lambda t, ev: {"op": "wait", "task": t, "event": ev}, task, event),
        st.builds(lambda t, ev, x: {"op": "signal", "task": t, "event": ev, **x}, task, event,
                  st.fixed_dictionaries({}, optional={"exclude": lock})),
        st.builds(lambda t, ev: {"op": "begin", "task": t, "event": ev}, task, event),
        st.builds(lambda t: {"op": "task_exit", "task": t}, task),
        st.builds(lambda t: {"op": "fork", "task": t}, task),
        st.builds(lambda x: {"op": "free", "lock": x}, lock),
    )


@st.composite
def traces(draw) -> list:
    """Locks declared of any kind, then sections of nested acquisitions by one task released LIFO
    (so that chains repeat and hit the cache) mixed with any other event, all repeated; sometimes
    with comment and blank lines."""
    out: list = [{"op": "lock_init", "lock": x, "class": draw(name(["A", "B", x.upper()])), "kind": draw(name(KINDS))}
                 for x in draw(st.lists(name(LOCKS), unique=True))]
    for _ in range(draw(st.integers(1, 8))):
        if draw(st.booleans()):
            section = draw(st.lists(acquire(draw(name(TASKS))), min_size=1, max_size=4))
            out += section + [{"op": "release", "task": e["task"], "lock": e["lock"]} for e in reversed(section)]
        else:
            out.append(draw(other_event()))
    out *= draw(st.integers(1, 3))
    if draw(st.booleans()):
        out.insert(draw(st.integers(0, len(out))), "# a comment")
        out.insert(draw(st.integers(0, len(out))), "")
    return out


def write(path: Path, events: list) -> Path:
    path.write_text("".join((e if isinstance(e, str) else json.dumps(e)) + "\n" for e in events))
    return path


def state(v: Validator) -> dict:
    """What a later event or a report could read: findings, statistics, each task's held stack and
    cross-release record."""
    def entry(h):
        return (h.lock, h.node, h.read, h.trylock, h.ctx, h.chain_key, h.refs, h.site, h.stack, h.line, h.seq)

    return {"findings": [f.to_dict() for f in v.findings], "summary": v.summary(), "seq": v.seq,
            "tasks": {n: ([entry(h) for h in ts.held], {k: entry(h) for k, h in ts.last_acq.items()},
                          ts.first_seq, ts.begins) for n, ts in v.tasks.items()}}


def reference(path: Path, first: bool = False) -> Validator:
    v = Validator()
    feed_events(v, read_events(str(path)), first)
    return v


def fast(path: Path, first: bool = False) -> Validator:
    v = Validator()
    fast_replay.replay_file(v, str(path), first)
    return v


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
          deadline=None)
@given(traces(), st.sampled_from([16, 200, fast_replay.CHUNK]), st.booleans())
def test_fast_path_equals_the_reference(tmp_path, monkeypatch, events, chunk, first):
    path = write(tmp_path / "t.jsonl", events)
    monkeypatch.setattr(fast_replay, "CHUNK", chunk)
    assert state(fast(path, first)) == state(reference(path, first))


def test_the_benchmark_shape_hits_the_cache_on_the_fast_path(tmp_path):
    """Repeated sections in many tasks: the fast path takes the hits, the validator only the misses."""
    events = [{"op": "lock_init", "lock": x, "class": x.upper(), "kind": "mutex"} for x in LOCKS]
    for i in range(200):
        task, locks = TASKS[i % 3], LOCKS[i % 2:i % 2 + 3]
        events += [{"op": "acquire", "task": task, "lock": x, "site": f"f.c:{x}"} for x in locks]
        events += [{"op": "release", "task": task, "lock": x} for x in reversed(locks)]
    path = write(tmp_path / "t.jsonl", events)
    v = fast(path)
    assert state(v) == state(reference(path))
    assert v.stats["chain_cache_misses"] == 6 and v.chain_hits == 600 - 6


def test_a_lock_declared_again_is_of_its_new_class_on_the_fast_path_too(tmp_path):
    section = [{"op": "acquire", "task": "T0", "lock": "a"}, {"op": "acquire", "task": "T0", "lock": "b"},
               {"op": "release", "task": "T0", "lock": "b"}, {"op": "release", "task": "T0", "lock": "a"}]
    rekey = [{"op": "lock_init", "lock": "b", "class": "Z", "kind": "mutex"}]
    path = write(tmp_path / "t.jsonl", section * 2 + rekey + section * 2)
    v = fast(path)
    assert state(v) == state(reference(path))
    assert v.summary()["classes"] == 3


def test_an_rlock_taken_again_under_another_context_is_a_reentry(tmp_path):
    """Nothing held in process context above it, yet the RLock is held: a reentry, not a new entry."""
    events = [{"op": "lock_init", "lock": "r", "class": "R", "kind": "rlock"},
              {"op": "acquire", "task": "T0", "lock": "r"}, {"op": "release", "task": "T0", "lock": "r"},
              {"op": "acquire", "task": "T0", "lock": "r"},
              {"op": "acquire", "task": "T0", "lock": "x", "context": "hardirq"},
              {"op": "acquire", "task": "T0", "lock": "r"}]
    path = write(tmp_path / "t.jsonl", events)
    assert state(fast(path)) == state(reference(path))


BAD = ['{"op": "acquire", "task": "T0"}', '{"op": "acquire", "task": "", "lock": "a"}', "[1, 2]", "{oops",
       '{"op": "acquire", "task": "T0", "lock": "a"}, {"op": "release", "task": "T0", "lock": "a"}',
       '{"op": "acquire", "task": "T0", "lock": "a", "subclass": 1e300}', '{"op": "nope"}']


@pytest.mark.parametrize("bad", BAD)
@pytest.mark.parametrize("chunk", [16, 200, 1 << 14])
def test_a_bad_line_is_reported_as_the_reference_does(tmp_path, monkeypatch, bad, chunk):
    good = [{"op": "acquire", "task": "T0", "lock": "a"}, {"op": "release", "task": "T0", "lock": "a"}] * 20
    path = write(tmp_path / "t.jsonl", [*good, bad, *good])
    monkeypatch.setattr(fast_replay, "CHUNK", chunk)
    with pytest.raises(InputError) as expected:
        reference(path)
    with pytest.raises(InputError) as got:
        fast(path)
    assert str(got.value) == str(expected.value) and got.value.line == 41
