"""Checks on the files a command is given, made before any work: an output path
that cannot be written, or an input that is empty or binary, is one
``InputError`` naming the path (one line, exit status 2)."""

from __future__ import annotations

import gzip
import os

from .errors import InputError

_SNIFF = 8192


def check_writable(path: str | None) -> None:
    """Raise InputError unless ``path`` can be created or overwritten (a file that
    did not exist is removed again)."""
    if not path or path == "-":
        return
    existed = os.path.lexists(path)
    try:
        with open(path, "a", encoding="utf-8"):
            pass
    except OSError as e:
        raise InputError(path, None, f"cannot write: {e.strerror or e}") from None
    if not existed:
        try:
            os.unlink(path)
        except OSError:
            pass


def head(path: str, size: int = _SNIFF) -> bytes:
    """The first bytes of a file (decompressed if gzip); InputError if unreadable."""
    try:
        with open(path, "rb") as f:
            data = f.read(size)
            if data[:2] == b"\x1f\x8b":
                f.seek(0)
                with gzip.open(f) as g:
                    data = g.read(size)
    except (OSError, EOFError) as e:
        raise InputError(path, None, f"cannot read: {getattr(e, 'strerror', None) or e}") from None
    return data


def check_text(path: str) -> None:
    """Raise InputError if ``path`` (not stdin) is empty or binary rather than text."""
    if path == "-":
        return
    data = head(path)
    if not data.strip():
        raise InputError(path, None, "empty file (expected kernel log text or a trace)")
    if b"\x00" in data:
        raise InputError(path, None, "binary file (expected kernel log text or a trace)")


def write_text(path: str, text: str) -> None:
    """Write an output file; InputError (one line naming the path) if it cannot be."""
    try:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
    except OSError as e:
        raise InputError(path, None, f"cannot write: {e.strerror or e}") from None
