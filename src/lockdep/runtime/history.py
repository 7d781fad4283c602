"""The runtime's lock history (``--db``, LOCKDEP_DB): a process loads the orders
earlier runs learned when it starts, and merges its own back at exit and every
LOCKDEP_DB_INTERVAL seconds (default 30).

A *session* is one ``python -m lockdep`` run, one ``LOCKDEP=1`` program or one
pytest session, with every process it starts: they share a store (a temporary
one without ``--db``) and LOCKDEP_SESSION.  The process that opened the
session (its *root*) reports, at its end, the findings of every other process
of the session (with their pid and command line) and the inversions whose
halves were learned by different processes (the graph checks on the merged
graph).

Python classes keep their identity across runs through a stable key: the
creating file, the text of the creating line and the class name without line
numbers, so a class still merges with its history after lines above it moved.
"""

from __future__ import annotations

import _thread
import linecache
import os
import re
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..store.session import StoreSession

# The store (sqlite3) is imported when a process opens one: a run without --db, and
# without subprocesses that used the session's temporary store, never does.

INTERVAL = float(os.environ.get("LOCKDEP_DB_INTERVAL") or 30)

_state: dict[str, Any] = {}
_LINE_NAME = re.compile(r"(?::\d+|#\d+)$")


def stable_key(creation_key: tuple, name: str) -> str:
    """``kind|file|source text|name`` for a class registered under ``creation_key`` (state.py)."""
    kind = creation_key[0]
    if len(creation_key) == 2 and kind == "named":
        return f"named|{creation_key[1]}"
    frames = [k for k in creation_key[1:] if isinstance(k, tuple) and len(k) == 3]
    if not frames:
        return f"{kind}|?|{name}"
    filename, line, _ = frames[-1]
    text = linecache.getline(filename, line).strip()
    try:
        filename = os.path.relpath(filename)
    except ValueError:
        pass
    base = _LINE_NAME.sub("", name)
    return f"{kind}|{filename}|{text}|{base if not base.endswith('.py') else ''}"


def add_options(p: Any) -> None:
    from ..baseline import add_option as add_baseline_option
    from ..store.hooks import add_option as add_db_option

    add_db_option(p)
    add_baseline_option(p)


def check_options(args: Any) -> None:
    """``--db``/``--baseline`` of ``python -m lockdep``: checked before the program runs (a bad file is
    InputError, exit 2), then handed to the program and its subprocesses through the environment."""
    if getattr(args, "db", None):
        os.environ["LOCKDEP_DB"] = os.path.abspath(args.db)
    if os.environ.get("LOCKDEP_DB"):
        from ..store import Store

        Store(os.environ["LOCKDEP_DB"]).close()
    if getattr(args, "baseline", None):
        os.environ["LOCKDEP_BASELINE"] = os.path.abspath(args.baseline)
    if os.environ.get("LOCKDEP_BASELINE"):  # what baseline.from_args reads
        from .. import baseline

        baseline.from_args(None)


def start(rt: Any) -> None:
    """After ``enable()`` at an entry point: open the session's store (the root creates a temporary
    one) and load it into the runtime.  Idempotent."""
    if _state.get("rt") is rt or not _main_interpreter():
        return  # subinterpreters get plain locks: nothing to remember (and no thread may outlive them)
    path = os.environ.get("LOCKDEP_DB")
    root = not os.environ.get("LOCKDEP_SESSION")
    _state.update(rt=rt, root=root, pid=os.getpid(), finished=False)
    if root:
        os.environ["LOCKDEP_SESSION"] = os.urandom(16).hex()
        if not path:
            import tempfile

            # a temporary store for the subprocesses: created by the first one that starts, read at the end
            tmp = _state["tmpdir"] = tempfile.mkdtemp(prefix="lockdep-")
            os.environ["LOCKDEP_DB"] = os.path.join(tmp, "session.db")
            return
    if not path:
        return
    from ..errors import InputError

    try:
        session = _open(path)
        graph = session.load(rt.validator)
    except InputError as e:
        print(f"lockdep: {e}", file=sys.stderr)  # the program runs on, without history
        return
    _state["session"] = session
    by_key = {n["key"]: n["name"] for n in graph["nodes"] if n.get("key")}
    g = rt.validator.graph
    keys: dict[tuple, str] = _state.setdefault("keys", {})
    occurrences: dict[str, int] = {}

    def adopt(creation_key: tuple, name: str) -> int | None:
        """A class this store knows under a stable key keeps its stored name (and node).  Classes
        created on one line (one stable key) are told apart by their order of creation."""
        key = stable_key(creation_key, name)
        n = occurrences[key] = occurrences.get(key, 0) + 1
        key = keys[creation_key] = f"{key}|{n}"
        stored = by_key.get(key)
        return g.by_name.get(stored) if stored is not None else None

    rt.adopt = adopt
    _thread.start_new_thread(_every_interval, (rt,))


def _main_interpreter() -> bool:
    for name in ("_interpreters", "_xxsubinterpreters"):
        try:
            mod = __import__(name)
            return bool(mod.get_current() == mod.get_main())
        except Exception:  # noqa: BLE001 -- no such module on this Python, or a changed API
            continue
    return True


def _open(path: str) -> StoreSession:
    from ..store.session import StoreSession

    session = StoreSession(path, _source(), os.environ.get("LOCKDEP_SESSION"))
    if os.environ.get("PYTEST_XDIST_WORKER"):
        session.run["argv"] = f"pytest-xdist worker {os.environ['PYTEST_XDIST_WORKER']}"
    return session


def _source() -> str:
    return "pytest" if "pytest" in os.path.basename(sys.argv[0] if sys.argv else "") else "run"


def _every_interval(rt: Any) -> None:
    while True:
        time.sleep(INTERVAL)
        if _state.get("finished") or _state.get("rt") is not rt:
            return
        try:
            save()
        except Exception:  # noqa: BLE001 -- a failed interval merge is retried at exit
            pass


def _session() -> StoreSession | None:
    """The session's store for this process (a forked child opens its own connection and run)."""
    s = _state.get("session")
    if s is not None and _state.get("pid") != os.getpid():
        from ..store.session import StoreSession

        s = StoreSession(s.path, _source(), os.environ.get("LOCKDEP_SESSION"))
        s.mark_synced(_state["rt"].validator)
        _state.update(session=s, pid=os.getpid(), root=False)
    return s


def save() -> None:
    """Merge what this process learned since the last merge (one transaction)."""
    s = _session()
    rt = _state.get("rt")
    if s is None or rt is None:
        return
    g = rt.validator.graph
    stable = _state.get("keys", {})
    s.save(rt.validator, {g.name(nid): stable[ckey] for ckey, nid in list(rt.classes.items()) if ckey in stable})


def finish() -> list[dict]:
    """At the end of a process: merge; the root also collects the session's other findings
    (returned, each with ``pid`` and ``argv``) and removes a temporary store.  Idempotent."""
    if _state.get("finished") or "rt" not in _state:
        return _state.get("others", [])
    _state["finished"] = True
    from ..errors import InputError

    others: list[dict] = []
    mine = _state.get("pid") == os.getpid()
    try:
        tmp_store = os.path.join(_state["tmpdir"], "session.db") if "tmpdir" in _state else None
        if "session" not in _state and tmp_store and os.path.exists(tmp_store):
            _state["session"] = _open(tmp_store)  # subprocesses used the temporary store
        if "session" in _state:
            save()
            if _state.get("root") and mine:
                others = session_findings()
                _state["session"].close()
    except InputError as e:  # the store went bad while the program ran: say so, lose only the history
        print(f"lockdep: {e}", file=sys.stderr)
    if "tmpdir" in _state and mine:
        import shutil

        shutil.rmtree(_state.pop("tmpdir"), ignore_errors=True)
    _state["others"] = others
    return others


def session_findings() -> list[dict]:
    """What the other processes of this session found, and the inversions split between processes."""
    from ..fingerprint import of
    from ..engine.validator import Validator
    from ..store.check import check_graph
    from ..store.session import describe_run

    s = _state["session"]
    rt = _state["rt"]
    seen = {of(f) for f in rt.validator.findings}
    out = []
    for row in s.store.findings(session=os.environ.get("LOCKDEP_SESSION")):
        if row["run"].get("run") == s.store.run_id or row["fingerprint"] in seen:
            continue
        seen.add(row["fingerprint"])
        out.append({**row["finding"], "pid": row["run"].get("pid"), "argv": row["run"].get("argv"),
                    "learned_in": describe_run(row["run"])})
    known = {r["fingerprint"] for r in s.store.findings()}  # earlier runs' findings were reported by them
    merged = _state["merged"] = []
    v = Validator()
    v.cycles_need_a_lock = True  # as in each run (``Runtime``): Python's thread and queue events merge instances
    for f in check_graph(s.store.graph(), v).findings:
        if of(f) not in seen and of(f) not in known:
            seen.add(of(f))
            merged.append(f)
            out.append({**f.to_dict(), "pid": None, "argv": None, "learned_in": "merged graph of the session"})
    if merged:  # this run found them: later runs know them as earlier findings
        s.store.merge(s.run, [], [], [f.to_dict() for f in merged])
    return out


def merged_findings() -> list:
    """The Finding objects of the inversions only the merged graph showed (for kernel-style text)."""
    return _state.get("merged", [])


def describe(f: dict) -> str:
    """One line per finding of another process, for the root's report."""
    from ..report.json import found_by

    return f"lockdep: {f['kind']}: {' --> '.join(f['classes'])}  [found by {found_by(f) or ''}]"


def all_findings(rt: Any) -> list:
    """This process's findings and (root) the session's others, for the HTML and SARIF files: the
    others with their ``pid``, ``argv`` and ``learned_in`` (call once the program has ended)."""
    from ..report.json import finding_from_dict

    return [*rt.validator.findings, *(finding_from_dict(f) for f in finish())]


def report(rt: Any) -> tuple[list[dict], list[dict]]:
    """Everything this process reports at its end: its own findings and (root) the session's others,
    split by the baseline (LOCKDEP_BASELINE) into (failing, suppressed)."""
    from ..report.json import finding_dict

    mine = [finding_dict(f) for f in rt.validator.findings]
    findings = mine + finish()
    if not os.environ.get("LOCKDEP_BASELINE"):  # what baseline.from_args reads: no file, nothing to import
        return findings, []
    from .. import baseline

    known = baseline.from_args(None)
    new, suppressed = known.split(findings) if known else (findings, [])
    return new, baseline.suppressed_json(suppressed)
