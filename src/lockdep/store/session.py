"""A validator's link to a store: the graph of earlier runs loaded before this
one starts, this run's new classes, labels, usage bits and findings merged
back after it (and, for long-lived processes, at intervals).

Only the difference since the last merge is written, so an edge learned by an
earlier run is not counted again, and an edge this run learned first carries
this run's witness.  A finding whose chain goes through an edge of an earlier
run says which run learned it, when, and where.
"""

from __future__ import annotations

import time
from typing import Any

from ..engine.graph import Witness
from ..engine.usage import USED_IN_ALL
from ..engine.validator import Validator
from .sqlite import Store, run_info


def describe_run(info: dict) -> str:
    """``run 3 (pid 4242 on ci-7, 2026-11-29 06:00 UTC: pytest -n 4)``"""
    when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(info.get("when") or info.get("started") or 0))
    where = f"pid {info.get('pid')}" + (f" on {info['host']}" if info.get("host") else "")
    argv = info.get("argv")
    return f"run {info.get('run', '?')} ({where}, {when}" + (f": {argv})" if argv else ")")


class StoreSession:
    """Load a store's graph into a validator, merge the validator's news back."""

    def __init__(self, path: str, source: str, session: str | None = None):
        self.store = Store(path)
        self.run = run_info(source, session)
        self.synced_edges: dict[tuple[str, str], int] = {}
        self.synced_usage: dict[str, int] = {}
        self.synced_findings = 0
        #: edges of earlier runs: (from, to) -> run info
        self.learned: dict[tuple[str, str], dict] = {}

    @property
    def path(self) -> str:
        return self.store.path

    def load(self, v: Validator) -> dict:
        """Put the store's classes, usage bits and edges into ``v`` before it sees any event;
        returns the stored graph."""
        data = self.store.graph()
        g = v.graph
        for n in data["nodes"]:
            node = g.nodes[g.node(n["name"], n["kind"])]
            node.usage |= n["usage"]
            for b, w in n["usage_witness"].items():
                node.usage_witness.setdefault(int(b), Witness.from_dict(w))
            if n["site"]:
                v.class_sites.setdefault(n["name"], n["site"])
            if node.usage & USED_IN_ALL:
                # the validator checks irq usage on new edges only once some class is used in a context
                v._any_used_in = True
        for e in data["edges"]:
            src, dst = g.node(e["from"]), g.node(e["to"])
            w = Witness.from_dict(e["witness"]) if e["witness"] else None
            learned = e["learned"]
            if w is not None:
                w.task = f"{w.task} in {describe_run(learned)}"
            old = g.edge(src, dst)
            if old is None:
                g.add_edge(src, dst, e["dep"], w, frozenset()).count = e["count"]
            else:
                old.dep |= e["dep"]
            self.learned[(e["from"], e["to"])] = learned
        self.mark_synced(v)
        return data

    def mark_synced(self, v: Validator) -> None:
        g = v.graph
        self.synced_usage = {n.name: n.usage for n in g.nodes}
        self.synced_edges = {(g.name(e.src), g.name(e.dst)): e.dep for e in g.edges()}
        self.synced_findings = len(v.findings)

    def delta(self, v: Validator) -> tuple[list[dict], list[dict], list[dict]]:
        """What ``v`` learned since the last merge: nodes with new usage bits, new edges or labels, findings."""
        g = v.graph
        nodes = []
        for n in list(g.nodes):
            old = self.synced_usage.get(n.name)
            if old is None or n.usage & ~old:
                new = n.usage & ~(old or 0)
                nodes.append({"name": n.name, "kind": n.kind, "usage": n.usage, "site": v.class_sites.get(n.name),
                              "usage_witness": {str(b): w.to_dict() for b, w in n.usage_witness.items()
                                                if new >> b & 1}})
        edges = []
        for e in list(g.edges()):
            key = (g.name(e.src), g.name(e.dst))
            old = self.synced_edges.get(key)
            if old is None or e.dep & ~old:
                edges.append({"from": key[0], "to": key[1], "dep": e.dep, "count": 1 if old is None else 0,
                              "witness": e.witness.to_dict() if e.witness and old is None else None})
        findings = [self.annotate(f).to_dict() for f in v.findings[self.synced_findings:]]
        return nodes, edges, findings

    def annotate(self, f: Any) -> Any:
        """A cross-run finding: each step of its chain learned by an earlier run names that run."""
        for step in f.details.get("chain", ()):
            info = self.learned.get((step["from"], step["to"]))
            if info is not None:
                step["learned"] = {k: info.get(k) for k in ("run", "when", "pid", "host", "argv", "source")}
        return f

    def save(self, v: Validator, keys: dict[str, str] | None = None) -> None:
        """Merge this run's news into the store (one transaction); ``keys``: stable keys of classes."""
        with v.graph_lock:
            nodes, edges, findings = self.delta(v)
            if not (nodes or edges or findings) and self.store.run_id is not None:
                return
            self.mark_synced(v)
        for n in nodes:
            n["key"] = (keys or {}).get(n["name"])
        self.store.merge(self.run, nodes, edges, findings)

    def earlier_findings(self, v: Validator) -> list[dict]:
        """Findings in the store from other runs that this run did not report itself."""
        from ..fingerprint import of

        mine = {of(f) for f in v.findings}
        seen: dict[str, dict] = {}
        for row in self.store.findings():
            if row["fingerprint"] not in mine and row["run"].get("run") != self.store.run_id:
                seen.setdefault(row["fingerprint"], row)
        return list(seen.values())

    def close(self) -> None:
        self.store.close()
