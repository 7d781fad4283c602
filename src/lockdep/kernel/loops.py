"""Merge many reports into one dependency graph and say where to break the loops.

Every circular report is a cycle that must be broken.  Within each strongly
connected component the cut is a minimum-weight set of edges that hits every
reported cycle (a weighted minimum feedback arc set restricted to the reported
cycles): exact by branch and bound when the search is small, otherwise the
greedy set-cover approximation, whose weight is at most H(d) times the
optimum (d = the most cycles one edge lies on; H = harmonic number).

An edge's weight is the number of distinct code sites that witness it: an
edge that one call site creates (``device_create()`` from a hotplug callback)
is cheap to remove; an edge that every caller creates is the lock's purpose.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import networkx as nx

from .splat import CIRCULAR, IRQ_INVERSION, Splat, func_of, meaningful_frames, parse_text, read_text_file

#: call-stack frames that say in which context a dependency was created
_CONTEXTS = [
    (re.compile(r"^(cpuhp_invoke_callback|cpuhp_thread_fun|cpuhp_up_callbacks|_cpu_up|_cpu_down)$"),
     "from a CPU-hotplug callback"),
    (re.compile(r"^(process_one_work|worker_thread)$"), "from a work item"),
    (re.compile(r"^(do_page_fault|__do_page_fault|handle_mm_fault|exc_page_fault|do_user_addr_fault)$"),
     "in a page fault"),
    (re.compile(r"^(__do_softirq|run_timer_softirq|call_timer_fn|net_rx_action|tasklet_action)"), "in softirq"),
    (re.compile(r"^(handle_irq|irq_exit|__handle_irq_event_percpu|handle_irq_event)"), "in a hard interrupt"),
    (re.compile(r"^(__x64_sys_ioctl|ksys_ioctl|do_vfs_ioctl|vfs_ioctl)$"), "from ioctl()"),
    (re.compile(r"^(vfs_read|kernfs_fop_read|seq_read|kernfs_fop_read_iter)"), "from read()"),
    (re.compile(r"^(vfs_write|kernfs_fop_write|kernfs_fop_write_iter)"), "from write()"),
    (re.compile(r"^(do_mmap|mmap_region|vm_mmap_pgoff)$"), "from mmap()"),
    (re.compile(r"^(do_one_initcall|kernel_init_freeable)$"), "at boot (initcall)"),
    (re.compile(r"^(load_module|do_init_module)$"), "while loading a module"),
]


def context_of(stack: list[str]) -> str | None:
    for fr in stack:
        fn = func_of(fr)
        for rx, label in _CONTEXTS:
            if rx.match(fn):
                return label
    return None


@dataclass
class Witness:
    source: str
    by: list[str]
    context: str | None
    frm: str
    dep: str = "lock"

    @property
    def site(self) -> str:
        return self.by[0] if self.by else "?"

    def text(self) -> str:
        chain = " <- ".join(f"{f}()" for f in self.by) or "(no stack)"
        ctx = f" {self.context}" if self.context else ""
        if self.dep == "signal":
            return f"{chain}{ctx}, before {self.frm} is signalled (cross-release) [{self.source}]"
        return f"{chain}{ctx}, while holding {self.frm} [{self.source}]"


@dataclass
class MergedEdge:
    frm: str
    to: str
    reports: set[str] = field(default_factory=set)
    witnesses: list[Witness] = field(default_factory=list)
    #: "lock", or "wait"/"signal" for a cross-release (completion, work, DEPT) dependency
    dep: str = "lock"

    @property
    def sites(self) -> set[str]:
        return {w.site for w in self.witnesses}

    @property
    def weight(self) -> int:
        return max(1, len(self.sites))


@dataclass
class Cycle:
    classes: list[str]
    sources: list[str]

    def edges(self) -> list[tuple[str, str]]:
        c = self.classes
        return [(c[i], c[(i + 1) % len(c)]) for i in range(len(c))]


@dataclass
class Cut:
    frm: str
    to: str
    weight: int
    witnesses: list[Witness]
    resolves: list[int]


@dataclass
class Loop:
    """One strongly connected component with reported cycles, and its cut."""

    classes: list[str]
    cycles: list[int]
    cuts: list[Cut]
    exact: bool
    bound: float


class MergedGraph:
    def __init__(self) -> None:
        self.edges: dict[tuple[str, str], MergedEdge] = {}
        self.cycles: list[Cycle] = []
        self._cycle_index: dict[tuple[str, ...], int] = {}
        #: old class name -> current name, for every alias applied to a report (see ``aliases.py``)
        self.aliases: dict[str, str] = {}

    def edge(self, frm: str, to: str) -> MergedEdge:
        e = self.edges.get((frm, to))
        if e is None:
            e = self.edges[(frm, to)] = MergedEdge(frm, to)
        return e

    def add_cycle(self, classes: list[str], source: str) -> None:
        k = classes.index(min(classes))
        key = tuple(classes[k:] + classes[:k])
        i = self._cycle_index.get(key)
        if i is None:
            self._cycle_index[key] = len(self.cycles)
            self.cycles.append(Cycle(list(classes), [source]))
        elif source not in self.cycles[i].sources:
            self.cycles[i].sources.append(source)

    def drop_cycles(self, known: Callable[[list[str]], bool]) -> list[Cycle]:
        """Remove the cycles ``known`` accepts (a baseline's) before solving; returns them."""
        dropped = [c for c in self.cycles if known(c.classes)]
        keep = [c for c in self.cycles if not known(c.classes)]
        self.cycles, self._cycle_index = [], {}
        for c in keep:
            for source in c.sources:
                self.add_cycle(c.classes, source)
        return dropped

    # ----------------------------------------------------------- inputs
    def add_splat(self, s: Splat) -> None:
        source = f"{s.file}:{s.line}"
        if s.kind not in (CIRCULAR, IRQ_INVERSION):
            return
        self.aliases.update(s.aliases)
        for e in s.edges:
            m = self.edge(e.frm, e.to)
            m.reports.add(source)
            if e.dep != "lock":
                m.dep = e.dep
            if e.stack or not m.witnesses:
                m.witnesses.append(Witness(source, meaningful_frames(e.stack, 12), context_of(e.stack), e.frm, e.dep))
        if s.kind == CIRCULAR and len(set(s.classes)) > 1:
            self.add_cycle(s.classes, source)

    def add_trace(self, path: str) -> None:
        from ..engine import Validator
        from ..trace.reader import replay

        v = replay([path], Validator())
        g = v.graph
        for e in g.edges():
            m = self.edge(g.name(e.src), g.name(e.dst))
            w = e.witness
            if w is not None:
                stack = w.stack or []
                by = meaningful_frames(stack, 12) if stack else ([func_of(w.site)] if w.site else [])
                m.witnesses.append(Witness(f"{path}:{w.line}", by, context_of(stack), g.name(e.src)))
        for f in v.findings:
            if f.kind == "circular_dependency":
                source = f"{path}:{f.line}"
                self.add_cycle(f.classes, source)
                for a, b in zip(f.classes, f.classes[1:] + f.classes[:1]):
                    self.edge(a, b).reports.add(source)

    def add_file(self, path: str) -> list:
        """A trace (JSON Lines) or report text; returns the splat errors."""
        lines = read_text_file(path)
        first = next((x.strip() for x in lines if x.strip() and not x.lstrip().startswith("#")), "")
        if first.startswith("{") and path != "-":
            self.add_trace(path)
            return []
        splats, errors = parse_text(lines, path)
        for s in splats:
            self.add_splat(s)
        return errors

    # ------------------------------------------------------------ solve
    def digraph(self) -> nx.DiGraph:
        g = nx.DiGraph()
        for (a, b), e in self.edges.items():
            g.add_edge(a, b, weight=e.weight, reports=len(e.reports))
        for c in self.cycles:
            for a, b in c.edges():
                if not g.has_edge(a, b):
                    g.add_edge(a, b, weight=1, reports=0)
        return g

    def loops(self, exact_budget: int = 200_000) -> list[Loop]:
        g = self.digraph()
        comp_of: dict[str, int] = {}
        comps = [sorted(c) for c in nx.strongly_connected_components(g) if len(c) > 1]
        for i, comp in enumerate(comps):
            for n in comp:
                comp_of[n] = i
        by_comp: dict[int, list[int]] = {}
        for ci, c in enumerate(self.cycles):
            by_comp.setdefault(comp_of[c.classes[0]], []).append(ci)
        out = []
        for comp_i, cyc_ids in sorted(by_comp.items(), key=lambda kv: min(kv[1])):
            sets = {ci: set(self.cycles[ci].edges()) for ci in cyc_ids}
            weight = {e: self.edges[e].weight if e in self.edges else 1 for s in sets.values() for e in s}
            chosen, exact = _hitting_set(sets, weight, exact_budget)
            d = max(sum(1 for s in sets.values() if e in s) for e in weight)
            cuts = []
            for e in sorted(chosen, key=lambda e: (-sum(e in s for s in sets.values()), e)):
                me = self.edges.get(e)
                cuts.append(Cut(e[0], e[1], weight[e], list(me.witnesses) if me else [],
                                sorted(ci for ci, s in sets.items() if e in s)))
            out.append(Loop(comps[comp_i], cyc_ids, cuts, exact, 1.0 if exact else _harmonic(d)))
        return out

    def to_json(self, loops: list[Loop]) -> dict:
        return {
            "cycles": [{"classes": c.classes, "sources": c.sources} for c in self.cycles],
            "cuts": [{"from": k.frm, "to": k.to, "weight": k.weight, "witnesses": [w.text() for w in k.witnesses],
                      "resolves": k.resolves} for lp in loops for k in lp.cuts],
            "loops": [{"classes": lp.classes, "cycles": lp.cycles, "exact": lp.exact,
                       "approximation_bound": lp.bound} for lp in loops],
            "edges": [{"from": e.frm, "to": e.to, "reports": len(e.reports), "weight": e.weight, "dep": e.dep}
                      for e in self.edges.values()],
            "aliases": dict(sorted(self.aliases.items())),
        }


def _harmonic(d: int) -> float:
    return sum(1.0 / i for i in range(1, d + 1))


def _hitting_set(sets: dict[int, set], weight: dict[Any, int], budget: int) -> tuple[set, bool]:
    """Minimum-weight set of edges meeting every cycle: branch and bound, else greedy."""
    greedy = _greedy(sets, weight)
    best = [sum(weight[e] for e in greedy), set(greedy)]
    nodes = [0]
    cycles = list(sets.values())

    def branch(chosen: set, cost: int) -> bool:
        nodes[0] += 1
        if nodes[0] > budget:
            return False
        open_ = [s for s in cycles if not (s & chosen)]
        if not open_:
            if cost < best[0] or (cost == best[0] and len(chosen) < len(best[1])):
                best[0], best[1] = cost, set(chosen)
            return True
        if cost + min(weight[e] for s in open_ for e in s) > best[0]:
            return True
        pivot = min(open_, key=len)
        for e in sorted(pivot, key=lambda e: (weight[e], -sum(e in s for s in open_))):
            if cost + weight[e] <= best[0]:
                chosen.add(e)
                ok = branch(chosen, cost + weight[e])
                chosen.discard(e)
                if not ok:
                    return False
        return True

    exact = branch(set(), 0)
    return (best[1] if exact else greedy), exact


def _greedy(sets: dict[int, set], weight: dict[Any, int]) -> set:
    open_ = {i: s for i, s in sets.items()}
    chosen: set = set()
    while open_:
        score: dict[Any, int] = {}
        for s in open_.values():
            for e in s:
                score[e] = score.get(e, 0) + 1
        e = max(score, key=lambda e: (score[e] / weight[e], -weight[e], e))
        chosen.add(e)
        open_ = {i: s for i, s in open_.items() if e not in s}
    for e in sorted(chosen, key=lambda e: -weight[e]):  # drop cuts made redundant by later ones
        rest = chosen - {e}
        if all(s & rest for s in sets.values()):
            chosen = rest
    return chosen


def merge_files(paths: Iterable[str]) -> tuple[MergedGraph, list]:
    mg = MergedGraph()
    errors: list = []
    for p in paths:
        errors += mg.add_file(p)
    return mg, errors


def dumps(obj: Any) -> str:
    return json.dumps(obj, indent=1)
