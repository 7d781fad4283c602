"""Reader of the lock trace format, version 1 (docs/trace-format.md).

Every valid file is accepted and every invalid one rejected with the file and
physical line number.  Input may be gzip-compressed or ``-`` (stdin).
"""

from __future__ import annotations

import gc
import gzip
import io
import sys
from typing import IO, Any, Iterable, Iterator

try:
    import orjson

    _loads = orjson.loads
    _JSONError: type[Exception] = orjson.JSONDecodeError
except ImportError:  # pragma: no cover - orjson is a dependency; json is the fallback
    import json

    def _reject_constant(name: str) -> Any:
        raise ValueError(f"{name} is not valid JSON")

    def _loads(b: bytes) -> Any:  # type: ignore[misc]
        return json.loads(b, parse_constant=_reject_constant)

    _JSONError = ValueError

from ..engine.usage import CONTEXTS
from ..engine.validator import LOCK_KINDS, MODES, Validator
from ..errors import InputError

NAME, INT, BOOL, NUMBER, STR, STRLIST = "name", "int", "bool", "number", "str", "strlist"

_COMMON = {"t": NUMBER, "site": STR, "stack": STRLIST}

#: op -> (required fields, optional fields)
OPS: dict[str, tuple[dict[str, str], dict[str, str]]] = {
    "lock_init": ({"lock": NAME, "class": NAME, "kind": "kind"}, {"order": "order", "family": NAME}),
    "acquire": ({"task": NAME, "lock": NAME},
                {"mode": "mode", "try": BOOL, "subclass": INT, "context": "context", "irqs_disabled": BOOL,
                 "private": BOOL}),
    "release": ({"task": NAME, "lock": NAME}, {"handoff": BOOL}),
    "free": ({"lock": NAME}, {}),
    "wait": ({"task": NAME, "event": NAME}, {}),
    "signal": ({"task": NAME, "event": NAME}, {"exclude": NAME, "after": INT}),
    "begin": ({"task": NAME, "event": NAME}, {}),
    "task_exit": ({"task": NAME}, {}),
    "fork": ({"task": NAME}, {}),
}
_ENUMS = {"kind": LOCK_KINDS, "mode": MODES, "context": tuple(CONTEXTS), "order": ("class", "instance")}

_EXPECT = {
    NAME: "a non-empty string",
    INT: "an integer",
    BOOL: "true or false",
    NUMBER: "a number",
    STR: "a string",
    STRLIST: "a list of strings",
}


def _check(value: Any, typ: str) -> bool:
    t = type(value)
    if typ == NAME:
        return t is str and value != ""
    if typ == INT:
        return t is int
    if typ == BOOL:
        return t is bool
    if typ == NUMBER:
        return t is int or t is float
    if typ == STR:
        return t is str
    if typ == STRLIST:
        return t is list and all(type(x) is str for x in value)
    return t is str and value in _ENUMS[typ]


def _expected(typ: str) -> str:
    if typ in _ENUMS:
        return "one of " + ", ".join(_ENUMS[typ])
    return _EXPECT[typ]


def _explain(obj: dict, op: str) -> str:
    """The detailed message for an event the fast check rejected."""
    required, optional = OPS[op]
    for name, typ in required.items():
        if name not in obj:
            return f'{op}: missing field "{name}" (needs {", ".join(required)})'
        if not _check(obj[name], typ):
            return f'{op}: field "{name}" must be {_expected(typ)}, got {_show(obj[name])}'
    for table in (optional, _COMMON):
        for name, typ in table.items():
            if name in obj and not _check(obj[name], typ):
                return f'{op}: field "{name}" must be {_expected(typ)}, got {_show(obj[name])}'
    raise AssertionError("valid event rejected")  # pragma: no cover


_PLAIN = {NAME: str, STR: str, BOOL: bool, INT: int}

# op -> (required names, other required fields, {field: exact Python type}, {field: type name} for the rest)
_FAST = {
    op: (tuple(n for n, t in req.items() if t == NAME), tuple(n for n, t in req.items() if t != NAME),
         {"op": str, **{n: _PLAIN[t] for n, t in {**req, **opt, **_COMMON}.items() if t in _PLAIN}},
         {n: t for n, t in {**req, **opt, **_COMMON}.items() if t not in _PLAIN})
    for op, (req, opt) in OPS.items()
}


def validate(obj: Any) -> str | None:
    """Return what is wrong with one decoded event, or None (the per-line hot path)."""
    if type(obj) is not dict:
        return f"expected a JSON object, got {type(obj).__name__ if obj is not None else 'null'}"
    op = obj.get("op")
    spec = _FAST.get(op) if type(op) is str else None
    if spec is None:
        if op is None:
            return 'missing field "op"'
        return f"unknown op {op!r} (expected one of {', '.join(OPS)})"
    names, required, plain, other = spec
    for name in names:
        v = obj.get(name)
        if type(v) is not str or not v:
            return _explain(obj, op)
    for name in required:
        if name not in obj:
            return _explain(obj, op)
    if len(obj) > len(names) + 1:
        for k, v in obj.items():
            t = plain.get(k)
            if t is not None:
                if type(v) is not t:
                    return _explain(obj, op)
            elif k in other and not _check(v, other[k]):
                return _explain(obj, op)
    return None


def _show(v: Any) -> str:
    s = repr(v) if not isinstance(v, (dict, list)) else type(v).__name__
    return s if len(s) <= 40 else s[:37] + "..."


def open_input(path: str) -> IO[bytes]:
    """Open a file or ``-`` for binary reading, transparently gunzipping."""
    try:
        raw: IO[bytes] = sys.stdin.buffer if path == "-" else open(path, "rb")
    except OSError as e:
        raise InputError(path, None, f"cannot read: {e.strerror or e}") from None
    buffered = raw if isinstance(raw, io.BufferedReader) else io.BufferedReader(raw)  # type: ignore[arg-type]
    try:
        magic = buffered.peek(2)[:2]
    except OSError as e:
        raise InputError(path, None, f"cannot read: {e.strerror or e}") from None
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=buffered)  # type: ignore[return-value]
    return buffered


def read_events(path: str, stream: IO[bytes] | None = None) -> Iterator[tuple[int, dict]]:
    """Yield ``(line_number, event)`` for every event; raise InputError on the first bad line."""
    f = stream if stream is not None else open_input(path)
    lineno = 0
    n = 0
    try:
        for raw in f:
            lineno += 1
            obj = parse_line(path, lineno, raw)
            if obj is not None:
                n += 1
                yield lineno, obj
    except (OSError, EOFError, gzip.BadGzipFile) as e:
        raise InputError(path, lineno + 1, f"cannot read: {e}") from None
    finally:
        if f is not sys.stdin.buffer:
            f.close()
    if n == 0:
        raise no_events(path, lineno)


def parse_line(path: str, lineno: int, raw: bytes) -> dict | None:
    """The event of one physical line, None for a blank or comment line; InputError if invalid."""
    s = raw.strip()
    if not s or s[:1] == b"#":
        return None
    try:
        obj = _loads(s)
    except (_JSONError, ValueError) as e:
        try:
            s.decode("utf-8")
        except UnicodeDecodeError as u:
            raise InputError(path, lineno, f"not valid UTF-8 (byte {u.start + 1})") from None
        raise InputError(path, lineno, f"malformed JSON: {_json_msg(e)}") from None
    err = validate(obj)
    if err is not None:
        raise InputError(path, lineno, err)
    return obj


def no_events(path: str, lines: int) -> InputError:
    return InputError(path, lines or 1, "no events (expected JSON Lines, one event object per line)")


def _json_msg(e: Exception) -> str:
    msg = str(e).splitlines()[0] if str(e) else type(e).__name__
    return msg[:120]


def feed(v: Validator, ev: dict, line: int) -> None:
    """Apply one validated event to the validator."""
    op = ev["op"]
    if len(ev) == 3:  # the common case: op, task, lock only
        if op == "acquire":
            v.acquire(ev["task"], ev["lock"], line=line)
            return
        if op == "release":
            v.release(ev["task"], ev["lock"], line=line)
            return
    g = ev.get
    if op == "acquire":
        v.acquire(ev["task"], ev["lock"], g("mode", "exclusive"), g("try", False), g("subclass", 0),
                  CONTEXTS[g("context", "process")], g("irqs_disabled", False), g("site"), g("stack"), line,
                  g("private", False))
    elif op == "release":
        v.release(ev["task"], ev["lock"], g("site"), g("stack"), line, g("handoff", False))
    elif op == "lock_init":
        v.lock_init(ev["lock"], ev["class"], ev["kind"], g("site"), line, g("order", "class"), g("family"))
    elif op == "wait":
        v.wait(ev["task"], ev["event"], g("site"), g("stack"), line)
    elif op == "signal":
        v.signal(ev["task"], ev["event"], g("site"), g("stack"), line, exclude=g("exclude"), after=g("after"))
    elif op == "begin":
        v.begin(ev["task"], ev["event"], g("site"), g("stack"), line)
    elif op == "free":
        v.free(ev["lock"], g("site"), g("stack"), line)
    elif op == "task_exit":
        v.task_exit(ev["task"], g("site"), g("stack"), line)
    elif op == "fork":
        v.fork(ev["task"], g("site"), g("stack"), line)


def replay(paths: list[str], v: Validator | None = None, first: bool = False) -> Validator:
    """Validate every event of every file; with ``first``, stop analysing after the first finding
    (the rest of the input is still checked for validity)."""
    from .fast_replay import replay_file

    v = v if v is not None else Validator()
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of short-lived objects, no reference cycles: the collector only costs time
    try:
        for path in paths:
            replay_file(v, path, first)
    finally:
        if gc_was_enabled:
            gc.enable()
    return v


def feed_events(v: Validator, events: Iterable[tuple[int, dict]], first: bool = False) -> None:
    """Apply ``(line, event)`` pairs; with ``first``, only check the rest after the first finding."""
    acquire, release = v.acquire, v.release
    for line, ev in events:
        if first and v.findings:
            continue
        if len(ev) == 3:  # inline the common case of feed()
            op = ev["op"]
            if op == "acquire":
                acquire(ev["task"], ev["lock"], line=line)
                continue
            if op == "release":
                release(ev["task"], ev["lock"], line=line)
                continue
        feed(v, ev, line)
