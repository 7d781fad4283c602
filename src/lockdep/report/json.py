"""The findings JSON of docs/trace-format.md: ``{"findings": [...], "stats": {...}}``,
each finding with the engine's fields plus ``hint``, what to do about it."""

from __future__ import annotations

from typing import Any

from ..engine.findings import Finding, HeldInfo
from . import advice

#: the fields of a finding's dict that are not its ``details``
_FIELDS = ("kind", "classes", "events", "task", "line", "guarded_by", "sites", "held", "count", "threads", "hint")


def finding_dict(f: Finding, style: str | None = None) -> dict[str, Any]:
    d = f.to_dict()
    d["hint"] = advice(f, style)
    return d


def document(findings: list[Finding], stats: dict, style: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"findings": [finding_dict(f, style) for f in findings], "stats": stats, **extra}


def finding_from_dict(d: dict[str, Any]) -> Finding:
    """A finding read back from its JSON (another process's, a store's), for the HTML and SARIF
    renderers; what ``to_dict`` does not keep (held locks' usage) stays empty."""
    classes = list(d.get("classes") or [])
    return Finding(d["kind"], classes, list(d.get("events") or []), d.get("task"), d.get("line") or 0,
                   d.get("guarded_by"), details={k: v for k, v in d.items() if k not in _FIELDS},
                   held=[HeldInfo(h.get("class", "?"), h.get("lock", "?"), "", h.get("mode", ""), h.get("site"),
                                  h.get("line") or 0) for h in d.get("held") or []],
                   sites={c: s for c, s in zip(classes, d.get("sites") or []) if s},
                   count=d.get("count", 1), tasks=list(d.get("threads") or []))


def found_by(d: dict[str, Any]) -> str | None:
    """The process that found a finding of another process (``pid``, ``argv``), or where it was learned."""
    if d.get("pid"):
        return f"pid {d['pid']} ({d.get('argv') or '?'})"
    return d.get("learned_in")
