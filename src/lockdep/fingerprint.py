"""A finding's stable fingerprint: its kind and classes, not line numbers or
addresses, so the same problem found by another run, on another machine or
after an edit keeps its identity (stores and baseline files key on it)."""

from __future__ import annotations

from typing import Any

_UNORDERED = ("held_lock_at_exit", "held_lock_at_fork")


def canonical_classes(kind: str, classes: list[str]) -> list[str]:
    """A cycle starts at its smallest class (it has no first one); sets of held classes are sorted."""
    if kind == "circular_dependency" and classes:
        k = classes.index(min(classes))
        return classes[k:] + classes[:k]
    if kind in _UNORDERED:
        return sorted(classes)
    return list(classes)


def fingerprint(kind: str, classes: list[str]) -> str:
    import hashlib  # here: a run that reports nothing never needs it (start-up)

    text = "\0".join([kind, *canonical_classes(kind, classes)])
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def of(finding: Any) -> str:
    """Fingerprint of a Finding or of its JSON dict."""
    if isinstance(finding, dict):
        return fingerprint(finding["kind"], finding["classes"])
    return fingerprint(finding.kind, finding.classes)
