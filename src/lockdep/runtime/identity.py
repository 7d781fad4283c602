"""A short identity for one lock instance, for reports that compare two instances of
one class: the attribute that holds it and its owner's type and address
(``Account.lock of <Account at 0x7f...>``), found only when a report needs it."""

from __future__ import annotations

import gc
from typing import Any


def instance_str(lock: Any) -> str:
    owner = _owner(lock)
    if owner is not None:
        obj, attr = owner
        return f"{type(obj).__qualname__}.{attr} of <{type(obj).__qualname__} at {id(obj):#x}>"
    return f"<{type(lock).__name__} at {id(lock):#x}>"


def _owner(lock: Any) -> tuple[Any, str] | None:
    """The object that has ``lock`` as an attribute, if any (its ``__dict__`` refers to it,
    or the object itself with its inline attribute values, 3.11+)."""
    for ref in gc.get_referrers(lock):
        if type(ref) is dict:
            if "__builtins__" in ref:  # a module's globals
                continue
            owners = [obj for obj in gc.get_referrers(ref) if getattr(obj, "__dict__", None) is ref]
        else:
            owners = [ref]
        for obj in owners:
            attrs = getattr(obj, "__dict__", None)
            if type(attrs) is not dict:
                continue
            attr = next((k for k, v in attrs.items() if v is lock and isinstance(k, str)), None)
            if attr is not None:
                return obj, attr
    return None
