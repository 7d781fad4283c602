"""``Record``: the base of the engine's data classes.  Equality and repr by the
fields named once in ``_fields``, as a dataclass has, without the dataclasses
module: it imports ``inspect``, about 8 ms of every checked program's start-up."""

from __future__ import annotations

from typing import Any


class Record:
    __slots__ = ()
    _fields: tuple[str, ...] = ()
    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    def __eq__(self, other: Any) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f) == getattr(other, f) for f in self._fields)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{f}={getattr(self, f)!r}' for f in self._fields)})"
