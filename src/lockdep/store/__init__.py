"""Lock history that outlives one process: an SQLite store of classes, edges
(labels and first witness), usage bits and findings, shared by runs,
subprocesses and test workers.  Imports the engine, never a frontend."""

from .schema import SCHEMA_VERSION
from .sqlite import Store, StoreError

__all__ = ["SCHEMA_VERSION", "Store", "StoreError"]
