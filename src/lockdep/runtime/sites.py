"""Where things happen in a Python program: cheap call sites, stacks, and
readable class names derived from the line that created a lock.

A *site* is the tuple ``(code, lasti)`` of the calling frame: two attribute
loads on the hot path.  Lines, file names and source text are resolved only
when a report needs them.
"""

from __future__ import annotations

import linecache
import os
import sys
import sysconfig
from types import CodeType, FrameType
from typing import Any

from .naming import naming

_PKG_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

#: stdlib modules whose primitives are built from other primitives: objects
#: created inside them are named after the user code that created the outer one.
_WRAPPER_SUFFIXES = tuple(os.sep + p for p in (
    "threading.py", "queue.py", os.path.join("concurrent", "futures", "_base.py"),
    os.path.join("concurrent", "futures", "thread.py"), os.path.join("concurrent", "futures", "process.py"),
    os.path.join("multiprocessing", "dummy", "__init__.py"), os.path.join("asyncio", "locks.py"),
))

_ASYNCIO_DIR = os.path.join(os.path.dirname(os.path.abspath(os.__file__)), "asyncio") + os.sep  # not imported


def is_ours(filename: str) -> bool:
    return filename.startswith(_PKG_DIR)


def is_wrapper(filename: str) -> bool:
    return filename.endswith(_WRAPPER_SUFFIXES)


def code_line(code: CodeType, lasti: int) -> int:
    for start, end, line in code.co_lines():
        if start <= lasti < end and line is not None:
            return line
    return code.co_firstlineno


def site_str(site: Any) -> str:
    """``file:line function: source`` for a ``(code, lasti)`` site; other sites as str()."""
    if type(site) is tuple and len(site) == 2 and type(site[0]) is CodeType:
        code, lasti = site
        line = code_line(code, lasti)
        src = linecache.getline(code.co_filename, line).strip()
        where = f"{_short(code.co_filename)}:{line} {getattr(code, 'co_qualname', code.co_name)}()"
        return f"{where}: {src}" if src else where
    return str(site)


_STDLIB = sysconfig.get_paths()["stdlib"] + os.sep


def _short(filename: str) -> str:
    if filename.startswith(_STDLIB):
        return filename[len(_STDLIB):]
    try:
        rel = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if rel.startswith("..") else rel


def current_stack(limit: int = 24) -> list[str]:
    """The caller's stack, innermost first, without lockdep's own frames."""
    out = []
    f: FrameType | None = sys._getframe(1)
    while f is not None and len(out) < limit:
        code = f.f_code
        if code.co_name in ("_bootstrap_inner", "_bootstrap") and code.co_filename.endswith("threading.py"):
            break
        if not is_ours(code.co_filename):
            out.append(site_str((code, f.f_lasti)))
        f = f.f_back
    return out


def user_frame(f: FrameType | None) -> FrameType | None:
    """The first frame outside lockdep itself."""
    while f is not None and is_ours(f.f_code.co_filename):
        f = f.f_back
    return f


def _walked_out(filename: str) -> bool:
    """Frames a new primitive is not named after: the stdlib's composite primitives,
    asyncio's machinery (which creates futures and executors for the user's call),
    and lockdep's own hooks between them."""
    return is_wrapper(filename) or filename.startswith(_ASYNCIO_DIR) or is_ours(filename)


def _where(f: FrameType) -> tuple[str, int, int]:
    return f.f_code.co_filename, f.f_lineno, f.f_lasti  # the call, not just the line


def family_key(f: FrameType | None) -> tuple[tuple[str, int, int], ...] | None:
    """For a primitive that a stdlib composite makes for the user (named after the user's line:
    ``Worker.q.mutex``, ``fetch.f._condition``), the constructors it was made in (``Queue.__init__``,
    ``Future.__init__``): the class it is in the stdlib's sense, whichever line made it.  None for
    a primitive the user's own code makes."""
    inits: list[tuple[str, int, int]] = []
    walked = False
    while f is not None and _walked_out(f.f_code.co_filename):
        if not is_ours(f.f_code.co_filename):
            walked = True
            if f.f_code.co_name == "__init__":
                inits.append(_where(f))
        f = f.f_back
    return tuple(inits) if walked and f is not None and inits else None


def creation_key(f: FrameType | None) -> tuple[tuple[Any, ...], str, str]:
    """Key, readable name and creation site of a primitive created in frame ``f``
    (the first frame outside lockdep).  Frames inside the stdlib's composite
    primitives are walked out of, so a ``Queue``'s mutex is keyed and named by
    the user line that created the queue (``Worker.q.mutex``); so is a factory
    (``return RLock()``) whose caller assigns the result: ``self._jobs_lock =
    self._create_lock()`` is ``Scheduler._jobs_lock``, keyed by both frames."""
    key: list[tuple[str, int, int]] = []
    inner: list[str] = []
    while f is not None and _walked_out(f.f_code.co_filename):
        if not is_ours(f.f_code.co_filename):
            key.append(_where(f))
            part = naming(f).part
            if part:  # a line that assigns names the part (``self.mutex = Lock()``); a plain call adds nothing
                inner.append(part)
        f = f.f_back
    if f is None:  # created by the stdlib itself, with no user frame above
        return tuple(key), ".".join(reversed(inner)) or "?", "?"
    frames = [f]
    n = naming(f)
    while n.returned and (caller := frames[-1].f_back) is not None and not _walked_out(caller.f_code.co_filename):
        frames.append(caller)
        n = naming(caller)
    if n.name is None:  # nobody assigns the factory's result: named after the factory's own line
        frames, n = frames[:1], naming(f)
    f = frames[-1]
    key.extend(_where(x) for x in frames)
    site = f"{_short(f.f_code.co_filename)}:{f.f_lineno}"
    name = n.name or site
    if n.owner is not None:  # ``self.lock = RLock()``: one class per subclass (the key ends with its name)
        owner = self_type(f, n.owner)
        key.append(owner)
        if owner != n.owner:
            name = f"{owner}.{n.part}"
    name = ".".join([name, *reversed(inner)])
    return tuple(key), name, site


def self_type(f: FrameType, owner: str) -> str:
    """The qualified name of the class of ``self`` in method frame ``f``, written in class ``owner``.
    A lock a base class makes (``logging.Handler.createLock``) has one class per subclass, as the
    kernel keys a lock per type (``lockdep_set_class``, the inode locks of each file system):
    ``StreamHandler.lock`` and ``InterceptHandler.lock`` are ordered apart, a handler that forwards
    into a library and one that the library writes to.  The subclasses' classes are one family:
    their instances nested in each other are judged by instance order, as one class's are."""
    return getattr(type(f.f_locals.get("self")), "__qualname__", owner)
