"""The one error type frontends raise for bad input: printed as one line, exit 2."""

from __future__ import annotations


class InputError(Exception):
    """Bad input: ``file:line: what was wrong``."""

    def __init__(self, source: str, line: int | None, message: str):
        self.source = source
        self.line = line
        self.message = message
        where = f"{source}:{line}" if line else source
        super().__init__(f"{where}: {message}")
