"""Baseline file (``lockdep-baseline.json``): known findings, like a sanitizer's
suppression file or a linter's baseline.

A finding listed by its fingerprint (kind + classes, fingerprint.py) is
reported as "suppressed (baseline)" and does not fail the run; a new finding
still does.  ``lockdep baseline update`` writes the file from what a run
found, keeping the reasons of the entries that are still found::

    {"version": 1,
     "findings": [{"fingerprint": "5405ff92026005d5", "kind": "circular_dependency",
                   "classes": ["A", "B"], "reason": "A and B never run at once (#123)"}]}
"""

from __future__ import annotations

import json
import os
import sys
from typing import IO, TYPE_CHECKING, Any

if TYPE_CHECKING:
    import argparse

from .errors import InputError
from .fingerprint import canonical_classes, of

VERSION = 1
DEFAULT = "lockdep-baseline.json"
HELP = ("baseline file of known findings (also LOCKDEP_BASELINE): they are reported as suppressed "
        "and do not fail the run; `lockdep baseline update` writes it")


class Baseline:
    def __init__(self, path: str, entries: dict[str, dict] | None = None):
        self.path = path
        self.entries: dict[str, dict] = entries if entries is not None else {}  # fingerprint -> entry

    @classmethod
    def load(cls, path: str) -> "Baseline":
        try:
            with open(path, encoding="utf-8") as f:
                text = f.read()
        except OSError as e:
            raise InputError(path, None, f"cannot read baseline: {e.strerror}") from None
        try:
            data = json.loads(text)
        except ValueError as e:
            raise InputError(path, getattr(e, "lineno", None), f"baseline is not valid JSON: {e.msg}") from None
        if not isinstance(data, dict) or not isinstance(data.get("findings"), list):
            raise InputError(path, None, 'not a lockdep baseline (expected {"version": 1, "findings": [...]})')
        if data.get("version", VERSION) > VERSION:
            raise InputError(path, None, f"baseline version {data['version']} is newer than this lockdep's")
        entries = {}
        for i, e in enumerate(data["findings"]):
            if not isinstance(e, dict) or not (isinstance(e.get("fingerprint"), str) or
                                               isinstance(e.get("kind"), str) and isinstance(e.get("classes"), list)):
                raise InputError(path, None, f"findings[{i}]: needs a fingerprint (or kind and classes)")
            fp = e.get("fingerprint") or of(e)
            entries[fp] = e
        return cls(path, entries)

    def split(self, findings: list) -> tuple[list, list[tuple[Any, dict]]]:
        """(new findings, [(suppressed finding, its baseline entry)])"""
        new, suppressed = [], []
        for f in findings:
            e = self.entries.get(of(f))
            if e is None:
                new.append(f)
            else:
                suppressed.append((f, e))
        return new, suppressed


def entry(f: Any, reason: str | None = None) -> dict:
    d = f if isinstance(f, dict) else f.to_dict()
    out = {"fingerprint": of(d), "kind": d["kind"], "classes": canonical_classes(d["kind"], d["classes"])}
    if reason:
        out["reason"] = reason
    return out


def write(path: str, findings: list, old: Baseline | None = None) -> int:
    """Write the baseline of ``findings`` (reasons of entries still found are kept); returns the count."""
    entries: dict[str, dict] = {}
    for f in findings:
        e = entry(f)
        if old is not None and e["fingerprint"] in old.entries and old.entries[e["fingerprint"]].get("reason"):
            e["reason"] = old.entries[e["fingerprint"]]["reason"]
        entries.setdefault(e["fingerprint"], e)
    data = {"version": VERSION, "findings": sorted(entries.values(), key=lambda e: (e["kind"], e["classes"]))}
    try:
        with open(path, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1)
            f.write("\n")
    except OSError as e:
        raise InputError(path, None, f"cannot write baseline: {e.strerror}") from None
    return len(entries)


# ------------------------------------------------------------ entry points
def add_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--baseline", metavar="FILE", default=None, help=HELP)


def from_args(args: Any = None) -> Baseline | None:
    path = getattr(args, "baseline", None) or os.environ.get("LOCKDEP_BASELINE") or None
    return Baseline.load(path) if path else None


def describe(f: Any, e: dict) -> str:
    d = f if isinstance(f, dict) else {"kind": f.kind, "classes": f.classes}
    reason = f" -- {e['reason']}" if e.get("reason") else ""
    return f"suppressed (baseline): {d['kind']}: {' --> '.join(d['classes'])}{reason}"


def print_suppressed(suppressed: list, out: IO[str] | None = None) -> None:
    for f, e in suppressed:
        print(f"lockdep: {describe(f, e)}", file=out or sys.stdout)


def suppressed_json(suppressed: list) -> list[dict]:
    return [{**(f if isinstance(f, dict) else f.to_dict()), "suppressed": "baseline",
             "baseline_reason": e.get("reason")} for f, e in suppressed]


# ----------------------------------------------------- lockdep baseline update
UPDATE_HELP = ("write the baseline file from what a run found (replay, run, splat or loops --json output, a --db "
               "store, or trace files)")


def add_parser(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("baseline", help="manage the baseline file of known findings")
    bsub = p.add_subparsers(dest="baseline_command", metavar="ACTION", required=True)
    u = bsub.add_parser("update", help=UPDATE_HELP, description=UPDATE_HELP)
    u.add_argument("sources", nargs="+", metavar="SOURCE",
                   help="findings JSON (--json output), a lockdep store (--db), or trace files to replay")
    u.add_argument("-o", "--baseline", default=DEFAULT, metavar="FILE", help=f"baseline to write (default {DEFAULT})")
    u.set_defaults(func=cmd_update)


def findings_of(path: str) -> list[dict]:
    """Findings in a --json output, a store, or (replayed) a trace file."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError as e:
        raise InputError(path, None, f"cannot read: {e.strerror}") from None
    if head == b"SQLite format 3\x00":
        from .store import Store

        return [row["finding"] for row in Store(path, writable=False).findings()]
    if head.lstrip()[:1] == b"{":
        try:
            with open(path, encoding="utf-8") as f:
                data = json.load(f)
        except ValueError:
            data = None  # JSON Lines: a trace
        if isinstance(data, dict):
            known = data.get("suppressed") if isinstance(data.get("suppressed"), list) else []  # still found
            for key in ("findings", "reports"):  # replay/run --json; splat --json
                if isinstance(data.get(key), list):
                    return data[key] + known
            if isinstance(data.get("cycles"), list) and isinstance(data.get("cuts"), list):  # loops --json
                return [{"kind": "circular_dependency", "classes": c["classes"]} for c in data["cycles"]] + known
            raise InputError(path, None, 'expected {"findings": [...]} (replay or run --json), '
                                         '{"reports": [...]} (splat --json) or {"cycles": [...]} (loops --json)')
    from .engine import Validator
    from .trace.reader import replay

    return [f.to_dict() for f in replay([path], Validator()).findings]


def cmd_update(args: argparse.Namespace) -> int:
    findings = [f for src in args.sources for f in findings_of(src)]
    old = Baseline.load(args.baseline) if os.path.exists(args.baseline) else None
    n = write(args.baseline, findings, old)
    print(f"{args.baseline}: {n} known finding{'s' if n != 1 else ''}")
    return 0
