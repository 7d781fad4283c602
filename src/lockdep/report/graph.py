"""Dependency graphs drawn as inline SVG (no external resources), shared by the
findings page and ``lockdep loops --html``.  Every name is escaped."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Edge:
    frm: str
    to: str
    weight: int = 1
    highlight: bool = False  # drawn red and dashed (a suggested cut, the new dependency)
    title: str = ""


def _layout(nodes: list[str], width: float, height: float) -> dict[str, tuple[float, float]]:
    r = min(width, height) / 2 - 90
    cx, cy = width / 2, height / 2
    n = max(1, len(nodes))
    angle = [2 * math.pi * i / n - math.pi / 2 for i in range(n)]
    return {v: (cx + r * math.cos(angle[i]), cy + r * math.sin(angle[i])) for i, v in enumerate(nodes)}


def svg(edges: list[Edge], size: int = 720, nodes: list[str] | None = None) -> str:
    """Nodes on a circle (in the given order, else sorted), edges as arrows."""
    nodes = nodes or sorted({n for e in edges for n in (e.frm, e.to)})
    pos = _layout(nodes, size, size)
    esc = html.escape
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" height="{size}" '
           'font-family="monospace" font-size="11">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker>'
           '<marker id="arrow-cut" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#d00"/></marker></defs>']
    for e in edges:
        (x1, y1), (x2, y2) = pos[e.frm], pos[e.to]
        dx, dy = x2 - x1, y2 - y1
        d = math.hypot(dx, dy) or 1
        x1, y1, x2, y2 = x1 + dx / d * 14, y1 + dy / d * 14, x2 - dx / d * 14, y2 - dy / d * 14
        cut = e.highlight
        dash = ' stroke-dasharray="6 3"' if cut else ""
        out.append(f'<line class="{"edge cut" if cut else "edge"}" data-from="{esc(e.frm)}" data-to="{esc(e.to)}" '
                   f'x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{"#d00" if cut else "#555"}" '
                   f'stroke-width="{1 + min(e.weight, 6)}"{dash} '
                   f'marker-end="url(#{"arrow-cut" if cut else "arrow"})"><title>{esc(e.frm)} → {esc(e.to)}'
                   f'{": " + esc(e.title) if e.title else ""}</title></line>')
    for v in nodes:
        x, y = pos[v]
        out.append(f'<g class="node" data-name="{esc(v)}"><circle cx="{x:.1f}" cy="{y:.1f}" r="12" fill="#eef" '
                   f'stroke="#335"/><text x="{x:.1f}" y="{y - 17:.1f}" text-anchor="middle">{esc(v)}</text></g>')
    out.append("</svg>")
    return "\n".join(out) + "\n"
