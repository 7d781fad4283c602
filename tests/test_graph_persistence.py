"""The graph is serialisable and mergeable (union of edges, earliest witness kept)."""

from __future__ import annotations

import json
from pathlib import Path

from lockdep import Validator
from lockdep.engine.graph import Graph
from lockdep.trace.reader import replay

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_round_trip_and_merge():
    v = replay([str(EXAMPLES / "cpu-hotplug.jsonl")], Validator())
    data = json.loads(json.dumps(v.graph.to_dict()))
    g = Graph.from_dict(data)
    edges = {(g.name(e.src), g.name(e.dst)): e for e in g.edges()}
    assert set(edges) == {(v.graph.name(e.src), v.graph.name(e.dst)) for e in v.graph.edges()}
    e = edges[("cpuhp_state-up", "kernfs_mutex")]
    assert e.witness.line == 14 and "device_create+0x49/0x60" in e.witness.stack
    # a second run of another machine: union of edges; a known edge keeps its first witness, counts add up
    other = replay([str(EXAMPLES / "cpu-hotplug-fixed.jsonl")], Validator()).graph.to_dict()
    g.merge_dict(other)
    merged = {(g.name(e.src), g.name(e.dst)): e for e in g.edges()}
    assert merged[("cpuhp_state-up", "kernfs_mutex")].witness.line == 14
    assert merged[("cpu_hotplug_lock", "cpuhp_state-up")].count == 2
    assert g.nodes[g.by_name["&mm->mmap_sem"]].usage == v.graph.nodes[v.graph.by_name["&mm->mmap_sem"]].usage
