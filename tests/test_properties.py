"""Property tests: the engine against a networkx oracle, and fuzzed input."""

from __future__ import annotations

import io
import json
import random
from contextlib import redirect_stderr, redirect_stdout

import networkx as nx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lockdep import Validator
from lockdep.cli import main
from lockdep.trace.reader import feed

LOCKS = [f"L{i}" for i in range(8)]


def run_engine(events: list[dict]) -> Validator:
    v = Validator()
    for i, e in enumerate(events, 1):
        feed(v, e, i)
    return v


@st.composite
def nested_sections(draw, ordered: bool):
    """Per task, a list of critical sections: each takes distinct locks nested, then releases them LIFO."""
    n_tasks = draw(st.integers(1, 4))
    tasks = []
    for t in range(n_tasks):
        sections = []
        for _ in range(draw(st.integers(1, 4))):
            locks = draw(st.lists(st.sampled_from(LOCKS), min_size=1, max_size=5, unique=True))
            if ordered:
                locks.sort(key=LOCKS.index)
            sections.append(locks)
        tasks.append(sections)
    seed = draw(st.integers(0, 2**32 - 1))
    return tasks, seed


def interleave(tasks: list, seed: int, lifo: bool = True) -> list[dict]:
    """Interleave whole acquire/release steps of the tasks in a random global order."""
    rng = random.Random(seed)
    streams = []
    for t, sections in enumerate(tasks):
        s = []
        for locks in sections:
            s += [{"op": "acquire", "task": f"T{t}", "lock": x} for x in locks]
            order = list(reversed(locks)) if lifo else rng.sample(locks, len(locks))
            s += [{"op": "release", "task": f"T{t}", "lock": x} for x in order]
        streams.append(s)
    out = []
    while any(streams):
        s = rng.choice([s for s in streams if s])
        out.append(s.pop(0))
    return out


def oracle_graph(events: list[dict]) -> nx.DiGraph:
    """Kernel edges for exclusive locks: from the lock on top of the stack to the new one."""
    g = nx.DiGraph()
    held: dict[str, list[str]] = {}
    for e in events:
        stack = held.setdefault(e["task"], [])
        if e["op"] == "acquire":
            if stack:
                g.add_edge(stack[-1], e["lock"])
            stack.append(e["lock"])
        else:
            stack.remove(e["lock"])
    return g


@settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(nested_sections(ordered=True), st.booleans())
def test_one_global_order_never_reports(data, lifo):
    tasks, seed = data
    v = run_engine(interleave(tasks, seed, lifo))
    assert v.findings == []


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(nested_sections(ordered=False))
def test_cycles_match_networkx(data):
    tasks, seed = data
    events = interleave(tasks, seed)
    v = run_engine(events)
    g = oracle_graph(events)
    circular = [f for f in v.findings if f.kind == "circular_dependency"]
    assert [f for f in v.findings if f.kind != "circular_dependency"] == []
    # a cycle is reported iff the oracle graph has one
    assert bool(circular) == (not nx.is_directed_acyclic_graph(g))
    for f in circular:
        cyc = f.classes
        # every reported cycle is a real cycle of the oracle graph ...
        for a, b in zip(cyc, cyc[1:] + cyc[:1]):
            assert g.has_edge(a, b), (cyc, a, b)
        # ... through the closing edge (last -> first), and a shortest one at the time it closed
        assert len(set(cyc)) == len(cyc)


@settings(max_examples=200, deadline=None)
@given(st.permutations(LOCKS[:5]), st.integers(0, 3), st.integers(1, 4))
def test_single_inversion_gives_the_oracle_cycle(order, i, gap):
    """Locks always taken in one order, then one task takes a later lock before an earlier one."""
    j = min(i + gap, len(order) - 1)
    events = []
    for t in range(3):
        events += [{"op": "acquire", "task": f"T{t}", "lock": x} for x in order]
        events += [{"op": "release", "task": f"T{t}", "lock": x} for x in reversed(order)]
    g = oracle_graph(events)
    events += [{"op": "acquire", "task": "bad", "lock": order[j]}, {"op": "acquire", "task": "bad", "lock": order[i]}]
    expected = nx.shortest_path(g, order[i], order[j])  # the only path: the chain order[i..j]
    v = run_engine(events)
    assert [(f.kind, f.classes) for f in v.findings] == [("circular_dependency", expected)]


# --------------------------------------------------------------------- fuzz
def _replay_bytes(tmp_path, data: bytes) -> int:
    path = tmp_path / "fuzz.jsonl"
    path.write_bytes(data)
    out, err = io.StringIO(), io.StringIO()
    with redirect_stdout(out), redirect_stderr(err):
        rc = main(["replay", "--json", str(path)])
    if rc == 2:
        assert out.getvalue() == ""
        assert err.getvalue().count("\n") == 1 and err.getvalue().startswith("lockdep: ")
    else:
        json.loads(out.getvalue())
    return rc


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_fuzz_bytes(tmp_path, data):
    assert _replay_bytes(tmp_path, data) in (0, 1, 2)


json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
                           lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
                           max_leaves=8)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(json_values | st.fixed_dictionaries({"op": st.sampled_from(
    ["acquire", "release", "lock_init", "wait", "signal", "begin", "free", "task_exit", "fork", "x"])},
    optional={"task": json_values, "lock": json_values, "event": json_values, "class": json_values,
              "kind": json_values, "mode": json_values, "try": json_values, "subclass": json_values}),
    max_size=6))
def test_fuzz_json_values(tmp_path, values):
    data = "".join(json.dumps(v) + "\n" for v in values).encode()
    assert _replay_bytes(tmp_path, data) in (0, 1, 2)


names = st.sampled_from(["a", "b", "c", "d"])
valid_event = st.one_of(
    st.builds(lambda l, c, k: {"op": "lock_init", "lock": l, "class": c, "kind": k}, names, names,
              st.sampled_from(["mutex", "spinlock", "rwlock", "rwsem", "rlock", "semaphore", "lockmap"])),
    st.builds(lambda t, l, m, tr, s, c, d: {"op": "acquire", "task": t, "lock": l, "mode": m, "try": tr,
                                            "subclass": s, "context": c, "irqs_disabled": d},
              names, names, st.sampled_from(["exclusive", "shared", "recursive"]), st.booleans(),
              st.integers(0, 2), st.sampled_from(["process", "softirq", "hardirq", "handler"]), st.booleans()),
    st.builds(lambda t, l: {"op": "release", "task": t, "lock": l}, names, names),
    st.builds(lambda l: {"op": "free", "lock": l}, names),
    st.builds(lambda o, t, e: {"op": o, "task": t, "event": e}, st.sampled_from(["wait", "signal", "begin"]),
              names, names),
    st.builds(lambda o, t: {"op": o, "task": t}, st.sampled_from(["task_exit", "fork"]), names),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(valid_event, min_size=1, max_size=60))
def test_valid_random_streams_only_produce_findings(events):
    v = run_engine(events)
    for f in v.findings:
        assert f.classes and f.events
        f.to_dict()
        from lockdep.report import render_text

        assert "what to do:" in render_text(f)
