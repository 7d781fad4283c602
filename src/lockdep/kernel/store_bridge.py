"""``splat --db`` and ``loops --db``: kernel reports feed the lock-history store,
and ``loops`` starts from the dependencies and cycles earlier runs stored;
``splat --baseline``: reports of known findings are marked suppressed."""

from __future__ import annotations

from typing import Any

from ..store import hooks
from .loops import MergedGraph, Witness, meaningful_frames
from .splat import Splat


def _edge_row(frm: str, to: str, source: str, line: int, task: str | None, stack: list[str]) -> dict:
    return {"from": frm, "to": to, "dep": 8, "count": 1,
            "witness": {"line": line, "task": task or source, "how": "acquire", "site": source,
                        "stack": stack or None, "prev_line": 0, "prev_site": None, "prev_stack": None}}


def save_splats(args: Any, reports: list[Splat]) -> None:
    """Every report's classes and dependencies (witness: the report's file:line and stack) and the
    report itself as a finding."""
    session = hooks.open_session(args, "splat")
    if session is None:
        return
    nodes: dict[str, dict] = {}
    edges, findings = [], []
    for s in reports:
        source = f"{s.file}:{s.line}"
        for c in s.classes:
            nodes.setdefault(c, {"name": c, "kind": "mutex", "usage": 0})
        for e in s.edges:
            for c in (e.frm, e.to):
                nodes.setdefault(c, {"name": c, "kind": "mutex", "usage": 0})
            edges.append(_edge_row(e.frm, e.to, source, s.line, s.task, e.stack))
        findings.append({**s.to_dict(), "source": source})
    session.store.merge(session.run, list(nodes.values()), edges, findings)
    session.close()


def exchange(args: Any, mg: MergedGraph) -> None:
    """Load the store's dependencies and stored cycles into ``mg``, merge ``mg``'s back."""
    session = hooks.open_session(args, "loops")
    if session is None:
        return
    from ..store.session import describe_run

    store = session.store
    mine = [(k, list(e.witnesses), set(e.reports)) for k, e in mg.edges.items()]
    cycles = [(list(c.classes), list(c.sources)) for c in mg.cycles]
    for e in store.graph()["edges"]:
        m = mg.edge(e["from"], e["to"])
        w = e.get("witness") or {}
        source = describe_run(e["learned"])
        stack = w.get("stack") or []
        m.witnesses.append(Witness(source, meaningful_frames(stack, 12) if stack else [], None, e["from"]))
        m.reports.add(source)
    for row in store.findings():
        f = row["finding"]
        if f["kind"] == "circular_dependency" and len(set(f["classes"])) > 1:
            mg.add_cycle(f["classes"], describe_run(row["run"]))
    nodes = {c: {"name": c, "kind": "mutex", "usage": 0} for (a, b), _, _ in mine for c in (a, b)}
    edges = [_edge_row(a, b, ws[0].source if ws else next(iter(rs), "loops"), 0, None, ws[0].by if ws else [])
             for (a, b), ws, rs in mine]
    findings = [{"kind": "circular_dependency", "classes": c, "sources": srcs} for c, srcs in cycles]
    store.merge(session.run, list(nodes.values()), edges, findings)
    session.close()


def baseline_entries(args: Any, reports: list[Splat]) -> list[dict | None]:
    """Per report, its entry in the baseline file (``--baseline``, LOCKDEP_BASELINE), or None."""
    from ..baseline import from_args
    from ..fingerprint import of

    known = from_args(args)
    return [known.entries.get(of(r.to_dict())) if known else None for r in reports]
