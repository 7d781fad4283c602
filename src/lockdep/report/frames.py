"""Python frames as the runtime writes them (``file:line Qual.func(): source``):
parsed, sorted into the user's and the machinery's (lockdep, runpy,
threading's bootstrap, pytest/pluggy), and collapsed for reading.

Sites are plain strings in findings (they may come from a trace file written
by another process), so everything here works on text and tolerates strings
of any other shape: those are kept as they are, as user frames.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass

_FRAME = re.compile(r"^(?P<file>[^\s:][^:]*?\.py|<[^>]+>):(?P<line>\d+)"  # file:line
                    r"(?: (?P<func>[^\s:]+?)(?:\(\))?)?(?:: (?P<src>.*))?$")  # Qual.func(): source
_PY_SITE = re.compile(r"\.py:\d+")

#: machinery frames, collapsed into "... N frames in GROUP"
_GROUPS = (
    ("lockdep", re.compile(r"(^|[/\\])lockdep[/\\](?!tests?[/\\]|examples?[/\\])")),
    ("pytest", re.compile(r"(^|[/\\])(_pytest|pytest|pluggy)([/\\]|\.py$)")),
    ("runpy", re.compile(r"(^|[/\\])runpy\.py$|^<frozen runpy>$")),
    ("threading", re.compile(r"(^|[/\\])threading\.py$")),
)


@dataclass(frozen=True)
class Frame:
    text: str
    file: str | None = None
    line: int = 0
    func: str | None = None
    src: str | None = None

    @property
    def group(self) -> str | None:
        """The machinery this frame belongs to (collapsed), or None for the user's code."""
        if self.file is None:
            return None
        for name, pattern in _GROUPS:
            if pattern.search(self.file):
                return name
        return None

    @property
    def stdlib(self) -> bool:
        """A frame of the standard library (as the runtime shortens its paths: ``logging/__init__.py``)."""
        if self.file is None or self.file.startswith("<"):
            return self.file == "<frozen runpy>"
        path = self.file.replace("\\", "/")
        if "site-packages/" in path or "dist-packages/" in path:
            return False
        if path.startswith("/"):
            return "/lib/python3" in path
        top = path.split("/", 1)[0].removesuffix(".py")
        return top in sys.stdlib_module_names

    @property
    def user(self) -> bool:
        return self.group is None and not self.stdlib

    @property
    def where(self) -> str:
        """``file:line in func`` (or the raw text for a string of another shape)."""
        if self.file is None:
            return self.text
        return f"{self.file}:{self.line}" + (f" in {self.func}" if self.func else "")


def parse(text: str | None) -> Frame | None:
    if not text or text == "?":
        return None
    m = _FRAME.match(text)
    if m is None:
        return Frame(text)
    return Frame(text, m["file"], int(m["line"]), m["func"], m["src"])


def parse_stack(stack: list[str] | None) -> list[Frame]:
    return [fr for fr in map(parse, stack or []) if fr is not None]


def is_python_site(text: str | None) -> bool:
    return bool(text) and _PY_SITE.search(text) is not None


def headline(site: str | None, stack: list[str] | None) -> tuple[Frame | None, Frame | None]:
    """(the frame to show as "where", the stdlib frame it led to, if any).

    When the acquisition happens inside the standard library (``logging``'s
    ``Handler.acquire``), the user's call that led there is the headline."""
    at = parse(site)
    frames = parse_stack(stack)
    if at is None and frames:
        at = frames[0]
    if at is None or at.user:
        return at, None
    for fr in frames:
        if fr.user:
            return fr, at
    return at, None


def collapse(frames: list[Frame], skip: Frame | None = None, limit: int = 8) -> list[Frame | str]:
    """The frames to print, innermost first: each run of machinery frames becomes one
    line ("... 23 frames in pytest", "... 1 frame in threading, 5 in runpy");
    ``skip`` (the headline, printed already) is left out."""
    out: list[Frame | str] = []
    run: list[list] = []  # [group, count] in order
    shown = 0

    def flush() -> None:
        if run:
            parts = [f"{n} frame{'s' if n != 1 else ''} in {g}" if i == 0 else f"{n} in {g}"
                     for i, (g, n) in enumerate(run)]
            out.append("... " + ", ".join(parts))
            run.clear()

    for fr in frames:
        if skip is not None and fr.text == skip.text:
            skip = None
            continue
        g = fr.group or ("the standard library" if fr.stdlib else None)
        if g is not None:
            if run and run[-1][0] == g:
                run[-1][1] += 1
            else:
                run.append([g, 1])
            continue
        flush()
        if shown == limit:
            out.append("...")
            break
        out.append(fr)
        shown += 1
    flush()
    return out
