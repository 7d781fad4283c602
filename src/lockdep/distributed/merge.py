"""Merge the parts of many files into one graph and run the graph checks on it.

The steps of every file are applied in file order to one validator, at the
event order (``seq``) a sequential replay would have reached: a dependency
label seen first in an earlier file is already there (union of edges, labels
OR-ed, the earliest witness kept), a new one is checked for a cycle and for
irq usage against everything merged so far, a usage bit is checked for
inconsistency and inversion.  The steps of a chain an earlier file already
cached are skipped, as the validator's chain cache would.
"""

from __future__ import annotations

from typing import Iterable

from ..engine.task import HeldLock, TaskState
from ..engine.usage import usage_string
from ..engine.validator import Validator
from .extract import AGAIN, DEP, FINDING, PYTHON, SEEN, SITE, USAGE, FilePart, Held, by_instance


class Merger:
    """Applies parts to ``v`` (a fresh validator, or one a store was loaded into)."""

    def __init__(self, v: Validator | None = None) -> None:
        self.v = v if v is not None else Validator()
        self.chains_before: set[tuple] = set()

    def _entry(self, h: Held) -> HeldLock:
        name, kind, lock, read, trylock, ctx, site, stack, line, seq = h
        return HeldLock(lock, self.v.graph.node(name, kind), read, trylock, ctx, site, stack, line, seq)

    def _task(self, snapshot: tuple[str, list[Held]]) -> TaskState:
        name, held = snapshot
        ts = TaskState(name, 0)
        ts.held = [self._entry(h) for h in held]
        return ts

    def add(self, part: FilePart) -> None:
        """Apply one file's steps (parts must come in file order)."""
        v = self.v
        g = v.graph
        for name, kind, by_instance in part.nodes:
            nid = g.node(name, kind)
            g.nodes[nid].instance_order |= by_instance
        skip = self.chains_before
        offset = v.seq
        for step in part.steps:
            what, chain, seq = step[0], step[1], step[2]
            if chain is not None and chain in skip:
                continue  # cached by an earlier file: a chain-cache hit in a sequential replay
            v.seq = offset + seq
            if what == AGAIN:
                _, _, _, prev, nxt, task = step
                v._rewitness(g.edge(g.by_name[prev], g.by_name[nxt]), task)
            elif what == DEP:
                _, _, _, snapshot, prev, nxt, how = step
                with v.graph_lock:
                    v._add_dependency(self._task(snapshot), self._entry(prev), self._entry(nxt), how)
            elif what == USAGE:
                _, _, _, snapshot, h, umask = step
                entry = self._entry(h)
                if umask & ~v.nodes[entry.node].usage:
                    with v.graph_lock:
                        v._mark_usage(self._task(snapshot), entry, umask)
            elif what == FINDING:
                _, _, _, f, key = step
                f.count, f.tasks = 1, []  # counted here, not by the file alone
                self._refresh(f)
                v._report(f, self._key(key))
            elif what == SEEN:
                v._seen_again(self._key(step[3]), step[4])
            elif what == SITE:
                v.class_sites.setdefault(step[3], step[4])
            elif what == PYTHON:
                v.cycles_need_a_lock = True
        self.chains_before |= part.chains
        # the counts a sequential replay would show
        v.seq = offset + part.seq
        v.inits += part.inits
        v.chains.update(hash(c) for c in part.chains)
        v.tasks.update((t, TaskState(t, 0)) for t in part.tasks)

    def _key(self, key: tuple) -> tuple:
        """An inversion between instances is keyed by its class's node (by name in a part)."""
        return (key[0], key[1], self.v.graph.by_name[key[2]]) if by_instance(key) else key

    def _refresh(self, f: object) -> None:
        """Usage strings as the merged graph has them now (a file alone knows only its own uses)."""
        g = self.v.graph

        def usage(cls: str) -> str | None:
            nid = g.by_name.get(cls)
            return usage_string(g.nodes[nid].usage) if nid is not None else None

        for h in f.held:  # type: ignore[attr-defined]
            h.usage = usage(h.cls) or h.usage
        for d in f.details.values():  # type: ignore[attr-defined]
            if isinstance(d, dict) and "usage" in d and "class" in d:
                d["usage"] = usage(d["class"]) or d["usage"]


def merge_parts(parts: Iterable[FilePart], v: Validator | None = None) -> Validator:
    m = Merger(v)
    for part in sorted(parts, key=lambda p: p.index):
        m.add(part)
    return m.v
