"""The graph checks on a merged graph: each usage bit and each dependency label
of a store is added to a fresh validator, with its first witness, through the
validator's own ``mark_lock`` and ``check_prev_add`` -- so an inversion whose
halves were learned by different processes (xdist workers, a program and its
subprocesses, yesterday's run) is reported like any other, both chains with
their witnesses."""

from __future__ import annotations

from ..engine.graph import Witness
from ..engine.task import HeldLock, TaskState
from ..engine.usage import bit_dir, bit_read, flag
from ..engine.validator import Validator
from .session import describe_run

#: (bit, earlier lock's read level, later lock's read level) per edge label: SR, ER, SN, EN
_LABELS = ((8, 0, 0), (4, 1, 0), (2, 0, 2), (1, 1, 2))


def _entry(v: Validator, name: str, read: int, site: object, stack: object, line: int) -> HeldLock:
    return HeldLock(name, v.graph.by_name[name], read, False, 0, site, stack, line or 0, 0)


def check_graph(graph: dict, v: Validator | None = None) -> Validator:
    """Replay ``graph`` (``Store.graph()``) into ``v`` with every check; ``v.findings`` is the result."""
    v = v if v is not None else Validator()
    g = v.graph
    for n in graph["nodes"]:
        g.node(n["name"], n["kind"])
        if n.get("site"):
            v.class_sites.setdefault(n["name"], n["site"])
    for n in graph["nodes"]:
        bits = sorted((b for b in range(12) if n["usage"] >> b & 1), key=bit_dir)
        for b in bits:
            w = n["usage_witness"].get(str(b)) or {}
            h = _entry(v, n["name"], bit_read(b), w.get("site"), w.get("stack"), w.get("line", 0))
            if flag(b) & ~g.nodes[h.node].usage:
                with v.graph_lock:
                    v._mark_usage(TaskState(w.get("task") or "?", 0), h, flag(b))
    for e in graph["edges"]:
        w = Witness.from_dict(e["witness"]) if e.get("witness") else Witness(0, "?")
        task = f"{w.task} in {describe_run(e['learned'])}" if e.get("learned") else w.task
        for label, prev_read, next_read in _LABELS:
            if not e["dep"] & label:
                continue
            prev = _entry(v, e["from"], prev_read, w.prev_site, w.prev_stack, w.prev_line)
            nxt = _entry(v, e["to"], next_read, w.site, w.stack, w.line)
            ts = TaskState(task, 0)
            ts.held = [prev]
            with v.graph_lock:
                v._add_dependency(ts, prev, nxt, w.how)
    return v
