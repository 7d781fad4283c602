"""The fast path of ``lockdep replay``: the same findings as the reference
(``reader.read_events`` + ``Validator``), at about a million events a second.

* **parse**: the file is read in chunks of whole lines; each chunk is decoded
  and checked against the trace format in one call of a compiled decoder
  (msgspec, with a schema per ``op``).  A chunk it cannot take in one go (a
  comment, a blank line, an invalid line) is read line by line, and a line the
  schema rejects goes through the reference reader, so a bad line is reported
  exactly as before (``file:line: what``, exit status 2).
* **chain-cache hit** (the kernel's fast path): an acquisition whose chain of
  held classes is cached (usage bits set, no reentry) and a LIFO release only
  update this module's own per-task stack of tuples; a plain acquisition finds
  its next chain in a memo of the transitions seen.  No ``HeldLock`` is made and
  the validator is not called on that path.  Anything else -- a new chain, a new
  task or lock, a wait, a signal, a release out of order -- is a *miss* (the slow
  path): the task's stack is written back into the validator (``_sync``), the
  reference ``Validator`` takes the event, and the stack is read back.

``tests/test_fast_replay.py`` checks on random traces that both paths give the
same findings, statistics and task states.
"""

from __future__ import annotations

import gzip
import sys
from typing import IO, Annotated, Any, Iterator, Literal, Union

import msgspec
from msgspec import Meta, Struct, field

from ..engine.task import HeldLock, TaskState
from ..engine.usage import CONTEXTS, MASK_TABLE
from ..engine.validator import Validator
from ..errors import InputError
from .reader import feed, feed_events, no_events, open_input, parse_line, read_events

# ------------------------------------------------------------------ schema
# One Struct per op (docs/trace-format.md).  Optional fields default to None, which the
# decoder never produces itself (defaults are not validated): an explicit null is an error,
# as in the reference reader.  Integers are bounded (orjson reads wider ones as floats, which
# are not integers; a line rejected here goes to the reference reader, which decides).
Name = Annotated[str, Meta(min_length=1)]
Int = Annotated[int, Meta(ge=-(1 << 63), le=(1 << 63) - 1)]
Number = Union[Int, float]
Kind = Literal["mutex", "spinlock", "rwlock", "rwsem", "rlock", "semaphore", "lockmap"]
Mode = Literal["exclusive", "shared", "recursive"]
Context = Literal["process", "softirq", "hardirq", "handler"]


class _Event(Struct, tag_field="op", kw_only=True, gc=False):  # (strings, numbers, lists of strings: no cycles)
    t: Number = None  # type: ignore[assignment]
    site: str = None  # type: ignore[assignment]
    stack: list[str] = None  # type: ignore[assignment]


class Acquire(_Event, tag="acquire"):
    task: Name
    lock: Name
    mode: Mode = "exclusive"
    trylock: bool = field(name="try", default=False)
    subclass: Int = 0
    context: Context = "process"
    irqs_disabled: bool = False
    private: bool = False


class Release(_Event, tag="release"):
    task: Name
    lock: Name
    handoff: bool = False


class LockInit(_Event, tag="lock_init"):
    lock: Name
    cls: Name = field(name="class")
    kind: Kind
    order: Literal["class", "instance"] = "class"
    family: Name = None  # type: ignore[assignment]


class Free(_Event, tag="free"):
    lock: Name


class Wait(_Event, tag="wait"):
    task: Name
    event: Name


class Signal(_Event, tag="signal"):
    task: Name
    event: Name
    exclude: Name = None  # type: ignore[assignment]
    after: Int = None  # type: ignore[assignment]


class Begin(_Event, tag="begin"):
    task: Name
    event: Name


class TaskExit(_Event, tag="task_exit"):
    task: Name


class Fork(_Event, tag="fork"):
    task: Name


Event = Union[Acquire, Release, LockInit, Free, Wait, Signal, Begin, TaskExit, Fork]
_decode_chunk = msgspec.json.Decoder(list[Event]).decode
_decode_line = msgspec.json.Decoder(Event).decode
_to_dict = msgspec.to_builtins

#: ops that read or change other tasks' held locks (a release of a lock the task does not hold
#: too: a semaphore's hand-off, or a bad unlock that names the holders): every task is synced
_GLOBAL_OPS = ("free", "fork", "lock_init")

CHUNK = 16 << 10  # bytes: the events of a chunk stay in the CPU's caches while they are fed


# ------------------------------------------------------------------- parse
def read_batches(path: str, stream: IO[bytes] | None = None) -> Iterator[tuple[Any, list]]:
    """Yield ``(line numbers, events)`` batches for the whole file; InputError on the first bad line.
    An event is a Struct above, or the reference reader's dict for a line only it accepts."""
    f = stream if stream is not None else open_input(path)
    lineno = 0  # lines read so far
    n = 0
    rest = b""
    try:
        while True:
            data, error = _read(f)
            end = not data and error is None
            data = rest + data
            if end:  # the last line may lack its newline
                whole, chunk, rest = bool(data), data, b""
            else:
                cut = data.rfind(b"\n")
                whole = cut >= 0
                chunk, rest = (data[:cut], data[cut + 1:]) if whole else (b"", data)
            if whole:
                nlines = chunk.count(b"\n") + 1
                evs = _whole(chunk, nlines)
                if evs is not None:
                    yield range(lineno + 1, lineno + 1 + nlines), evs
                else:
                    lines, evs = _line_by_line(path, chunk, lineno)
                    yield lines, evs
                lineno += nlines
                n += len(evs)
            if error is not None:  # the lines before it were read, as the reference reader does
                raise InputError(path, lineno + 1, f"cannot read: {error}")
            if end:
                break
    finally:
        if f is not sys.stdin.buffer:
            f.close()
    if n == 0:
        raise no_events(path, lineno)


def _read(f: IO[bytes]) -> tuple[bytes, Exception | None]:
    """About CHUNK bytes, and the error that stopped the reading early (data before it is kept)."""
    read1 = getattr(f, "read1", f.read)
    pieces: list[bytes] = []
    size = 0
    while size < CHUNK:
        try:
            piece = read1(CHUNK - size)
        except (OSError, EOFError, gzip.BadGzipFile) as e:
            return b"".join(pieces), e
        if not piece:
            break
        pieces.append(piece)
        size += len(piece)
    return b"".join(pieces), None


def _whole(chunk: bytes, nlines: int) -> list | None:
    """The events of a chunk of lines, each one event, decoded in one call; None if it is not that."""
    if chunk[:1] in (b"#", b"") or b"\n#" in chunk:
        return None
    try:
        evs = _decode_chunk(b"[" + chunk.replace(b"\n", b",") + b"]")
    except msgspec.DecodeError:
        return None
    return evs if len(evs) == nlines else None  # (a line holding two objects is invalid)


def _line_by_line(path: str, chunk: bytes, lineno: int) -> tuple[list[int], list]:
    lines, evs = [], []
    for raw in chunk.split(b"\n"):
        lineno += 1
        s = raw.strip()
        if not s or s[:1] == b"#":
            continue
        try:
            ev: Any = _decode_line(s)
        except msgspec.DecodeError:
            ev = parse_line(path, lineno, raw)  # the reference reader: its error, or its event
        lines.append(lineno)
        evs.append(ev)
    return lines, evs


# --------------------------------------------------------------- validate
# A held lock on this path: (lock, ctx, chain_key, refs, source, node, read, line, seq).  The source
# is the Acquire event taken on this path, or the validator's own HeldLock (read back after a miss).
LOCK, CTX, KEY, REFS, SRC, NODE, READ, LINE, SEQ = range(9)


class _Task:
    """This path's view of one task: its held stack, and its latest acquisition per class
    since the last sync (``last_acq`` entries not yet written to the validator)."""

    __slots__ = ("held", "last_acq")

    def __init__(self, ts: TaskState):
        self.held = [(h.lock, h.ctx, h.chain_key, h.refs, h, h.node, h.read, h.line, h.seq) for h in ts.held]
        self.last_acq: dict[int, tuple] = {}


def _held_lock(entry: tuple) -> HeldLock:
    src = entry[SRC]
    if type(src) is HeldLock:
        return src
    h = HeldLock(src.lock, entry[NODE], entry[READ], src.trylock, entry[CTX], src.site, src.stack, entry[LINE],
                 entry[SEQ])
    h.chain_key = entry[KEY]
    return h


class FastReplay:
    """Feeds batches of events into ``v``; the validator is complete after ``finish()``."""

    def __init__(self, v: Validator, first: bool = False):
        self.v = v
        self.first = first
        self.tasks = {name: _Task(ts) for name, ts in v.tasks.items()}
        #: the cached chains a plain acquisition (exclusive, process context, subclass 0, no trylock,
        #: irqs enabled, a lock that is not reentrant, its usage bits set) leads to: top of the held
        #: stack's chain key (None: nothing held) -> lock -> (chain key, node).  Chains and usage bits
        #: are never taken back; a lock declared again clears it.
        self.after: dict[int | None, dict[str, tuple[int, int]]] = {}

    def feed(self, lines: Any, evs: list) -> None:
        v = self.v
        if self.first and v.findings:
            return
        tasks, after, chains = self.tasks, self.after, v.chains
        seq = v.seq
        hits = 0
        for line, e in zip(lines, evs):
            cls = type(e)
            if cls is Acquire:
                st = tasks.get(e.task)
                if st is not None:
                    held = st.held
                    top = held[-1] if held else None
                    plain = e.subclass == 0 and e.mode == "exclusive" and e.context == "process" \
                        and not e.trylock and not e.irqs_disabled and not e.private
                    if plain:
                        known = after.get(top[KEY] if top is not None and top[CTX] == 0 else None)
                        hit = known.get(e.lock) if known is not None else None
                        if hit is not None:
                            key, nid = hit
                            seq += 1
                            entry = (e.lock, 0, key, 1, e, nid, 0, line, seq)
                            held.append(entry)
                            st.last_acq[nid] = entry
                            hits += 1
                            continue
                    resolved = self._resolve(e, held) if not e.private else None
                    if resolved is not None:
                        nid, read, ctx, trylock = resolved
                        hid = nid * 4 + read
                        nested = top is not None and top[CTX] == ctx
                        key = hash((top[KEY], hid)) if nested else hash((-1 - 2 * ctx, hid))
                        if trylock or key in chains:
                            if plain and not v.locks[e.lock].reentrant:
                                after.setdefault(top[KEY] if nested else None, {})[e.lock] = (key, nid)
                            seq += 1
                            entry = (e.lock, ctx, key, 1, e, nid, read, line, seq)
                            held.append(entry)
                            if not trylock:
                                st.last_acq[nid] = entry
                                hits += 1
                            continue
            elif cls is Release:
                st = tasks.get(e.task)
                if st is not None and not e.handoff:
                    held = st.held
                    top = held[-1] if held else None
                    if top is not None and top[LOCK] == e.lock and top[REFS] == 1:
                        held.pop()
                        seq += 1
                        continue
            # a miss: the reference validator takes the event
            v.seq = seq
            v.chain_hits += hits
            hits = 0
            self._slow(e, line)
            seq = v.seq
            if self.first and v.findings:
                break
        v.seq = seq
        v.chain_hits += hits

    def _resolve(self, e: Acquire, held: list[tuple]) -> tuple[int, int, int, bool] | None:
        """(node, read, context, trylock) of an acquisition that needs no usage bit, no reentry
        and no new lock or class; None otherwise."""
        info = self.v.locks.get(e.lock)
        if info is None:
            return None
        nid = info.nodes.get(e.subclass)
        if nid is None or info.reentrant and any(x[LOCK] == e.lock for x in held):
            return None
        read = info.read_level[e.mode]
        ctx = CONTEXTS[e.context]
        if MASK_TABLE[ctx * 8 + e.irqs_disabled * 4 + e.trylock * 2 + (read != 0)] & ~self.v.nodes[nid].usage:
            return None
        return nid, read, ctx, e.trylock

    def _slow(self, e: Any, line: int) -> None:
        """A miss: the reference validator takes the event, with this path's state of the tasks it
        reads written back first, and read again after."""
        v = self.v
        ev = e if type(e) is dict else _to_dict(e)
        op, task = ev["op"], ev.get("task")
        if op == "lock_init":
            if ev["lock"] not in v.locks:
                feed(v, ev, line)  # a new lock: no task is involved
                return
            self.after.clear()  # the lock may change class
        if op == "release" and ev.get("handoff"):
            self.after.clear()  # the class leaves every held stack and every cached chain
        own = task is not None and op not in _GLOBAL_OPS and not (
            op == "release" and (ev.get("handoff") or not self._holds(task, ev["lock"])))
        for name in [task] if own else list(self.tasks):
            self._sync(name)
        feed(v, ev, line)
        if own:
            ts = v.tasks.get(task)
            if ts is None:
                self.tasks.pop(task, None)
            else:
                self.tasks[task] = _Task(ts)
        else:
            self.tasks.clear()
            self.tasks.update((name, _Task(ts)) for name, ts in v.tasks.items())

    def _holds(self, task: str, lock: str) -> bool:
        st = self.tasks.get(task)
        return st is not None and any(x[LOCK] == lock for x in st.held)

    def _sync(self, name: str) -> None:
        """Write this path's state of a task into the validator's."""
        st = self.tasks.get(name)
        if st is None:
            return
        ts: TaskState = self.v.tasks[name]
        made = {id(e): _held_lock(e) for e in st.held}
        ts.held[:] = [made[id(e)] for e in st.held]
        for nid, e in st.last_acq.items():
            ts.last_acq[nid] = made.get(id(e)) or _held_lock(e)
        st.last_acq.clear()

    def finish(self) -> None:
        for name in list(self.tasks):
            self._sync(name)


def replay_file(v: Validator, path: str, first: bool = False, stream: IO[bytes] | None = None) -> None:
    """Validate every event of one file into ``v`` (``first``: stop analysing after the first finding)."""
    if not v.chain_cache:  # every acquisition would be a miss: the reference is faster
        feed_events(v, read_events(path, stream), first)
        return
    fast = FastReplay(v, first)
    try:
        for lines, evs in read_batches(path, stream):
            fast.feed(lines, evs)
    finally:
        fast.finish()
