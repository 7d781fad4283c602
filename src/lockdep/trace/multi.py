"""Many trace files into one graph (``lockdep replay FILE...``).

By default each file is its own machine or process: its tasks and lock
instances are its own (task names are shown as ``file:task``), only the lock
classes are shared, so an order learned in one file is checked against the
orders of every other.  With ``shared_tasks`` the files are consecutive parts
of one stream: names are global, and a file's ``lock_init`` of a lock an
earlier file declared with the same class and kind is not a re-key.
"""

from __future__ import annotations

import gc
import os
from typing import IO, Any, Iterator

from ..engine.validator import Validator
from .fast_replay import replay_file
from .reader import feed_events, read_events


def file_prefixes(paths: list[str]) -> list[str]:
    """``name.jsonl:`` per file; the whole path when two files share a name."""
    names = [os.path.basename(p.rstrip("/")) or p for p in paths]
    if len(set(names)) != len(names):
        names = list(paths)
    return [f"{n}:" for n in names]


def expand(paths: list[str]) -> list[str]:
    """fsspec URLs with wildcards (``s3://bucket/traces/*.jsonl.gz``) become their files, in order."""
    out = []
    for p in paths:
        if "://" in p and any(c in p for c in "*?["):
            import fsspec

            out += sorted(f.full_name for f in fsspec.open_files(p)) or [p]
        else:
            out.append(p)
    return out


def open_any(path: str) -> IO[bytes] | None:
    """A stream for fsspec URLs (``s3://``, ``gcs://``, ``https://`` ...); None for local paths."""
    if "://" not in path:
        return None
    import fsspec

    return fsspec.open(path, "rb", compression="infer").open()


def feed_file(v: Validator, path: str, prefix: str | None, first: bool = False,
              declared_before: dict | None = None) -> None:
    """Feed one file; task names get ``prefix``.  ``declared_before`` (shared tasks): the locks
    earlier files declared, whose identical ``lock_init`` here is skipped."""
    if prefix is None and declared_before is None:
        replay_file(v, path, first, open_any(path))  # the fast path
        return
    events: Iterator[tuple[int, dict]] = read_events(path, open_any(path))
    if prefix is not None:
        events = _prefixed(events, prefix)
    if declared_before is not None:
        events = _not_redeclared(events, declared_before)
    feed_events(v, events, first)


def _prefixed(events: Iterator[tuple[int, dict]], prefix: str) -> Iterator[tuple[int, dict]]:
    names: dict[str, str] = {}
    for line, ev in events:
        t = ev.get("task")
        if t is not None:
            ev["task"] = names.get(t) or names.setdefault(t, prefix + t)
        yield line, ev


def _not_redeclared(events: Iterator[tuple[int, dict]], before: dict) -> Iterator[tuple[int, dict]]:
    """Drop a ``lock_init`` of a lock an earlier file declared with the same class and kind."""
    mine: set[str] = set()
    for line, ev in events:
        if ev["op"] == "lock_init":
            lock = ev["lock"]
            info = before.get(lock)
            if lock not in mine and info is not None and info.cls == ev["class"] and info.kind == ev["kind"]:
                mine.add(lock)
                continue
            mine.add(lock)
        yield line, ev


def replay_files(paths: list[str], v: Validator | None = None, first: bool = False,
                 shared_tasks: bool = False) -> Validator:
    """Sequential replay of every file into one validator (the reference the Dask path must equal)."""
    v = v if v is not None else Validator()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        if shared_tasks or len(paths) == 1:
            for path in paths:
                feed_file(v, path, None, first, v.locks if shared_tasks else None)
            return v
        every: dict[str, Any] = {}
        for path, prefix in zip(paths, file_prefixes(paths)):
            v.tasks, v.locks, v.instance_order = {}, {}, {}  # the file's own tasks and lock instances
            feed_file(v, path, prefix, first)
            every.update(v.tasks)
        v.tasks = every
    finally:
        if gc_was_enabled:
            gc.enable()
    return v
