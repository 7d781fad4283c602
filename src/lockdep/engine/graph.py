"""The dependency graph: classes (and events) as nodes, ``A -> B`` meaning
"B was taken (or waited for) while A was held".

Each edge carries the kernel's read/write label as a bit mask (``dep``), the
first witness that created it, and the set of exclusive locks held at every
witness (``gates``: candidates for a lock that serialises the edge).  The
searches follow ``__bfs`` in kernel/locking/lockdep.c, including its
strong-path rule for read locks.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

from .record import Record
from .usage import WRITE_BITS

# Edge labels (the kernel's calc_dep): S/E = the earlier lock held shared /
# exclusive; R/N = the later lock taken recursive-read / not.
DEP_SR, DEP_ER, DEP_SN, DEP_EN = 1, 2, 4, 8
DEP_NAMES = {DEP_SR: "SR", DEP_ER: "ER", DEP_SN: "SN", DEP_EN: "EN"}


def calc_dep(prev_read: int, next_read: int) -> int:
    """Edge bit for ``prev -> next`` (read: 0 exclusive, 1 shared, 2 recursive shared)."""
    return 1 << ((prev_read == 0) + 2 * (next_read != 2))


def dep_names(dep: int) -> list[str]:
    return [name for b, name in DEP_NAMES.items() if dep & b]


class Witness(Record):
    """Where an edge was first seen: the later lock's acquisition and the earlier one's."""

    __slots__ = _fields = ("line", "task", "site", "stack", "prev_line", "prev_site", "prev_stack", "how", "seq")

    def __init__(self, line: int, task: str, site: Any = None, stack: Any = None, prev_line: int = 0,
                 prev_site: Any = None, prev_stack: Any = None, how: str = "acquire", seq: int = 0):
        self.line = line
        self.task = task
        self.site = site
        self.stack = stack
        self.prev_line = prev_line
        self.prev_site = prev_site
        self.prev_stack = prev_stack
        self.how = how  # acquire | wait | signal
        self.seq = seq  # the validator's event order when the edge was first seen

    def to_dict(self) -> dict:
        return {
            "line": self.line,
            "task": self.task,
            "how": self.how,
            "site": _s(self.site),
            "stack": _stack(self.stack),
            "prev_line": self.prev_line,
            "prev_site": _s(self.prev_site),
            "prev_stack": _stack(self.prev_stack),
        }

    @classmethod
    def from_dict(cls, d: dict) -> "Witness":
        return cls(d.get("line", 0), d.get("task", ""), d.get("site"), d.get("stack"),
                   d.get("prev_line", 0), d.get("prev_site"), d.get("prev_stack"), d.get("how", "acquire"))


def _s(x: Any) -> str | None:
    return None if x is None else str(x)


def _stack(x: Any) -> list[str] | None:
    if x is None:
        return None
    if callable(x):
        x = x()
    return [str(f) for f in x]


class Edge:
    __slots__ = ("src", "dst", "dep", "witness", "gates", "count", "tasks")

    def __init__(self, src: int, dst: int, dep: int, witness: Witness | None, gates: frozenset[int]):
        self.src = src
        self.dst = dst
        self.dep = dep
        self.witness = witness
        self.gates = gates
        self.count = 1
        #: the tasks that made a wait or signal edge (who waits, who signals), each with the event
        #: order (``seq``) of its latest time; None for lock edges
        self.tasks: dict[str, int] | None = None


class Node:
    __slots__ = ("id", "name", "kind", "usage", "out", "inn", "usage_witness", "instance_order", "family")

    def __init__(self, id: int, name: str, kind: str):
        self.id = id
        self.name = name
        self.kind = kind  # a lock kind from the trace format, or "event"
        self.usage = 0
        #: two instances of the class nested in each other are judged by instance order
        #: (Python's classes, ``"order": "instance"`` in a trace) rather than as recursion
        self.instance_order = False
        #: classes of one family (the node id of its first class) are one class for the instance
        #: rule: a stdlib composite's primitive named after each user line that made one
        #: (``"family"`` in a trace); by default a class is its own family
        self.family = id
        self.out: dict[int, Edge] = {}
        self.inn: dict[int, Edge] = {}
        self.usage_witness: dict[int, Witness] = {}  # first acquisition that set each usage bit


Match = Callable[[int, bool], bool]


class Graph:
    """Nodes by name, edges with labels; serialisable and mergeable."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.by_name: dict[str, int] = {}
        self.n_edges = 0
        #: searches follow every strong path (``--complete``) instead of copying the kernel's visited quirk
        self.complete = False

    # -- nodes and edges ---------------------------------------------------
    def node(self, name: str, kind: str = "mutex") -> int:
        nid = self.by_name.get(name)
        if nid is None:
            nid = len(self.nodes)
            self.nodes.append(Node(nid, name, kind))
            self.by_name[name] = nid
        return nid

    def name(self, nid: int) -> str:
        return self.nodes[nid].name

    def edge(self, src: int, dst: int) -> Edge | None:
        return self.nodes[src].out.get(dst)

    def add_edge(self, src: int, dst: int, dep: int, witness: Witness | None, gates: frozenset[int]) -> Edge:
        e = Edge(src, dst, dep, witness, gates)
        self.nodes[src].out[dst] = e
        self.nodes[dst].inn[src] = e
        self.n_edges += 1
        return e

    def remove_edges_of(self, nid: int) -> None:
        """Forget every dependency into and out of ``nid`` (a class found to be no lock)."""
        node = self.nodes[nid]
        for dst in node.out:
            del self.nodes[dst].inn[nid]
        for src in node.inn:
            del self.nodes[src].out[nid]
        self.n_edges -= len(node.out) + len(node.inn) - (nid in node.out)
        node.out = {}
        node.inn = {}

    def edges(self) -> Iterator[Edge]:
        for n in self.nodes:
            yield from n.out.values()

    # -- searches (kernel __bfs) ---------------------------------------------
    def search(self, root: int, root_only_xr: bool, match: Match, forward: bool = True,
               include_root: bool = True, skip: set[Edge] | None = None,
               complete: bool | None = None) -> list[int] | None:
        """Breadth-first search along strong paths; returns root..target or None.

        ``only_xr`` of an entry: forwards, every path into it ends in a
        recursive read (so an edge out of it that starts shared is not strong);
        backwards, every path out of it starts shared (so an edge into it that
        ends in a recursive read is not strong).  Like the kernel, a class is
        marked visited the first time it is reached, even if that edge is then
        found too weak to follow.  ``complete`` (default: the graph's ``complete``) drops that quirk: a
        class is visited once per strength, and only over an edge strong enough to follow.
        """
        if include_root and match(root, root_only_xr):
            return [root]
        nodes = self.nodes
        complete = self.complete if complete is None else complete
        visited = {root}
        weak: set[int] = set()  # complete: classes reached only over paths ending in a recursive read
        entries: list[tuple[int, bool, int]] = [(root, root_only_xr, -1)]
        drop, keep_n = (DEP_SR | DEP_SN, DEP_SN | DEP_EN) if forward else (DEP_SR | DEP_ER, DEP_ER | DEP_EN)
        i = 0
        while i < len(entries):
            nid, only_xr, _ = entries[i]
            adj = nodes[nid].out if forward else nodes[nid].inn
            for nxt, e in adj.items():
                if nxt in visited or skip and e in skip:
                    continue
                if not complete:
                    visited.add(nxt)
                dep = e.dep & ~drop if only_xr else e.dep
                if not dep:
                    continue
                child_only_xr = not (dep & keep_n)
                if complete:
                    if child_only_xr:
                        if nxt in weak:
                            continue
                        weak.add(nxt)
                    else:
                        visited.add(nxt)
                entries.append((nxt, child_only_xr, i))
                if match(nxt, child_only_xr):
                    path = []
                    j = len(entries) - 1
                    while j >= 0:
                        path.append(entries[j][0])
                        j = entries[j][2]
                    path.reverse()
                    return path
            i += 1
        return None

    def accumulate_usage(self, root: int, root_only_xr: bool, forward: bool) -> int:
        """OR of the usage bits of every class reachable along strong paths (root included)."""
        acc = 0

        def take(nid: int, only_xr: bool) -> bool:
            nonlocal acc
            u = self.nodes[nid].usage
            acc |= (u & WRITE_BITS) if only_xr else u
            return False

        self.search(root, root_only_xr, take, forward)
        return acc

    def usage_matcher(self, mask: int) -> Match:
        nodes = self.nodes

        def match(nid: int, only_xr: bool) -> bool:
            u = nodes[nid].usage
            return bool(((u & WRITE_BITS) if only_xr else u) & mask)

        return match

    # -- persistence ---------------------------------------------------------
    def to_dict(self) -> dict:
        return {
            "nodes": [{"name": n.name, "kind": n.kind, "usage": n.usage} for n in self.nodes],
            "edges": [
                {"from": self.nodes[e.src].name, "to": self.nodes[e.dst].name, "dep": e.dep, "count": e.count,
                 "witness": e.witness.to_dict() if e.witness else None}
                for e in self.edges()
            ],
        }

    def merge_dict(self, data: dict) -> None:
        """Union with a serialised graph; an edge already known keeps its own (earlier) witness."""
        for n in data.get("nodes", []):
            nid = self.node(n["name"], n.get("kind", "mutex"))
            self.nodes[nid].usage |= int(n.get("usage", 0))
        for e in data.get("edges", []):
            src, dst = self.node(e["from"]), self.node(e["to"])
            old = self.edge(src, dst)
            if old is None:
                w = e.get("witness")
                new = self.add_edge(src, dst, int(e.get("dep", DEP_EN)), Witness.from_dict(w) if w else None, frozenset())
                new.count = int(e.get("count", 1))
            else:
                old.dep |= int(e.get("dep", DEP_EN))
                old.count += int(e.get("count", 1))

    @classmethod
    def from_dict(cls, data: dict) -> "Graph":
        g = cls()
        g.merge_dict(data)
        return g
