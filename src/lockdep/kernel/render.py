"""Drawings of a merged graph: DOT, SVG, and one self-contained offline HTML page.

Every string comes from untrusted report text, so it is escaped for the
format it lands in (DOT quoted strings, XML text and attributes, HTML).
"""

from __future__ import annotations

import html
import json
import math

from .loops import Loop, MergedGraph


def _cut_set(loops: list[Loop]) -> set[tuple[str, str]]:
    return {(c.frm, c.to) for lp in loops for c in lp.cuts}


def _dot_str(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def to_dot(mg: MergedGraph, loops: list[Loop]) -> str:
    cuts = _cut_set(loops)
    lines = ["digraph lockdep {", "  rankdir=LR;", '  node [shape=box, fontname="monospace"];']
    nodes = sorted({n for e in mg.edges for n in e})
    for n in nodes:
        lines.append(f"  {_dot_str(n)};")
    for (a, b), e in sorted(mg.edges.items()):
        n = len(e.reports)
        attrs = [f"label={_dot_str(str(n))}", f"penwidth={1 + min(n, 8)}"]
        if (a, b) in cuts:
            attrs += ["color=red", "fontcolor=red", 'style="bold,dashed"']
        lines.append(f"  {_dot_str(a)} -> {_dot_str(b)} [{', '.join(attrs)}];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _layout(nodes: list[str], width: float, height: float) -> dict[str, tuple[float, float]]:
    r = min(width, height) / 2 - 90
    cx, cy = width / 2, height / 2
    n = max(1, len(nodes))
    return {v: (cx + r * math.cos(2 * math.pi * i / n - math.pi / 2), cy + r * math.sin(2 * math.pi * i / n - math.pi / 2))
            for i, v in enumerate(nodes)}


def to_svg(mg: MergedGraph, loops: list[Loop], size: int = 720) -> str:
    cuts = _cut_set(loops)
    nodes = sorted({n for e in mg.edges for n in e})
    pos = _layout(nodes, size, size)
    esc = html.escape
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="{size}" height="{size}" '
           'font-family="monospace" font-size="11">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#555"/></marker>'
           '<marker id="arrow-cut" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
           'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#d00"/></marker></defs>']
    for (a, b), e in sorted(mg.edges.items()):
        (x1, y1), (x2, y2) = pos[a], pos[b]
        dx, dy = x2 - x1, y2 - y1
        d = math.hypot(dx, dy) or 1
        x1, y1, x2, y2 = x1 + dx / d * 14, y1 + dy / d * 14, x2 - dx / d * 14, y2 - dy / d * 14
        cut = (a, b) in cuts
        n = len(e.reports)
        cls = "edge cut" if cut else "edge"
        dash = ' stroke-dasharray="6 3"' if cut else ""
        out.append(f'<line class="{cls}" data-from="{esc(a)}" data-to="{esc(b)}" x1="{x1:.1f}" y1="{y1:.1f}" '
                   f'x2="{x2:.1f}" y2="{y2:.1f}" stroke="{"#d00" if cut else "#555"}" '
                   f'stroke-width="{1 + min(n, 6)}"{dash} '
                   f'marker-end="url(#{"arrow-cut" if cut else "arrow"})"><title>{esc(a)} → {esc(b)}: '
                   f'{n} report{"s" if n != 1 else ""}{" — suggested cut" if cut else ""}</title></line>')
    for v in nodes:
        x, y = pos[v]
        out.append(f'<g class="node" data-name="{esc(v)}"><circle cx="{x:.1f}" cy="{y:.1f}" r="12" fill="#eef" '
                   f'stroke="#335"/><text x="{x:.1f}" y="{y - 17:.1f}" text-anchor="middle">{esc(v)}</text></g>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


_SCRIPT = """
(function () {
  var data = JSON.parse(document.getElementById('lockdep-data').textContent);
  var s = document.getElementById('summary');
  s.textContent = data.classes + ' classes, ' + data.edges + ' dependencies, ' + data.cycles + ' reported cycles, '
    + data.cuts + ' suggested cut' + (data.cuts === 1 ? '' : 's');
  s.setAttribute('data-ready', 'yes');
  var lines = document.querySelectorAll('line.edge');
  document.querySelectorAll('tr.cut').forEach(function (row) {
    row.addEventListener('mouseenter', function () {
      lines.forEach(function (l) {
        var hit = l.getAttribute('data-from') === row.getAttribute('data-from') &&
                  l.getAttribute('data-to') === row.getAttribute('data-to');
        l.style.opacity = hit ? '1' : '0.25';
      });
    });
    row.addEventListener('mouseleave', function () { lines.forEach(function (l) { l.style.opacity = '1'; }); });
  });
})();
"""


def to_html(mg: MergedGraph, loops: list[Loop]) -> str:
    esc = html.escape
    cuts = [c for lp in loops for c in lp.cuts]
    nodes = {n for e in mg.edges for n in e}
    data = {"classes": len(nodes), "edges": len(mg.edges), "cycles": len(mg.cycles), "cuts": len(cuts)}
    rows_cycles = "\n".join(
        f"<tr><td>{i}</td><td>{esc(' → '.join(c.classes + c.classes[:1]))}</td><td>{esc(', '.join(c.sources))}</td></tr>"
        for i, c in enumerate(mg.cycles))
    rows_cuts = "\n".join(
        f'<tr class="cut" data-from="{esc(c.frm)}" data-to="{esc(c.to)}"><td>{esc(c.frm)} → {esc(c.to)}</td>'
        f"<td>{c.weight}</td><td>{esc(', '.join(map(str, c.resolves)))}</td>"
        f"<td><ul>{''.join(f'<li>{esc(w.text())}</li>' for w in c.witnesses[:5])}</ul></td></tr>"
        for c in cuts)
    notes = "".join(
        f"<li>loop of {len(lp.classes)} classes: {'exact minimum' if lp.exact else f'greedy, within {lp.bound:.2f}× of the minimum'}</li>"
        for lp in loops)
    # JSON inside <script>: escape "<" so no string can close the element
    payload = json.dumps(data).replace("<", "\\u003c")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>lockdep loops</title>
<style>
body {{ font-family: sans-serif; margin: 1.5em; }} table {{ border-collapse: collapse; margin: 1em 0; }}
td, th {{ border: 1px solid #ccc; padding: 4px 8px; vertical-align: top; font-family: monospace; font-size: 12px; }}
tr.cut td:first-child {{ color: #d00; font-weight: bold; }} #summary {{ font-weight: bold; }}
</style></head>
<body>
<h1>Lock dependency loops</h1>
<p id="summary">(summary needs JavaScript)</p>
<ul>{notes}</ul>
{to_svg(mg, loops)}
<h2>Suggested cuts</h2>
<table id="cuts"><tr><th>edge</th><th>weight</th><th>resolves cycles</th><th>witnesses</th></tr>
{rows_cuts}
</table>
<h2>Reported cycles</h2>
<table id="cycles"><tr><th>#</th><th>cycle</th><th>reports</th></tr>
{rows_cycles}
</table>
<script type="application/json" id="lockdep-data">{payload}</script>
<script>{_SCRIPT}</script>
</body></html>
"""
