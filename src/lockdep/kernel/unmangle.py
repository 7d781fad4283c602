"""Undo what mail, loggers and bug trackers do to a kernel report before the parser sees it.

In the order the mangling was applied (outermost first):

1. container: quoted-printable bodies decoded (soft line breaks joined), CRs
   left at line ends (``splat.split_lines`` reads CR CR LF as one line end),
   markdown code fences, rsyslog ``#012`` newline escapes;
2. mail quoting: ``>``, ``>>``, ``> >``, ``>>  >`` of any depth and mix;
3. log prefixes, repeatedly: syslog / ISO-date ``host kernel:``, journalctl,
   ``dmesg -x`` facility/level (``kern  :warn  :``), printk levels ``<4>``,
   timestamps (blanked ``[ ]`` and ``[    2.05 ]`` too), caller ids
   ``[ T123]`` / ``[T75672]`` / ``[ C1]``, and a shell prompt or kselftest
   ``#`` glued before them (2 and 3 are one regex pass over the whole text);
4. pointers: ``(____ptrval____)`` before a class name is dropped;
5. in mail, lines a mailer wrapped are joined back (``_rejoin_rewrapped``).

Each output line keeps the number of the input line it came from and its
caller id (``T123``/``C1``), which the reader uses to drop lines of other
tasks and CPUs interleaved into a report.  Where a class name or usage string
is still open at the end of a line (printk continuation, a wrap inside
brackets), the reader joins the next line too (``rejoin``).
"""

from __future__ import annotations

import quopri
import re
from dataclasses import dataclass
from typing import Iterable

_QP_HEADER = re.compile(r"^Content-Transfer-Encoding:\s*quoted-printable\s*$", re.I)
_FENCE = re.compile(r"^\s*(?:```|~~~)[\w-]*\s*$")
_OTHER_PREFIX = (
    r"(?:[A-Z][a-z]{2}[ \t]+\d+[ \t]+[\d:]+|\d{4}-\d\d-\d\dT[\d:.]+(?:[+-]\d\d:?\d\d|Z)?)[ \t]+\S+[ \t]+kernel:(?: |$)"  # syslog
    r"|kernel:(?: |$)"
    r"|kern[ \t]*:[ \t]*[a-z]+[ \t]*:(?: |$)"  # dmesg -x
    r"|<\d>"  # printk level
    r"|\[[ \t]*(?:\d+\.\d+)?[ \t]*\](?: ?)"  # timestamp, blanked timestamp
)
_GLUE = r"(?:\S*[@:~]\S*[#$]|#|(?:not )?ok \d+ [^\[\n]*?)[ \t]+(?=<\d>|\[[ \t]*\d+\.\d+\]|\[[ \t]*[TC]\d+\])"
# per line: quote markers, a glued prompt, then any run of prefixes (each may follow blanks, as in an indented
# quote). Removed in one pass over the whole text (a constant replacement stays in C).
_HEAD = re.compile(rf"^(?:(?:[ \t]{{0,3}}>)+ ?)?(?:{_GLUE})?(?:[ \t]*(?:{_OTHER_PREFIX}|\[[ \t]*[TC]\d+\] ?))*",
                   re.M)
_ADDRESS_ONLY = re.compile(r"^\s*(?:#\d+:\s*)?[0-9a-f]{8,16}$")
_PTRVAL = re.compile(r"\(____ptrval____\)\s?")
_CID = re.compile(r"\[[ \t]*([TC]\d+)\]")
_TRAILING = re.compile(r"[ \t]+$", re.M)


@dataclass
class Unmangled:
    """The clean text of each line, the input line number it came from, and its caller id (T123 / C1) or None."""

    texts: list[str]
    numbers: list[int]
    cids: list[str | None]


def _decode_qp(lines: list[str]) -> list[tuple[str, int]]:
    """Join quoted-printable soft breaks (``=`` at the end) and decode ``=3D`` escapes."""
    out: list[tuple[str, int]] = []
    buf: list[str] = []
    start = 0
    for i, x in enumerate(lines, 1):
        if not buf:
            start = i
        if x.endswith("=") and not x.endswith("=="):
            buf.append(x[:-1])
            continue
        buf.append(x)
        raw = "".join(buf)
        buf = []
        if "=" in raw:
            raw = quopri.decodestring(raw.encode("utf-8", "surrogateescape")).decode("utf-8", "replace")
        out.append((raw, start))
    if buf:
        out.append(("".join(buf), start))
    return out


def is_quoted_printable(lines: list[str]) -> bool:
    head = lines[:200]
    return any(_QP_HEADER.match(x) for x in head) or sum(x.count("=3D") for x in lines[:2000]) >= 4


def unmangle(lines: Iterable[str]) -> Unmangled:
    raw = [x.rstrip("\r\n").replace("\r", "") for x in lines]
    if is_quoted_printable(raw):
        decoded = _decode_qp(raw)
        raw = [t for t, _ in decoded]
        numbers = [n for _, n in decoded]
    else:
        numbers = list(range(1, len(raw) + 1))
    text = "\n".join(raw)
    if "____ptrval____" in text:
        text = _PTRVAL.sub("", text)
    text = _TRAILING.sub("", _HEAD.sub("", text))
    texts = text.split("\n")
    cids: list[str | None] = [None] * len(texts)
    if _CID.search(text) or _CID.search("\n".join(raw[:200])):
        for i, r in enumerate(raw):
            m = _CID.search(r, 0, 100)
            if m:
                cids[i] = m.group(1)
    if _MAIL.search(text[:20000]):
        keep = _rejoin_rewrapped(raw, texts)
        if not all(keep):
            texts = [t for t, k in zip(texts, keep) if k]
            numbers = [n for n, k in zip(numbers, keep) if k]
            cids = [c for c, k in zip(cids, keep) if k]
    if "```" in text or "~~~" in text:
        texts = ["" if _FENCE.match(t) else t for t in texts]
    if "#012" in text:  # rsyslog escaped the newlines of one printk
        out = Unmangled([], [], [])
        for t, n, c in zip(texts, numbers, cids):
            for part in t.split("#012"):
                out.texts.append(part)
                out.numbers.append(n)
                out.cids.append(c)
        return out
    return Unmangled(texts, numbers, cids)


_MAIL = re.compile(r"^(?:>|From: |Subject: |Date: |On .* wrote:$)", re.M)
# words that begin a line of a report: such a line is not the tail of a re-wrapped one
_OWN_LINE = re.compile(r"^(?:but (?:task|this|now) |which lock |the existing |-> |other info |Chain |Possible|CPU|Hardware|Call |stack |[=*\[<>-]|[0-9]+ locks? |[0-9]+\.[0-9]+[\w.+~-]* #|"
                       r"no locks |WARNING|BUG|INFO|DEPT|Dept|context(?: \w+$|-\{)|summary$|irq event|hardirqs|softirqs|"
                       r"[A-Z][a-z]+ [a-z]+ [a-z]+ )")


_NARROWEST_WRAP = 60  # a mailer wraps when the next word would pass its width (72-80 columns, rarely less)
_TITLE_HEADS = ("WARNING:", "BUG:", "INFO:", "DEPT:")
_RULE_LINE = re.compile(r"^\s*(?:-+|=+)$")
_HELD_HEAD = re.compile(r"^\s*#\d+:$")


def _rejoin_rewrapped(raw: list[str], texts: list[str]) -> list[bool]:
    """A mailer wrapped a long line at 72-80 columns: its tail sits at column 0 of the next line, without the
    quote markers and prefixes the line had, and its first word would not have fit. Join such tails back onto their line (in place); returns which
    lines remain (a joined tail does not)."""
    keep = [True] * len(texts)
    prev = -1
    for i in range(len(texts)):
        t = texts[i]
        if prev >= 0 and t and t == raw[i] and not t[0].isspace() and \
                len(raw[prev]) + 1 + len(t.split(" ", 1)[0]) > _NARROWEST_WRAP and \
                texts[prev].strip() and not _OWN_LINE.match(t) and not _RULE_LINE.match(texts[prev]) and \
                (not texts[prev].endswith((":", ".", "!")) or texts[prev].endswith(_TITLE_HEADS) or
                 _HELD_HEAD.match(texts[prev])):
            p = texts[prev]
            texts[prev] = p + t if p.endswith(("-", "(")) or t[0] in "{)" else f"{p} {t}"
            keep[i] = False
            continue
        prev = i
    return keep


def rejoin(lines: list[str], j: int) -> str:
    """Line ``j`` with the continuation lines a mailer broke off it, while a parenthesis is still open.

    ``ffff888100e02a78 (&(&priv->bus_no`` + ``tifier)->rwsem){++++}-`` + ``{3:3}, at: ...``
    """
    text = lines[j]
    k = j + 1
    while k < len(lines) and k <= j + 3 and (text.count("(") > text.count(")") or text.endswith("}-") or
                                             _ADDRESS_ONLY.match(text)):
        nxt = lines[k]
        if not nxt.strip() or nxt.startswith((" ", "\t")):
            break
        text += nxt
        k += 1
    return text
