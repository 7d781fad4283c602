"""Drawings of a merged graph: DOT, SVG (the findings page's renderer,
``lockdep.report.graph``), and one self-contained offline HTML page.

Every string comes from untrusted report text, so it is escaped for the
format it lands in (DOT quoted strings, XML text and attributes, HTML).
"""

from __future__ import annotations

import html
import json

from ..report.graph import Edge, svg
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


def to_svg(mg: MergedGraph, loops: list[Loop], size: int = 720) -> str:
    cuts = _cut_set(loops)
    edges = []
    for (a, b), e in sorted(mg.edges.items()):
        n = len(e.reports)
        edges.append(Edge(a, b, n, (a, b) in cuts,
                          f'{n} report{"s" if n != 1 else ""}{" — suggested cut" if (a, b) in cuts else ""}'))
    return svg(edges, size)


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
