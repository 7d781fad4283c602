"""Every user-facing format of findings, side by side, each a renderer of one
data model (``lockdep.engine.findings.Finding``):

* ``python``  -- text for Python developers (the default for Python findings);
* ``kernel``  -- text in the kernel's layout (``--style kernel``, ``LOCKDEP_STYLE=kernel``;
  findings from kernel traces always);
* ``json``    -- the findings JSON of docs/trace-format.md;
* ``html``    -- one self-contained page; ``graph`` draws dependency graphs for it
  and for ``lockdep loops --html``;
* ``sarif``   -- SARIF 2.1.0 for code-scanning tools.

Renderers import the engine's data types only; heavy libraries (rich) are
imported by the function that needs them.
"""

from __future__ import annotations

import os

from ..engine.findings import Finding

STYLES = ("python", "kernel")


def requested_style(style: str | None = None) -> str | None:
    """The style asked for (option first, then LOCKDEP_STYLE), or None for automatic."""
    style = style or os.environ.get("LOCKDEP_STYLE", "").strip().lower() or None
    return style if style in STYLES else None


def is_python(f: Finding) -> bool:
    """A finding about a Python program (its sites are ``file.py:LINE``), not a kernel trace."""
    from .frames import is_python_site  # (here: a run that finds nothing never needs it)

    d = f.details
    candidates = [d.get("site"), *(d.get("stack") or [])[:1], *(h.site for h in f.held), *f.sites.values()]
    for key in ("acquiring", "holding"):
        if isinstance(d.get(key), dict):
            candidates.append(d[key].get("site"))
    return any(is_python_site(s) for s in candidates if isinstance(s, str))


def style_of(f: Finding, style: str | None = None) -> str:
    """``python`` or ``kernel`` for this finding: kernel findings keep the kernel's layout."""
    if not is_python(f):
        return "kernel"
    return requested_style(style) or "python"


def render_text(f: Finding, style: str | None = None) -> str:
    """The text report of one finding, in ``style`` (None: automatic)."""
    if style_of(f, style) == "kernel":
        from .kernel import render
    else:
        from .python import render
    return render(f)


def advice(f: Finding, style: str | None = None) -> str:
    """What to do about a finding, in Python terms for Python findings."""
    if style_of(f, style) == "kernel":
        from .kernel import hint
    else:
        from .python import hint
    return hint(f)


__all__ = ["STYLES", "advice", "is_python", "render_text", "requested_style", "style_of"]
