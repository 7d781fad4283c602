"""Keep a circular-locking report's own lines when other CPUs' output is interleaved without caller ids.

Caller ids (``[ T123]``) separate tasks when the log has them; without them the
only evidence is the shape of lockdep's own lines, which is rigid before the
``stack backtrace:`` section:

- the header (title .. chain) holds sentences and class lines; a stack frame
  there is foreign, unless it is the tail of a class line wrapped after ``at:``;
- the ``-> #N`` blocks hold frames printed at one indentation: a frame at
  another indentation, or a console line (``CPU: 5 PID: ...``, ``Hardware
  name:``, ``Call trace:``), belongs to another report;
- the unsafe-scenario and held-locks sections hold no bare frames.

The backtrace itself is left as it is (it has no shape of its own to tell).
"""

from __future__ import annotations

import re
from collections import Counter

# One match per line says what it is (the group that matched) and its indentation.
_LINE = re.compile(
    r"(?P<indent>\s*)(?:"
    r"(?P<chain>-> #\d+ )"
    r"|(?P<section>other info that might help us debug this|Chain exists of|Possible unsafe|\*\*\* DEADLOCK|"
    r"\d+ locks? held by|no locks held by)"
    # lines another report (might_sleep, a WARN, a console dump) prints, never lockdep before "stack backtrace:"
    r"|(?P<foreign>CPU: \d+ (?:PID|UID)|Hardware name:|Call [Tt]race:|in_atomic\(\): |irq event stamp:|"
    r"(?:hard|soft)irqs last (?:en|dis)abled at|INFO: lockdep is turned off\.|Modules linked in:|"
    r"Preemption disabled at:|preempt_count: )"
    r"|(?P<frame>(?:\[<[0-9a-f]+>\]\s*)?(?:\?\s+)?(?:[\w.$]+\+0x[0-9a-f]+/0x[0-9a-f]+|0x[0-9a-f]+\s*$))"
    r"|(?P<end>stack backtrace:))?")


def own_lines(body: list[str]) -> list[str]:
    """``body`` (a circular report from its title on) without the lines interleaved from other output."""
    kinds: list[str | None] = []
    indents: list[int] = []
    for t in body:
        m = _LINE.match(t)
        kind = m.lastgroup if m.lastgroup != "indent" else None
        if kind == "end":
            break
        kinds.append(kind)
        indents.append(m.end("indent"))
    chain_indent = _chain_frame_indent(kinds, indents)
    out: list[str] = []
    section = "header"
    prev = ""
    for j, kind in enumerate(kinds):
        t = body[j]
        if kind == "chain":
            section = "chain"
        elif kind == "section":
            section = "after"
        elif kind == "foreign":
            continue
        elif kind == "frame":
            if section == "chain":
                if chain_indent is not None and indents[j] != chain_indent:
                    continue
            elif not prev.rstrip().endswith("at:"):  # a class line wrapped after "at:" goes on below
                continue
        out.append(t)
        if t.strip():
            prev = t
    return out + body[len(kinds):]


def _chain_frame_indent(kinds: list[str | None], indents: list[int]) -> int | None:
    """The indentation lockdep printed the chain's frames at: the commonest among frames in ``-> #N`` blocks."""
    seen: Counter[int] = Counter()
    inside = False
    for kind, indent in zip(kinds, indents):
        if kind == "chain":
            inside = True
        elif kind == "section":
            inside = False
        elif inside and kind == "frame":
            seen[indent] += 1
    return seen.most_common(1)[0][0] if seen else None
