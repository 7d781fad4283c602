"""The few lines each entry point needs for ``--db`` (and LOCKDEP_DB)."""

from __future__ import annotations

import argparse
import os
import sys
from typing import IO, Any

HELP_DB = ("SQLite store of lock history (also LOCKDEP_DB): orders learned by earlier runs are loaded first "
           "and this run's merged back, so an inversion split across runs or processes is found")


def add_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", metavar="PATH", default=None, help=HELP_DB)


def db_path(args: Any = None) -> str | None:
    return getattr(args, "db", None) or os.environ.get("LOCKDEP_DB") or None


def open_session(args: Any, source: str) -> Any:
    """The store named by ``--db``/LOCKDEP_DB, opened for this run; None without one."""
    path = db_path(args)
    if path is None:
        return None
    from .session import StoreSession

    return StoreSession(path, source)


def attach(args: Any, v: Any, source: str) -> Any:
    """Open the store named by ``--db``/LOCKDEP_DB and load it into validator ``v``; None without one."""
    session = open_session(args, source)
    if session is not None:
        session.load(v)
    return session


def finish(session: Any, v: Any, out: IO[str] | None = None) -> None:
    """Annotate cross-run findings, merge the run into the store, mention earlier findings."""
    if session is None:
        return
    for f in v.findings:
        session.annotate(f)
    session.save(v)
    earlier = session.earlier_findings(v)
    if earlier:
        n = len(earlier)
        print(f"lockdep: {n} earlier finding{'s' if n != 1 else ''} in {session.path} "
              f"(lockdep db show {session.path})", file=out or sys.stderr)
    session.close()
