"""One self-contained HTML page of findings (inline CSS, SVG and script; no
external resource): an index with a count per kind, then each finding with its
dependency graph, both chains with source snippets, the threads involved, and
the suggested fix.  Every string is escaped."""

from __future__ import annotations

import html
import json
import linecache
from collections import Counter
from typing import Any

from ..engine.findings import Finding
from . import advice, render_text
from .frames import Frame, collapse, headline, parse_stack
from .graph import Edge, svg
from .json import found_by

esc = html.escape


def _snippet(fr: Frame | None, context: int = 2) -> str:
    """Source lines around a frame when its file can be read here, else its one recorded line."""
    if fr is None or not fr.file:
        return ""
    lines = []
    if fr.line and not fr.file.startswith("<"):
        for n in range(max(1, fr.line - context), fr.line + context + 1):
            text = linecache.getline(fr.file, n)
            if text:
                mark = ' class="hit"' if n == fr.line else ""
                lines.append(f'<span{mark}><span class="ln">{n:5d}</span> {esc(text.rstrip())}</span>')
    if not lines and fr.src:
        lines.append(f'<span class="hit"><span class="ln">{fr.line:5d}</span> {esc(fr.src)}</span>')
    return f'<pre class="src">{chr(10).join(lines)}</pre>' if lines else ""


def _stack(site: str | None, stack: list[str] | None) -> str:
    top, inner = headline(site, stack)
    if top is None:
        return '<p class="none">no location recorded</p>'
    out = [f'<div class="at"><code>{esc(top.where)}</code>'
           + (f' <span class="inner">(inside <code>{esc(inner.where)}</code>)</span>' if inner else "") + "</div>",
           _snippet(top)]
    rest = collapse(parse_stack(stack), skip=top)
    if rest:
        items = "".join(f"<li>{esc(x)}</li>" if isinstance(x, str) else f"<li><code>{esc(x.where)}</code>"
                        + (f" <code class='line'>{esc(x.src)}</code>" if x.src else "") + "</li>"
                        for x in rest if x is not inner)
        out.append(f'<details><summary>called from</summary><ul class="stack">{items}</ul></details>')
    return "".join(out)


def _graph(f: Finding) -> str:
    d = f.details
    chain = d.get("chain") or []
    edges = [Edge(e["from"], e["to"], 1, False, (e.get("witness") or {}).get("task") or "") for e in chain
             if e.get("from") and e.get("to")]
    ne = d.get("new_edge") or {}
    if ne.get("from") and ne.get("to"):
        edges.append(Edge(ne["from"], ne["to"], 2, True, f"new: {f.task}"))
    if not edges:
        return ""
    nodes = list(dict.fromkeys([n for e in edges for n in (e.frm, e.to)]))
    return f'<div class="graph">{svg(edges, 360 if len(nodes) <= 3 else 480, nodes)}</div>'


def _threads(f: Finding) -> list[str]:
    d = f.details
    names = [f.task, *(getattr(f, "tasks", None) or [])]
    names += [(e.get("witness") or {}).get("task") for e in d.get("chain") or []]
    names += list(d.get("holders") or []) + list(d.get("held_by") or [])
    reg = d.get("registered")
    if isinstance(reg, dict):
        names.append(reg.get("task"))
    for key in ("threads", "tasks"):  # findings may list them (newer engines)
        if isinstance(d.get(key), list):
            names += [str(x) for x in d[key]]
    return [str(n) for n in dict.fromkeys(names) if n]


def _chains(f: Finding) -> str:
    d = f.details
    out = []
    acq = d.get("acquiring") if isinstance(d.get("acquiring"), dict) else {}
    hold = d.get("holding") if isinstance(d.get("holding"), dict) else {}
    if acq:
        out.append(f"<h4>{esc(f.task or '')}: takes <span class='cls'>{esc(acq.get('class', ''))}</span></h4>"
                   + _stack(d.get("site") or acq.get("site"), d.get("stack")))
    elif d.get("site") or d.get("stack"):
        out.append(f"<h4>{esc(f.task or '')}</h4>" + _stack(d.get("site"), d.get("stack")))
    if hold:
        out.append(f"<h4>while holding <span class='cls'>{esc(hold.get('class', ''))}</span></h4>"
                   + _stack(hold.get("site"), None))
    for e in d.get("chain") or []:
        w = e.get("witness") or {}
        out.append(f"<h4>{esc(w.get('task') or 'a thread')}: takes <span class='cls'>{esc(e.get('to', ''))}</span>"
                   f" while holding <span class='cls'>{esc(e.get('from', ''))}</span></h4>"
                   + (_stack(w.get("site"), w.get("stack")) if w else '<p class="none">no witness recorded</p>'))
        if w.get("prev_site"):
            out.append(f"<h5><span class='cls'>{esc(e.get('from', ''))}</span> was taken</h5>"
                       + _stack(w.get("prev_site"), w.get("prev_stack")))
    reg = d.get("registered")
    if isinstance(reg, dict):
        out.append(f"<h4>{esc(reg.get('task') or '')}: also takes it</h4>" + _stack(reg.get("site"), reg.get("stack")))
    return "".join(out)


_KNOWN = {"how", "acquiring", "holding", "site", "stack", "signal_site", "chain", "new_edge", "registered",
          "same_instance", "waiting", "holders", "held_by", "threads", "tasks", "pid", "argv", "learned_in"}


def _extra(f: Finding) -> str:
    """Fields this page does not know yet, shown as they are (findings may grow)."""
    rows = [(k, v) for k, v in f.details.items() if k not in _KNOWN and v not in (None, [], {}, "")]
    if not rows:
        return ""
    cells = "".join(f"<tr><th>{esc(str(k))}</th><td>{esc(v if isinstance(v, str) else json.dumps(v, default=str))}"
                    f"</td></tr>" for k, v in rows)
    return f'<table class="extra">{cells}</table>'


def _finding(i: int, f: Finding, style: str | None) -> str:
    title = render_text(f, style).strip().splitlines()
    heading = next((ln for ln in title if ln.startswith(("lockdep: ", "WARNING:"))), f.kind)
    heading = heading.removeprefix("lockdep: ").removeprefix("WARNING: ")
    threads = ", ".join(f"<span class='thread'>{esc(t)}</span>" for t in _threads(f))
    classes = ", ".join(f"<span class='cls'>{esc(c)}</span>" for c in f.classes)
    who = found_by(f.details)
    process = f" · found by <span class='process'>{esc(who)}</span>" if who else ""
    return f"""<section class="finding" id="finding-{i}" data-kind="{esc(f.kind)}">
<h2>{i}. {esc(heading)}</h2>
<p class="meta"><span class="kind">{esc(f.kind)}</span> · classes: {classes} · threads: {threads or '—'}\
{process}</p>
<div class="cols">{_graph(f)}<div class="chains">{_chains(f)}</div></div>
{_extra(f)}
<p class="fix"><b>Fix:</b> {esc(advice(f, style))}</p>
<details><summary>text report</summary><pre class="report">{esc(chr(10).join(title))}</pre></details>
</section>"""


_CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; max-width: 72em; }
code, pre, .cls, .thread { font-family: ui-monospace, monospace; }
.cls { color: #7a1d8f; font-weight: bold; } .thread { color: #0b5394; }
.finding { border-top: 2px solid #c33; margin-top: 2em; padding-top: .5em; }
.cols { display: flex; gap: 1.5em; align-items: flex-start; flex-wrap: wrap; }
.chains { flex: 1; min-width: 30em; } h4 { margin: .8em 0 .2em; } h5 { margin: .4em 0 .2em; font-weight: normal; }
pre.src { background: #f6f6f6; padding: .3em .6em; margin: .2em 0; font-size: 12px; }
pre.src .hit { background: #fff3b0; display: inline-block; width: 100%; } .ln { color: #999; }
ul.stack { font-size: 12px; } .fix { background: #e9f7ec; padding: .5em .8em; border-left: 4px solid #2a7; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
.none { color: #888; }
"""

_SCRIPT = """
(function () {
  var data = JSON.parse(document.getElementById('lockdep-data').textContent);
  var s = document.getElementById('summary');
  s.textContent = data.findings + ' finding' + (data.findings === 1 ? '' : 's') + ', ' + data.classes +
    ' lock classes, ' + data.edges + ' dependencies';
  s.setAttribute('data-ready', 'yes');
})();
"""


def page(findings: list[Finding], stats: dict[str, Any] | None = None, *, style: str | None = None,
         title: str | None = None) -> str:
    stats = stats or {}
    kinds = Counter(f.kind for f in findings)
    index = "".join(f'<tr><td><a href="#kind-{esc(k)}">{esc(k)}</a></td><td class="count">{n}</td></tr>'
                    for k, n in sorted(kinds.items()))
    listing = "".join(f'<li id="kind-{esc(k)}">{esc(k)}: '
                      + ", ".join(f'<a href="#finding-{i}">#{i}</a>' for i, f in enumerate(findings, 1) if f.kind == k)
                      + "</li>" for k in sorted(kinds))
    body = "\n".join(_finding(i, f, style) for i, f in enumerate(findings, 1))
    data = {"findings": len(findings), "classes": stats.get("classes", 0), "edges": stats.get("edges", 0),
            "kinds": dict(kinds)}
    payload = json.dumps(data).replace("<", "\\u003c")  # no string can close the <script> element
    heading = esc(title or "lockdep report")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{heading}</title>
<style>{_CSS}</style></head>
<body>
<h1>{heading}</h1>
<p id="summary">(summary needs JavaScript)</p>
<h2>Index</h2>
<table id="index"><tr><th>kind</th><th>findings</th></tr>
{index or '<tr><td colspan="2">no findings</td></tr>'}
</table>
<ul>{listing}</ul>
{body}
<script type="application/json" id="lockdep-data">{payload}</script>
<script>{_SCRIPT}</script>
</body></html>
"""
