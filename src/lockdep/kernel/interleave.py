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

_FRAME = re.compile(r"^(\s*)(?:\[<[0-9a-f]+>\]\s*)?(?:\?\s+)?(?:[\w.$]+\+0x[0-9a-f]+/0x[0-9a-f]+|0x[0-9a-f]+\s*$)")
# lines another report (might_sleep, a WARN, a console dump) prints, never lockdep before "stack backtrace:"
_FOREIGN = re.compile(r"^\s*(?:CPU: \d+ (?:PID|UID)|Hardware name:|Call [Tt]race:|in_atomic\(\): |irq event stamp:|"
                      r"(?:hard|soft)irqs last (?:en|dis)abled at|INFO: lockdep is turned off\.|Modules linked in:|"
                      r"Preemption disabled at:|preempt_count: )")
_CHAIN = re.compile(r"^\s*-> #\d+ ")
_END = re.compile(r"^\s*stack backtrace:")
_SECTION = re.compile(r"^\s*(?:other info that might help us debug this|Chain exists of|Possible unsafe|"
                      r"\*\*\* DEADLOCK|\d+ locks? held by|no locks held by)")


def own_lines(body: list[str]) -> list[str]:
    """``body`` (a circular report from its title on) without the lines interleaved from other output."""
    end = next((j for j, t in enumerate(body) if _END.match(t)), len(body))
    chain_indent = _chain_frame_indent(body[:end])
    out: list[str] = []
    section = "header"
    for j, t in enumerate(body[:end]):
        if _CHAIN.match(t):
            section = "chain"
        elif _SECTION.match(t):
            section = "after"
        elif t.strip() and _foreign(t, section, chain_indent, out[-1] if out else ""):
            continue
        out.append(t)
    return out + body[end:]


def _foreign(t: str, section: str, chain_indent: int | None, prev: str) -> bool:
    if _FOREIGN.match(t):
        return True
    m = _FRAME.match(t)
    if not m:
        return False
    if section == "chain":
        return chain_indent is not None and len(m.group(1)) != chain_indent
    return not prev.rstrip().endswith("at:")  # a class line wrapped after "at:" continues on the next line


def _chain_frame_indent(body: list[str]) -> int | None:
    """The indentation lockdep printed the chain's frames at: the commonest among frames in ``-> #N`` blocks."""
    seen: Counter[int] = Counter()
    inside = False
    for t in body:
        if _CHAIN.match(t):
            inside = True
        elif _SECTION.match(t):
            inside = False
        elif inside:
            m = _FRAME.match(t)
            if m:
                seen[len(m.group(1))] += 1
    return seen.most_common(1)[0][0] if seen else None
