"""Text reports on a stream: coloured with rich on a terminal (headings, lock
classes, the user's frames), plain when piped or when NO_COLOR is set."""

from __future__ import annotations

import os
import re
from typing import IO, Iterable

from ..engine.findings import Finding
from . import render_text

_USER_FRAME = re.compile(r"^\s+(at|called from) (?!<frozen)\S+\.py:\d+")
_HEADINGS = ("WARNING:", "lockdep: ", "How it can deadlock:", "but the opposite order", "and this chain already",
             "Locks held by", "the existing dependency chain", "other info that might help")


def _styled(f: Finding, text: str):
    from rich.text import Text

    out = Text()
    for line in text.splitlines(keepends=True):
        style = None
        if line.startswith(("WARNING:", "lockdep: ")):
            style = "bold red"
        elif line.startswith(("Fix:", "what to do:")):
            style = "bold green"
        elif line.startswith(_HEADINGS):
            style = "bold"
        elif _USER_FRAME.match(line):
            style = "cyan"
        out.append(line, style=style)
    out.highlight_words([c for c in f.classes if len(c) > 2], style="bold magenta")
    return out


def wants_colour(stream: IO[str]) -> bool:
    """A terminal, and NO_COLOR not set (FORCE_COLOR forces colour, as rich reads it)."""
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


def print_findings(findings: Iterable[Finding], stream: IO[str], style: str | None = None) -> None:
    """Each finding's report, in its style; coloured only on a terminal (rich is imported only then)."""
    colour = wants_colour(stream)
    for f in findings:
        text = render_text(f, style)
        stream.write(ansi(f, text) if colour else text)
    stream.flush()


def ansi(f: Finding, text: str) -> str:
    """``text`` with the colours of a terminal (for writers that pass escape codes through, like pytest's)."""
    import io

    from rich.console import Console

    buf = io.StringIO()
    Console(file=buf, force_terminal=True, highlight=False, soft_wrap=True, emoji=False).print(_styled(f, text), end="")
    return buf.getvalue()
