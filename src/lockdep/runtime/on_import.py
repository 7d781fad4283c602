"""Post-import hooks: run a callback once a module has been imported, now or later,
and optionally run the import itself inside a context manager.

The runtime patches ``asyncio.Lock`` this way, so that a program that never
imports asyncio does not pay for it at start-up (about 20 ms: ssl, sockets,
subprocess, ...).
"""

from __future__ import annotations

import sys
from typing import Any, Callable, ContextManager

_pending: dict[str, list[Callable[[Any], None]]] = {}
_during: dict[str, Callable[[], ContextManager]] = {}


def when_imported(name: str, callback: Callable[[Any], None],
                  during: Callable[[], ContextManager] | None = None) -> None:
    """Call ``callback(module)`` as soon as module ``name`` has finished executing
    (at once if it already has); if it has not, execute it inside ``during()``."""
    module = sys.modules.get(name)
    if module is not None and not _initializing(module):
        callback(module)
        return
    _pending.setdefault(name, []).append(callback)
    if during is not None:
        _during[name] = during
    if _FINDER not in sys.meta_path:
        sys.meta_path.insert(0, _FINDER)


def _initializing(module: Any) -> bool:
    spec = getattr(module, "__spec__", None)
    return bool(getattr(spec, "_initializing", False))


class _Finder:
    """Finds nothing itself: asks the finders after it for a module with callbacks pending
    and wraps its loader's ``exec_module`` (each source module has its own loader)."""

    def find_spec(self, name: str, path: Any = None, target: Any = None) -> Any:
        if name not in _pending:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or isinstance(loader, type) or not hasattr(loader, "exec_module"):
            return spec  # a frozen or built-in module (a class as loader): cannot be wrapped per module
        exec_module = loader.exec_module

        def exec_then_call(module: Any) -> None:
            during = _during.pop(name, None)
            if during is None:
                exec_module(module)
            else:
                with during():
                    exec_module(module)
            callbacks = _pending.pop(name, [])
            if not _pending and _FINDER in sys.meta_path:
                sys.meta_path.remove(_FINDER)
            for callback in callbacks:
                callback(module)

        loader.exec_module = exec_then_call
        return spec


_FINDER = _Finder()
