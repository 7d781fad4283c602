"""RESULTS.md of the precision harness, from results/<label>.json and the hand-written verdicts.json."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

LABELS = ("baseline", "current")


def finding_key(suite: str, f: dict) -> str:
    """Suite, kind and classes; a thread's number is left out (Thread-82 and Thread-83 are judged alike)."""
    classes = sorted({re.sub(r"-\d+\b", "-N", c) if c.startswith("(thread)") else c for c in f["classes"]})
    return f"{suite}|{f['kind']}|{' + '.join(classes)}"


def load_verdicts(path: Path) -> dict[str, dict]:
    if not path.exists():
        return {}
    return {v["key"]: v for v in json.loads(path.read_text())}


def counts(outcomes: dict[str, str]) -> str:
    c = Counter(outcomes.values())
    parts = [f"{c[k]} {k}" for k in ("passed", "failed", "error", "skipped") if c[k]]
    return ", ".join(parts) or "no result"


def verdict_of(verdicts: dict[str, dict], suite: str, f: dict) -> dict:
    return verdicts.get(finding_key(suite, f), {"verdict": "unjudged", "cause": "", "note": ""})


def short_site(site: str | None) -> str:
    if not site:
        return "?"
    return site.split("site-packages/")[-1]


def acquisition_sites(f: dict) -> list[str]:
    """Where the finding's locks were taken or waited for: the new acquisition, the lock held, the chain's witnesses."""
    sites = [(f.get(k) or {}).get("site") for k in ("acquiring", "holding")]
    for link in f.get("chain") or []:
        w = link.get("witness") or {}
        sites += [w.get("prev_site"), w.get("site")]
    out: list[str] = []
    for s in map(short_site, filter(None, sites)):
        if s not in out:
            out.append(s)
    return out


def md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def summary_table(data: dict, verdicts: dict[str, dict]) -> list[str]:
    lines = ["| suite | release | plain | under lockdep | changed results | hang or crash | wall plain s "
             "| wall lockdep s | ratio | findings | false | real | unjudged |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for name, s in data["suites"].items():
        plain, ld = s["plain"], s["lockdep"]
        v = Counter(verdict_of(verdicts, name, f)["verdict"] for f in ld["findings"])
        ratio = ld["wall"] / plain["wall"] if plain["wall"] else 0
        runs = (("plain", plain), ("lockdep", ld))
        hang = ", ".join(f"{t} hung" if r["hung"] else f"{t} exit {r['rc']}" for t, r in runs
                         if r["hung"] or r["rc"] not in (0, 1)) or "no"
        lines.append(f"| {name} | {s['requirement']} | {counts(plain['outcomes'])} | {counts(ld['outcomes'])} "
                     f"| {len(s['changed'])} | {hang} | {plain['wall']:.1f} | {ld['wall']:.1f} | {ratio:.2f}x "
                     f"| {len(ld['findings'])} | {v['false']} | {v['real']} | {v['unjudged']} |")
    return lines


def findings_section(data: dict, verdicts: dict[str, dict]) -> list[str]:
    lines: list[str] = []
    for name, s in data["suites"].items():
        ld = s["lockdep"]
        lines += ["", f"#### {name} ({len(ld['findings'])} findings)"]
        if s["changed"]:
            lines.append("")
            lines.append("Tests whose result changed under lockdep (plain -> lockdep):")
            lost = [t for t, (a, b) in s["changed"].items() if b is None]
            if lost:
                lines.append(f"- {len(lost)} tests have no result under lockdep: the run stopped early")
            for t, (a, b) in s["changed"].items():
                why = verdicts.get(f"{name}|changed|{t}")
                if b is not None or why:
                    lines.append(f"- `{t}`: {a} -> {b}" + (f": {why['note']}" if why else "")
                                 + (f" ([repro]({why['repro']}))" if why and why.get("repro") else ""))
        for tag, r in (("plain", s["plain"]), ("lockdep", ld)):
            if r["hung"]:
                why = verdicts.get(f"{name}|hang|{tag}")
                lines.append(f"- the {tag} run hung (stopped by the time limit; every thread's stack is in its log)"
                             + (f": {why['note']}" if why else "")
                             + (f" ([repro]({why['repro']}))" if why and why.get("repro") else ""))
        if not ld["findings"]:
            continue
        lines += ["", "| # | kind | classes (creation sites) | acquired at | test | verdict | cause / reason |",
                  "|---|---|---|---|---|---|---|"]
        for i, f in enumerate(ld["findings"], 1):
            v = verdict_of(verdicts, name, f)
            classes = "<br>".join(f"`{c}` ({short_site(site)})" for c, site in zip(f["classes"], f.get("sites") or []))
            cause = v["cause"] + (f": {v['note']}" if v.get("note") else "")
            if v.get("repro"):
                cause += f" ([repro]({v['repro']}))"
            lines.append(f"| {i} | {f['kind']} | {md(classes)} | {md('<br>'.join(acquisition_sites(f)) or '-')} "
                         f"| `{md(f.get('test', '?'))}` | {v['verdict']} | {md(cause)} |")
    return lines


def comparison_table(all_data: dict[str, dict], verdicts: dict[str, dict]) -> list[str]:
    """One row per suite: findings and changed test results under each label."""
    labels = list(all_data)
    names = sorted({n for d in all_data.values() for n in d["suites"]})
    head = " | ".join(f"{label} findings (false/real/unjudged) | {label} changed results" for label in labels)
    lines = [f"| suite | {head} |", "|---|" + "---|---|" * len(labels)]
    for n in names:
        cells = []
        for label in labels:
            s = all_data[label]["suites"].get(n)
            if s is None:
                cells += ["not run", "-"]
                continue
            v = Counter(verdict_of(verdicts, n, f)["verdict"] for f in s["lockdep"]["findings"])
            hung = " (hang)" if s["lockdep"]["hung"] or s["plain"]["hung"] else ""
            cells += [f"{len(s['lockdep']['findings'])} ({v['false']}/{v['real']}/{v['unjudged']})",
                      f"{len(s['changed'])}{hung}"]
        lines.append(f"| {n} | " + " | ".join(cells) + " |")
    return lines


def cause_table(all_data: dict[str, dict], verdicts: dict[str, dict]) -> list[str]:
    per: dict[str, Counter] = {}
    for label, data in all_data.items():
        c: Counter = Counter()
        for name, s in data["suites"].items():
            for f in s["lockdep"]["findings"]:
                v = verdict_of(verdicts, name, f)
                c[v["cause"] if v["verdict"] == "false" else v["verdict"]] += 1
        per[label] = c
    causes = sorted({k for c in per.values() for k in c})
    lines = ["| cause | " + " | ".join(per) + " |", "|---|" + "---|" * len(per)]
    lines += [f"| {k} | " + " | ".join(str(per[label][k]) for label in per) + " |" for k in causes]
    return lines


def write_results(results_dir: Path, verdicts_path: Path, out: Path) -> None:
    verdicts = load_verdicts(verdicts_path)
    all_data = {}
    found = sorted(p.stem for p in results_dir.glob("*.json"))
    for label in [*(x for x in LABELS if x in found), *(x for x in found if x not in LABELS)]:
        all_data[label] = json.loads((results_dir / f"{label}.json").read_text())
    header = results_dir.parent / "HEADER.md"
    head = header.read_text() if header.exists() else "# Precision harness\n"
    lines = [head.rstrip(), ""]
    if all_data:
        lines += ["## Summary", ""] + comparison_table(all_data, verdicts)
        lines += ["", "## Findings by verdict and cause", ""] + cause_table(all_data, verdicts)
    bugs = [v for v in verdicts.values() if v["verdict"] == "lockdep bug"]
    if bugs:
        lines += ["", "## Lockdep bugs: tests that change result or hang under lockdep (in some runs)", ""]
        lines += [f"- `{v['key']}` ({v['cause']}): {v['note']}" + (f" ([repro]({v['repro']}))" if v.get("repro") else "")
                  for v in bugs]
    for label, data in all_data.items():
        m = data["meta"]
        lines += ["", f"## {label.capitalize()}: lockdep {m['commit']} ({m['subject']}), {m['date']}, "
                  f"Python {m['python']}, core {m.get('core', 'default (C)')}", ""]
        commits = {s.get("commit") for s in data["suites"].values()}
        if len(commits) > 1:
            lines += ["Suites measured at different commits: " + ", ".join(
                f"{n} at {s.get('commit')}" for n, s in data["suites"].items()), ""]
        lines += summary_table(data, verdicts)
        lines += ["", f"### Every finding ({label})"] + findings_section(data, verdicts)
    out.write_text("\n".join(lines) + "\n")
