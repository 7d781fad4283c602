"""SARIF 2.1.0: one result per finding, for GitHub code scanning and other CI
tools.  The primary location is where the closing acquisition (or wait)
happened; the sites of the other chain entries are related locations; each
result has a fingerprint that stays the same from run to run (kind and lock
classes, not line numbers or addresses)."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from .. import __version__
from ..engine import findings as F
from ..engine.findings import Finding
from . import advice
from .frames import headline, parse
from .json import found_by

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

RULES: dict[str, tuple[str, str, str]] = {  # kind -> (name, short description, level)
    F.CIRCULAR: ("PossibleDeadlock", "Locks (or waits) taken in an order that can deadlock", "error"),
    F.RECURSIVE: ("RecursiveLocking", "A lock taken again while held: a self-deadlock", "error"),
    F.INCONSISTENT: ("InconsistentLockState",
                     "A lock taken in an interrupting context (signal handler, __del__, irq) and outside it", "error"),
    F.IRQ_INVERSION: ("InterruptLockInversion", "A lock taken in an interrupting context depends on one that is not",
                      "error"),
    F.BAD_UNLOCK: ("BadUnlockBalance", "Release of a lock the thread does not hold", "warning"),
    F.HELD_AT_EXIT: ("HeldLockAtExit", "A thread ended while holding a lock", "warning"),
    F.HELD_FREED: ("HeldLockFreed", "A held lock was freed", "warning"),
    F.HELD_AT_FORK: ("HeldLockAtFork", "fork() while another thread holds a lock", "warning"),
}

_FILE_LINE = re.compile(r"(?P<file>[\w.+\-/\\]+\.(?:py|c|h|rs|go|cc|cpp|S)):(?P<line>\d+)")


def _physical(site: str | None, source: str | None = None, line: int = 0) -> dict | None:
    """A physicalLocation for a site string, else the trace file and line (replay), else None."""
    fr = parse(site)
    uri, start, snippet = None, 0, None
    if fr is not None and fr.file and not fr.file.startswith("<"):
        uri, start, snippet = fr.file, fr.line, fr.src
    elif site:
        m = _FILE_LINE.search(site)
        if m:
            uri, start = m["file"], int(m["line"])
    if uri is None and source and source != "-":
        uri, start = source, line
    if uri is None:
        return None
    loc: dict[str, Any] = {"artifactLocation": {"uri": uri.replace("\\", "/")}}
    if not uri.startswith("/"):
        loc["artifactLocation"]["uriBaseId"] = "%SRCROOT%"
    else:
        loc["artifactLocation"]["uri"] = "file://" + uri
    if start > 0:
        loc["region"] = {"startLine": start}
        if snippet:
            loc["region"]["snippet"] = {"text": snippet}
    return loc


def fingerprint(f: Finding) -> str:
    """Kind and classes, rotated to a canonical start for a cycle: stable across runs and line moves."""
    classes = list(f.classes)
    if f.kind == F.CIRCULAR and classes:
        k = classes.index(min(classes))
        classes = classes[k:] + classes[:k]
    elif f.kind in (F.HELD_AT_EXIT, F.HELD_AT_FORK):
        classes = sorted(classes)
    return hashlib.sha256("\x1f".join([f.kind, *classes]).encode()).hexdigest()[:32]


def _primary_site(f: Finding) -> tuple[str | None, list[str] | None]:
    d = f.details
    acq = d.get("acquiring") if isinstance(d.get("acquiring"), dict) else {}
    return d.get("site") or acq.get("site"), d.get("stack")


def _related(f: Finding, source: str | None) -> list[dict]:
    d = f.details
    out: list[tuple[str | None, str, int]] = []
    hold = d.get("holding") if isinstance(d.get("holding"), dict) else None
    if hold:
        out.append((hold.get("site"), f"{hold.get('class')} is held here", hold.get("line", 0)))
    for e in d.get("chain") or []:
        w = e.get("witness") or {}
        if w.get("site"):
            out.append((headline(w["site"], w.get("stack"))[0].text, f"{w.get('task')} takes {e.get('to')} "
                        f"while holding {e.get('from')}", w.get("line", 0)))
        if w.get("prev_site"):
            out.append((w["prev_site"], f"{e.get('from')} taken by {w.get('task')}", w.get("prev_line", 0)))
    reg = d.get("registered")
    if isinstance(reg, dict) and reg.get("site"):
        out.append((headline(reg["site"], reg.get("stack"))[0].text, f"{f.classes[0]} also taken here",
                    reg.get("line", 0)))
    result = []
    for site, text, line in out:
        loc = _physical(site, source, line)
        if loc is not None:
            result.append({"id": len(result) + 1, "physicalLocation": loc, "message": {"text": text}})
    return result


def _message(f: Finding) -> str:
    names = f.classes
    if f.kind == F.CIRCULAR:
        head = "Possible deadlock: " + " -> ".join(names + names[:1])
    else:
        head = f"{RULES.get(f.kind, (f.kind, f.kind, ''))[1]}: {', '.join(names)}"
    if f.task:
        head += f" (thread {f.task})"
    who = found_by(f.details)
    if who:
        head += f" [found by {who}]"
    return f"{head}. Fix: {advice(f)}"


def result(f: Finding, source: str | None = None) -> dict:
    rule_ids = list(RULES)
    site, stack = _primary_site(f)
    top = headline(site, stack)[0]
    loc = _physical(top.text if top else site, source, f.line)
    r: dict[str, Any] = {
        "ruleId": f.kind,
        "ruleIndex": rule_ids.index(f.kind) if f.kind in RULES else 0,
        "level": RULES.get(f.kind, ("", "", "warning"))[2],
        "message": {"text": _message(f)},
        "locations": [{"physicalLocation": loc}] if loc else [],
        "partialFingerprints": {"lockdepFinding/v1": fingerprint(f)},
        "properties": {"classes": list(f.classes), "task": f.task, "count": getattr(f, "count", 1),
                       "threads": list(getattr(f, "tasks", None) or ([f.task] if f.task else [])),
                       # a finding of another process of the session: which one
                       **{k: f.details[k] for k in ("pid", "argv", "learned_in") if f.details.get(k)}},
    }
    related = _related(f, source)
    if related:
        r["relatedLocations"] = related
    return r


def log(findings: list[Finding], source: str | None = None) -> dict:
    rules = [{"id": kind, "name": name, "shortDescription": {"text": short},
              "fullDescription": {"text": short + " (lockdep finding kind " + kind + ")."},
              "defaultConfiguration": {"level": level},
              "help": {"text": "lockdep reports this before the deadlock happens: see the finding's message for "
                               "the fix."}}
             for kind, (name, short, level) in RULES.items()]
    return {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "lockdep", "version": __version__, "semanticVersion": __version__,
                                "rules": rules}},
            "originalUriBaseIds": {"%SRCROOT%": {"description": {"text": "the directory lockdep ran in"}}},
            "results": [result(f, source) for f in findings],
        }],
    }


def dumps(findings: list[Finding], source: str | None = None) -> str:
    return json.dumps(log(findings, source), indent=1) + "\n"
