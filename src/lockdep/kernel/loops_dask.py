"""``lockdep loops --dask [ADDRESS] FILE...``: very large sets of splats (syzbot archives)
and traces, each file read on a Dask worker, the graphs merged in file order on the client."""

from __future__ import annotations

from typing import Sequence

from ..distributed.cluster import client, map_files
from ..errors import InputError
from .loops import MergedGraph


def _read(path: str) -> tuple[MergedGraph, list] | tuple[str, str, int | None, str]:
    """On a worker: one file's graph and its splat errors (bad input comes back as data)."""
    mg = MergedGraph()
    try:
        return mg, mg.add_file(path)
    except InputError as e:
        return ("error", e.source, e.line, e.message)


def merge_into(mg: MergedGraph, part: MergedGraph) -> None:
    """Union: reports and witnesses add up (a witness without a stack only for an edge that has none)."""
    mg.aliases.update(part.aliases)
    for (frm, to), e in part.edges.items():
        m = mg.edge(frm, to)
        m.reports |= e.reports
        if e.dep != "lock":  # a cross-release (wait/signal) dependency
            m.dep = e.dep
        for w in e.witnesses:
            if w.by or not m.witnesses:
                m.witnesses.append(w)
    for c in part.cycles:
        for source in c.sources:
            mg.add_cycle(c.classes, source)


def merge_files_dask(paths: Sequence[str], address: str | None = None) -> tuple[MergedGraph, list]:
    if not paths:
        raise InputError("loops", None, "no file given")
    with client(address) as c:
        parts = map_files(c, _read, paths)
    mg, errors = MergedGraph(), []
    for p in parts:
        if len(p) == 4:
            raise InputError(p[1], p[2], p[3])
        merge_into(mg, p[0])
        errors += p[1]
    return mg, errors
