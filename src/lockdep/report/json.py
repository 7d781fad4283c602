"""The findings JSON of docs/trace-format.md: ``{"findings": [...], "stats": {...}}``,
each finding with the engine's fields plus ``hint``, what to do about it."""

from __future__ import annotations

from typing import Any

from ..engine.findings import Finding
from . import advice


def finding_dict(f: Finding, style: str | None = None) -> dict[str, Any]:
    d = f.to_dict()
    d["hint"] = advice(f, style)
    return d


def document(findings: list[Finding], stats: dict, style: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"findings": [finding_dict(f, style) for f in findings], "stats": stats, **extra}
