"""The store's schema: one commented SQL string, its version, and the migrations
that bring an older store up to it (as coverage.py's ``sqldata.py`` does).

A lockdep store is recognised by ``PRAGMA application_id`` (``LKDP``); the schema
version is ``PRAGMA user_version``.  A newer version than ours is refused, never
rewritten.
"""

from __future__ import annotations

#: "LKDP": marks an SQLite file as a lockdep store
APPLICATION_ID = 0x4C4B4450

SCHEMA_VERSION = 1

SCHEMA = """
-- One row per process (or command) that merged into the store.
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY,
    started REAL NOT NULL,        -- Unix time
    pid INTEGER,
    host TEXT,
    argv TEXT,                    -- the command line, as one string
    source TEXT,                  -- replay | splat | loops | run | pytest | merge
    session TEXT                  -- processes of one `python -m lockdep` / pytest session share it
);

-- Lock classes (and wait events): the graph's nodes, keyed by their stable name.
CREATE TABLE IF NOT EXISTS classes (
    name TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    key TEXT,                           -- stable identity of a Python class (file, source line, name)
    usage INTEGER NOT NULL DEFAULT 0,   -- OR of the usage bits seen by every run
    usage_witness TEXT,                 -- JSON {bit: witness}: the first acquisition that set each bit
    site TEXT,                          -- where the class was created (lock_init's site)
    run INTEGER REFERENCES runs(id),    -- the run that first saw it
    first_seen REAL NOT NULL
);

-- Dependencies "dst was taken while src was held": labels OR-ed, earliest witness kept.
CREATE TABLE IF NOT EXISTS edges (
    src TEXT NOT NULL,
    dst TEXT NOT NULL,
    dep INTEGER NOT NULL,               -- SR/ER/SN/EN bits (engine/graph.py)
    count INTEGER NOT NULL DEFAULT 1,   -- how many runs learned it
    witness TEXT,                       -- JSON witness of the first time it was seen
    run INTEGER REFERENCES runs(id),    -- the run of that witness
    first_seen REAL NOT NULL,
    last_seen REAL NOT NULL,
    PRIMARY KEY (src, dst)
) WITHOUT ROWID;

-- Findings: one row per run that reported one (fingerprint = kind + classes).
CREATE TABLE IF NOT EXISTS findings (
    fingerprint TEXT NOT NULL,
    run INTEGER NOT NULL REFERENCES runs(id),
    kind TEXT NOT NULL,
    classes TEXT NOT NULL,              -- JSON list
    data TEXT NOT NULL,                 -- the finding's JSON, as `replay --json` prints it
    seen REAL NOT NULL,
    PRIMARY KEY (fingerprint, run)
);
CREATE INDEX IF NOT EXISTS findings_run ON findings(run);
CREATE INDEX IF NOT EXISTS classes_key ON classes(key);
"""

#: user_version -> SQL bringing a store from that version to the next one
MIGRATIONS: dict[int, str] = {}
