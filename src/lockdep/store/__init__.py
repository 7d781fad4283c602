"""Lock history that outlives one process: an SQLite store of classes, edges
(labels and first witness), usage bits and findings, shared by runs,
subprocesses and test workers.  Imports the engine, never a frontend."""

from typing import Any

from .schema import SCHEMA_VERSION

__all__ = ["SCHEMA_VERSION", "Store", "StoreError"]


def __getattr__(name: str) -> Any:
    """``Store`` and ``StoreError`` on first use: importing ``store.hooks`` to declare ``--db``
    must not import sqlite3 into every run."""
    if name in ("Store", "StoreError"):
        from . import sqlite

        return getattr(sqlite, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
