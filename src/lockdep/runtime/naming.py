"""Readable names for primitives, from the statement that created them.

The creating call is located by its instruction's source position
(``co_positions``), so several primitives created on one line get the names
of their own assignment targets (``a = Lock(); b = Lock()``, ``x, y = Lock(),
Lock()``), a primitive made in a comprehension is named after what receives
the items (``locks[]``), and a ``return Lock()`` line is recognised as a
factory whose caller names the result.  Each (code, instruction) is resolved
once; the source of a file is parsed at most once while it is in use.
"""

from __future__ import annotations

import ast
import bisect
import dis
import functools
import itertools
import linecache
import os
import _thread
from types import CodeType, FrameType
from typing import NamedTuple

#: code objects of comprehensions (their own frames up to 3.11) and lambdas: the
#: owner of what they create is the function or module they are written in
_INNER_SCOPES = frozenset({"<listcomp>", "<dictcomp>", "<setcomp>", "<genexpr>", "<lambda>"})
_ASSIGNS = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.NamedExpr)


class Naming(NamedTuple):
    """What the statement around one call says about the object it creates."""

    name: str | None  # ``Pool._lock``, ``app.locks[]``: owner and target; None if nothing is assigned
    part: str | None  # the target alone (``_lock``), for objects nested in a stdlib primitive
    returned: bool  # the statement is ``return <this call>``: a factory
    owner: str | None = None  # for ``self.x = ...`` in a method: its class's qualified name (``Pool``)


_cache: dict[tuple[CodeType, int], Naming] = {}


def naming(f: FrameType) -> Naming:
    """The naming of the call that frame ``f`` is executing."""
    code, lasti = f.f_code, f.f_lasti
    n = _cache.get((code, lasti))
    if n is None:
        n = _cache[(code, lasti)] = _resolve(f)
    return n


def _resolve(f: FrameType) -> Naming:
    code = f.f_code
    pos = next(itertools.islice(code.co_positions(), f.f_lasti // 2, None), None)
    line, end_line, col, end_col = pos if pos is not None and pos[0] is not None else (f.f_lineno, None, None, None)
    path = _path(code.co_filename, line, col, end_line, end_col)
    target, on_self, returned = _target(path, exact=col is not None)
    if target is None:
        return Naming(None, None, returned)
    # ``lock = Lock(); registry.add(lock); return lock``: a factory too (loguru's create_handler_lock)
    returned = not on_self and target in code.co_varnames and _returns_local(code, target)
    owner = _owner(f, on_self)
    method = on_self and code.co_argcount > 0 and code.co_varnames[0] == "self" and owner != _owner(f, False)
    return Naming(f"{owner}.{target}", target, returned, owner if method else None)


@functools.lru_cache(maxsize=256)
def _returns_local(code: CodeType, name: str) -> bool:
    """Whether ``code`` has a ``return name`` of its local variable ``name``."""
    prev = None
    for ins in dis.get_instructions(code):
        if ins.opname == "RETURN_VALUE" and prev is not None and prev.opname.startswith("LOAD_FAST") \
                and prev.argval == name:
            return True
        prev = ins
    return False


def _owner(f: FrameType, on_self: bool) -> str:
    """``Pool`` for ``self.x = ...`` in a method of ``Pool``; the function's qualified
    name for a local; the module's name at module level."""
    code = f.f_code
    parts = getattr(code, "co_qualname", code.co_name).split(".<locals>.")
    while parts and parts[-1] in _INNER_SCOPES:
        parts.pop()
    if not parts or parts == ["<module>"]:
        mod = f.f_globals.get("__name__", "")
        if mod == "__main__" or not mod:
            mod = os.path.splitext(os.path.basename(code.co_filename))[0]
        return mod
    qual = ".<locals>.".join(parts)
    return qual.rsplit(".", 1)[0] if on_self and "." in parts[-1] else qual


# ------------------------------------------------------------------ source
#: statements that hold expressions but no other statements
_SIMPLE = (ast.Assign, ast.AnnAssign, ast.AugAssign, ast.Return, ast.Expr, ast.Raise, ast.Assert, ast.Delete)
_Span = tuple[int, int, int, int]  # line, column, end line, end column (columns in UTF-8 bytes, as ast's)


#: CPython before 3.12.3 (gh-106905) keeps the AST converter's recursion depth in
#: the interpreter, so two threads parsing at once can fail with ``SystemError: AST
#: constructor recursion depth mismatch``.  Our parses take turns; one that still
#: collides with someone else's parse is tried again.
_parsing = _thread.RLock()  # reentrant: the collector can run a finalizer that names a lock mid-parse


def _parse(source: str | bytes, filename: str = "<unknown>") -> ast.Module | None:
    """``ast.parse``, or None if the source does not parse."""
    turn = _parsing.acquire(timeout=0.5)  # bounded: a finalizer run mid-parse may wait on a user lock
    try:
        for _attempt in range(3):
            try:
                return ast.parse(source, filename)
            except SystemError:
                continue
            except (SyntaxError, ValueError):
                return None
        return None
    finally:
        if turn:
            _parsing.release()


@functools.lru_cache(maxsize=64)
def _statements(filename: str) -> list[_Span]:
    """Spans of the simple statements of a file, in order.  Only the spans are kept:
    a parsed tree of every file would cost each garbage collection its size."""
    source = "".join(linecache.getlines(filename))
    tree = _parse(source, filename) if source else None
    if tree is None:
        return []
    return sorted((n.lineno, n.col_offset, n.end_lineno, n.end_col_offset)  # type: ignore[misc]
                  for n in ast.walk(tree) if isinstance(n, _SIMPLE))


def _path(filename: str, line: int, col: int | None, end_line: int | None, end_col: int | None) -> list[ast.AST]:
    """Nodes from the simple statement around the call down to the innermost node that
    spans the call; without a column (``-X no_debug_ranges``), the first statement of the line."""
    spans = _statements(filename)
    i = bisect.bisect_right(spans, (line, col if col is not None else -1, 1 << 30, 1 << 30)) - 1
    if col is None:
        i += 1
    if not 0 <= i < len(spans):
        return []
    l0, c0, l1, c1 = spans[i]
    if col is None:
        if l0 != line:
            return []
        line, col, end_line, end_col = l0, c0, l1, c1
    assert end_line is not None and end_col is not None
    if not (l0, c0) <= (line, col) or not (end_line, end_col) <= (l1, c1):
        return []
    lines = [s.encode() for s in linecache.getlines(filename)[l0 - 1:l1]]
    lines[-1] = lines[-1][:c1]
    lines[0] = lines[0][c0:]
    tree = _parse(b"".join(lines))
    if tree is None or not tree.body:
        return []
    stmt = tree.body[0]
    # positions within the statement's own text
    line, end_line = line - l0 + 1, end_line - l0 + 1
    col, end_col = col - c0 if line == 1 else col, end_col - c0 if end_line == 1 else end_col
    path: list[ast.AST] = [stmt]
    children = list(ast.iter_child_nodes(stmt))
    while children:
        child = children.pop(0)
        if not hasattr(child, "lineno"):  # comprehension, arguments, keyword...: look inside
            children[:0] = ast.iter_child_nodes(child)
            continue
        if (child.lineno, child.col_offset) <= (line, col) and \
                (end_line, end_col) <= (child.end_lineno, child.end_col_offset):  # type: ignore[attr-defined]
            path.append(child)
            children = list(ast.iter_child_nodes(child))
    return path


# ------------------------------------------------------------------ targets
def _target(path: list[ast.AST], exact: bool) -> tuple[str | None, bool, bool]:
    """``(target, on_self, returned)`` for the call at the end of ``path``: the innermost
    assignment around it, followed down to the call (tuple unpacking picks the matching
    target; a literal's item adds ``[i]`` or ``[key]``, a comprehension's item ``[]``)."""
    for i in range(len(path) - 1, -1, -1):
        node = path[i]
        if isinstance(node, ast.Return):
            returned = exact and i == len(path) - 2 and node.value is path[-1] and isinstance(path[-1], ast.Call)
            return None, False, returned
        if isinstance(node, _ASSIGNS):
            target = node.targets[0] if isinstance(node, ast.Assign) else node.target
            break
        if isinstance(node, ast.stmt):
            return None, False, False
    else:
        return None, False, False
    suffix = ""
    unpacking = True
    for parent, child in zip(path[i:], path[i + 1:] if exact else []):
        if isinstance(parent, (ast.Tuple, ast.List)) and child in parent.elts:
            idx = parent.elts.index(child)
            if unpacking and isinstance(target, (ast.Tuple, ast.List)) and len(target.elts) == len(parent.elts) \
                    and not any(isinstance(e, ast.Starred) for e in target.elts):
                target = target.elts[idx]
            else:
                suffix += f"[{idx}]"
        elif isinstance(parent, ast.Dict) and child in parent.values:
            key = parent.keys[parent.values.index(child)]
            suffix += f"[{key.value!r}]" if isinstance(key, ast.Constant) else "[]"
        elif isinstance(parent, (ast.ListComp, ast.SetComp, ast.GeneratorExp)) and child is parent.elt or \
                isinstance(parent, ast.DictComp) and child is parent.value:
            suffix += "[]"
        elif parent is not node:
            unpacking = False  # inside a call or another expression: its items are not the targets'
    text, on_self = _render(target)
    return (text + suffix if text is not None else None), on_self, False


def _render(t: ast.AST) -> tuple[str | None, bool]:
    """``lock`` and True for ``self.lock``; ``registry.lock`` and False for ``registry.lock``."""
    if isinstance(t, ast.Name):
        return t.id, False
    if isinstance(t, ast.Starred):
        return _render(t.value)
    if isinstance(t, ast.Attribute):
        if isinstance(t.value, ast.Name) and t.value.id in ("self", "cls"):
            return t.attr, True
        base, on_self = _render(t.value)
        return (f"{base}.{t.attr}" if base is not None else None), on_self
    if isinstance(t, ast.Subscript):
        base, on_self = _render(t.value)
        key = f"[{t.slice.value!r}]" if isinstance(t.slice, ast.Constant) else "[]"
        return (base + key if base is not None else None), on_self
    return None, False
