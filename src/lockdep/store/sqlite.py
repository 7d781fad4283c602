"""The dependency store: an SQLite file many processes read and merge into at once.

* WAL journal, so readers never block the writer and a killed writer leaves
  the last committed state intact;
* every merge is one ``BEGIN IMMEDIATE`` transaction, retried with
  exponential backoff (and jitter) while another writer holds the lock;
* anything that is not a lockdep store of a version we know (another SQLite
  file, a corrupt file, a newer schema) is refused with one line, never
  rewritten.
"""

from __future__ import annotations

import json
import os
import random
import socket
import sqlite3
import sys
import time
from typing import Any, Callable, Iterable, Iterator, TypeVar

from ..errors import InputError
from .schema import APPLICATION_ID, MIGRATIONS, SCHEMA, SCHEMA_VERSION

T = TypeVar("T")

#: how long a merge keeps retrying while other writers hold the store
RETRY_SECONDS = 60.0
_SQLITE_MAGIC = b"SQLite format 3\x00"


class StoreError(InputError):
    """The store cannot be used: printed as one line, exit status 2."""

    def __init__(self, path: str, message: str):
        super().__init__(path, None, message)


def run_info(source: str, session: str | None = None, argv: list[str] | None = None) -> dict:
    """Who is merging: pid, host, command line, and the session it belongs to."""
    argv = list(sys.argv if argv is None else argv)
    if argv:
        argv[0] = os.path.basename(argv[0])
    return {"started": time.time(), "pid": os.getpid(), "host": socket.gethostname(),
            "argv": " ".join(argv), "source": source,
            "session": session or os.environ.get("LOCKDEP_SESSION")}


class Store:
    """One SQLite store.  ``writable=False`` opens it read-only (``db show``/``export``)."""

    def __init__(self, path: str, writable: bool = True):
        self.path = path
        self.writable = writable
        self.run_id: int | None = None
        self._check_file()
        try:
            if writable:
                self.db = sqlite3.connect(path, timeout=5.0, isolation_level=None, check_same_thread=False)
            else:
                from urllib.parse import quote

                self.db = sqlite3.connect(f"file:{quote(os.path.abspath(path))}?mode=ro", uri=True, timeout=5.0,
                                          isolation_level=None, check_same_thread=False)
            self._retry(self._prepare)
        except sqlite3.DatabaseError as e:
            raise self._error(e) from None

    # ------------------------------------------------------------ opening
    def _check_file(self) -> None:
        path = self.path
        if os.path.isdir(path):
            raise StoreError(path, "is a directory, not a lockdep store")
        if os.path.exists(path):
            try:
                with open(path, "rb") as f:
                    head = f.read(16)
            except OSError as e:
                raise StoreError(path, f"cannot read: {e.strerror}") from None
            if head and head != _SQLITE_MAGIC:
                raise StoreError(path, "not a lockdep store (not an SQLite database); left untouched")
            if self.writable and not _writable(path):
                raise StoreError(path, "store is read-only: cannot merge into it")
        elif not self.writable:
            raise StoreError(path, "no such store")
        directory = os.path.dirname(os.path.abspath(path))
        if self.writable and not os.path.exists(path) and not _writable(directory):
            # WAL needs its -wal and -shm files beside the store
            raise StoreError(path, f"cannot write in {directory}: read-only directory")

    def _prepare(self) -> None:
        db = self.db
        db.execute("BEGIN")  # one snapshot: another process may be creating the store right now
        try:
            app_id = db.execute("PRAGMA application_id").fetchone()[0]
            version = db.execute("PRAGMA user_version").fetchone()[0]
            foreign = app_id != APPLICATION_ID and (app_id != 0 or self._has_tables())
        finally:
            db.execute("COMMIT")
        if app_id == APPLICATION_ID:
            self._check_version(version)
        elif foreign:
            raise StoreError(self.path, "not a lockdep store (a foreign SQLite database); left untouched")
        elif not self.writable:
            raise StoreError(self.path, "empty file, not a lockdep store")
        if self.writable:
            if db.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            if app_id != APPLICATION_ID or version < SCHEMA_VERSION:
                self._transaction(self._create_or_migrate)

    def _has_tables(self) -> bool:
        return self.db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0] > 0

    def _check_version(self, version: int) -> None:
        if version > SCHEMA_VERSION:
            raise StoreError(self.path, f"store schema version {version} is newer than this lockdep's "
                                        f"({SCHEMA_VERSION}): upgrade lockdep; left untouched")

    def _create_or_migrate(self, db: sqlite3.Connection) -> None:
        """Under the write lock: another process may have created or migrated it meanwhile."""
        app_id = db.execute("PRAGMA application_id").fetchone()[0]
        version = db.execute("PRAGMA user_version").fetchone()[0]
        if app_id == 0:
            if self._has_tables():
                raise StoreError(self.path, "not a lockdep store (a foreign SQLite database); left untouched")
            _script(db, SCHEMA)
            db.execute(f"PRAGMA application_id={APPLICATION_ID}")
            db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
            return
        self._check_version(version)
        while version < SCHEMA_VERSION:
            _script(db, MIGRATIONS[version])
            version += 1
            db.execute(f"PRAGMA user_version={version}")

    def _error(self, e: sqlite3.Error) -> StoreError:
        msg = str(e)
        if "not a database" in msg or "malformed" in msg:
            return StoreError(self.path, f"corrupt or not a lockdep store ({msg}); left untouched")
        if "readonly" in msg or "read-only" in msg:
            return StoreError(self.path, "store is read-only: cannot merge into it")
        return StoreError(self.path, f"store error: {msg}")

    # ---------------------------------------------------- transactions
    def _retry(self, fn: Callable[[], T]) -> T:
        """Run ``fn``, retrying with exponential backoff while the store is busy."""
        delay, deadline = 0.005, time.monotonic() + RETRY_SECONDS
        while True:
            try:
                return fn()
            except sqlite3.OperationalError as e:
                msg = str(e)
                if ("locked" not in msg and "busy" not in msg) or time.monotonic() > deadline:
                    raise self._error(e) from None
                time.sleep(delay * (0.5 + random.random()))
                delay = min(delay * 2, 0.5)
            except sqlite3.DatabaseError as e:
                raise self._error(e) from None

    def _transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        def attempt() -> T:
            db = self.db
            db.execute("BEGIN IMMEDIATE")
            try:
                out = fn(db)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return out

        return self._retry(attempt)

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """One write transaction (``fn(db)``), retried while the store is busy."""
        if not self.writable:
            raise StoreError(self.path, "opened read-only")
        return self._transaction(fn)

    def read(self, sql: str, args: Iterable[Any] = ()) -> list[tuple]:
        return self._retry(lambda: self.db.execute(sql, tuple(args)).fetchall())

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------ merge
    def merge(self, run: dict, nodes: list[dict], edges: list[dict], findings: list[dict]) -> int:
        """Merge one delta in one transaction; returns the run's id (created at its first merge)."""

        def do(db: sqlite3.Connection) -> int:
            if self.run_id is None:
                self.run_id = db.execute(
                    "INSERT INTO runs (started, pid, host, argv, source, session) VALUES (?,?,?,?,?,?)",
                    (run["started"], run["pid"], run["host"], run["argv"], run["source"], run["session"]),
                ).lastrowid
            now = time.time()
            merge_rows(db, self.run_id, now, nodes, edges, findings)
            return self.run_id

        return self.write(do)

    # ------------------------------------------------------------- read
    def graph(self) -> dict:
        """The whole graph in ``Graph.to_dict`` form; each edge also carries ``learned`` (its run)."""
        runs = self.runs()
        nodes = [{"name": n, "kind": k, "usage": u, "usage_witness": json.loads(w) if w else {}, "site": s,
                  "key": key}
                 for n, k, u, w, s, key in self.read("SELECT name, kind, usage, usage_witness, site, key FROM classes "
                                                     "ORDER BY first_seen, rowid")]
        edges = []
        for src, dst, dep, count, witness, run, first in self.read(
                "SELECT src, dst, dep, count, witness, run, first_seen FROM edges ORDER BY first_seen"):
            edges.append({"from": src, "to": dst, "dep": dep, "count": count,
                          "witness": json.loads(witness) if witness else None,
                          "learned": {**runs.get(run, {}), "when": first}})
        return {"nodes": nodes, "edges": edges}

    def runs(self) -> dict[int, dict]:
        return {i: {"run": i, "started": t, "pid": p, "host": h, "argv": a, "source": s, "session": ss}
                for i, t, p, h, a, s, ss in self.read("SELECT id, started, pid, host, argv, source, session FROM runs")}

    def findings(self, session: str | None = None) -> Iterator[dict]:
        """Every finding row (with its run), oldest first; or only those of one session's runs."""
        runs = self.runs()
        sql = "SELECT fingerprint, run, data, seen FROM findings"
        args: tuple = ()
        if session is not None:
            sql += " WHERE run IN (SELECT id FROM runs WHERE session = ?)"
            args = (session,)
        for fp, run, data, seen in self.read(sql + " ORDER BY seen", args):
            yield {"fingerprint": fp, "run": runs.get(run, {"run": run}), "seen": seen, "finding": json.loads(data)}

    def counts(self) -> dict[str, int]:
        return {t: self.read(f"SELECT count(*) FROM {t}")[0][0] for t in ("runs", "classes", "edges", "findings")}

    # ------------------------------------------------------- maintenance
    def prune(self, days: float) -> dict[str, int]:
        """Drop edges and findings first seen more than ``days`` ago, then unused classes and runs."""
        cutoff = time.time() - days * 86400

        def do(db: sqlite3.Connection) -> dict[str, int]:
            out = {"edges": db.execute("DELETE FROM edges WHERE first_seen < ?", (cutoff,)).rowcount,
                   "findings": db.execute("DELETE FROM findings WHERE seen < ?", (cutoff,)).rowcount}
            out["classes"] = db.execute(
                "DELETE FROM classes WHERE first_seen < ? AND name NOT IN (SELECT src FROM edges) "
                "AND name NOT IN (SELECT dst FROM edges)", (cutoff,)).rowcount
            _drop_unused_runs(db)
            return out

        return self.write(do)

    def forget(self, cls: str) -> dict[str, int]:
        """Forget a class (after a deliberate redesign): its edges and the findings naming it."""

        def do(db: sqlite3.Connection) -> dict[str, int]:
            out = {"classes": db.execute("DELETE FROM classes WHERE name = ?", (cls,)).rowcount,
                   "edges": db.execute("DELETE FROM edges WHERE src = ? OR dst = ?", (cls, cls)).rowcount,
                   "findings": db.execute("DELETE FROM findings WHERE EXISTS (SELECT 1 FROM json_each(classes) "
                                          "WHERE value = ?)", (cls,)).rowcount}
            _drop_unused_runs(db)
            return out

        return self.write(do)

    def merge_store(self, other: "Store") -> dict[str, int]:
        """Union with another store (copied from a CI machine): runs renumbered, earliest witnesses kept.
        A run both stores hold (the history of a common ancestor, a store merged twice) is kept once."""
        o = other.db

        def do(db: sqlite3.Connection) -> dict[str, int]:
            ids: dict[int, int] = {}
            new = 0
            for rid, *run in o.execute("SELECT id, started, pid, host, argv, source, session FROM runs"):
                same = db.execute("SELECT id FROM runs WHERE started IS ? AND pid IS ? AND host IS ? AND argv IS ? "
                                  "AND source IS ? AND session IS ?", run).fetchone()
                if same is not None:
                    ids[rid] = same[0]
                    continue
                ids[rid] = db.execute(
                    "INSERT INTO runs (started, pid, host, argv, source, session) VALUES (?,?,?,?,?,?)", run).lastrowid
                new += 1
            n = {"runs": new, "classes": 0, "edges": 0, "findings": 0}
            for name, kind, usage, uw, site, run, first, key in o.execute(
                    "SELECT name, kind, usage, usage_witness, site, run, first_seen, key FROM classes"):
                _upsert_class(db, name, kind, usage, uw, site, ids.get(run), first, key)
                n["classes"] += 1
            for src, dst, dep, count, witness, run, first, last in o.execute(
                    "SELECT src, dst, dep, count, witness, run, first_seen, last_seen FROM edges"):
                _upsert_edge(db, src, dst, dep, count, witness, ids.get(run), first, last)
                n["edges"] += 1
            for fp, run, kind, classes, data, seen in o.execute(
                    "SELECT fingerprint, run, kind, classes, data, seen FROM findings"):
                db.execute("INSERT OR IGNORE INTO findings VALUES (?,?,?,?,?,?)",
                           (fp, ids.get(run, 0), kind, classes, data, seen))
                n["findings"] += 1
            return n

        return self.write(do)


def merge_rows(db: sqlite3.Connection, run: int, now: float, nodes: list[dict], edges: list[dict],
               findings: list[dict]) -> None:
    """The body of one merge: classes (usage OR-ed), edges (labels OR-ed, earliest witness), findings."""
    for n in nodes:
        uw = n.get("usage_witness")
        _upsert_class(db, n["name"], n.get("kind", "mutex"), int(n.get("usage", 0)),
                      json.dumps(uw) if uw else None, n.get("site"), run, now, n.get("key"))
    for e in edges:
        w = e.get("witness")
        _upsert_edge(db, e["from"], e["to"], int(e["dep"]), int(e.get("count", 1)), json.dumps(w) if w else None,
                     run, now, now)
    for f in findings:
        from ..fingerprint import of

        db.execute("INSERT OR IGNORE INTO findings VALUES (?,?,?,?,?,?)",
                   (of(f), run, f["kind"], json.dumps(f["classes"]), json.dumps(f), now))


def _upsert_class(db: sqlite3.Connection, name: str, kind: str, usage: int, usage_witness: str | None,
                  site: str | None, run: int | None, first: float, key: str | None = None) -> None:
    db.execute(
        "INSERT INTO classes (name, kind, usage, usage_witness, site, run, first_seen, key) "
        "VALUES (?,?,?,?,?,?,?,?) "
        "ON CONFLICT (name) DO UPDATE SET usage = usage | excluded.usage, "
        # the witness of a usage bit already known stays; new bits bring theirs
        " usage_witness = CASE WHEN usage_witness IS NULL THEN excluded.usage_witness "
        "   WHEN excluded.usage_witness IS NULL THEN usage_witness "
        "   ELSE json_patch(excluded.usage_witness, usage_witness) END, "
        " site = coalesce(site, excluded.site), key = coalesce(key, excluded.key), "
        " run = CASE WHEN excluded.first_seen < first_seen THEN excluded.run ELSE run END, "
        " first_seen = min(first_seen, excluded.first_seen)",
        (name, kind, usage, usage_witness, site, run, first, key))


def _upsert_edge(db: sqlite3.Connection, src: str, dst: str, dep: int, count: int, witness: str | None,
                 run: int | None, first: float, last: float) -> None:
    db.execute(
        "INSERT INTO edges (src, dst, dep, count, witness, run, first_seen, last_seen) VALUES (?,?,?,?,?,?,?,?) "
        "ON CONFLICT (src, dst) DO UPDATE SET dep = dep | excluded.dep, count = count + excluded.count, "
        " witness = CASE WHEN excluded.first_seen < first_seen THEN excluded.witness ELSE witness END, "
        " run = CASE WHEN excluded.first_seen < first_seen THEN excluded.run ELSE run END, "
        " first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen)",
        (src, dst, dep, count, witness, run, first, last))


def _writable(path: str) -> bool:
    """Writable, and not marked read-only (no write bit: respected even by root)."""
    try:
        return os.access(path, os.W_OK) and bool(os.stat(path).st_mode & 0o222)
    except OSError:
        return False


def _script(db: sqlite3.Connection, sql: str) -> None:
    """Statement by statement (``executescript`` would commit the open transaction first)."""
    text = "\n".join(line.split("--")[0] for line in sql.splitlines())
    for stmt in text.split(";"):
        if stmt.strip():
            db.execute(stmt)


def _drop_unused_runs(db: sqlite3.Connection) -> None:
    db.execute("DELETE FROM runs WHERE id NOT IN (SELECT run FROM edges WHERE run IS NOT NULL) "
               "AND id NOT IN (SELECT run FROM classes WHERE run IS NOT NULL) "
               "AND id NOT IN (SELECT run FROM findings)")
