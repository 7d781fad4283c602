"""Reader of kernel lockdep and DEPT reports ("splats") as they are found: console, dmesg, syslog, syzbot
text, mail and bug trackers (``unmangle`` undoes the mangling first), from Linux 2.6 to 7.x.

Every report found becomes a ``Splat``; a report that cannot be understood
(truncated, garbled) becomes an error naming file and line, and reading goes
on.  Class names are normalised so one lock merges across kernels:
``cpu_hotplug_lock.rw_sem`` = ``cpu_hotplug_lock``, ``&(&q->lock)->rlock`` =
``&q->lock``, ``kn->count#60`` = ``kn->count`` (``#N`` numbers same-named
keys per boot); a subclass ``/1`` is kept.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Iterable, Iterator

from ..engine.findings import (BAD_UNLOCK, CIRCULAR, HELD_AT_EXIT, HELD_FREED, INCONSISTENT, IRQ_INVERSION,
                               RECURSIVE)
from .aliases import apply_aliases
from .interleave import own_lines
from .unmangle import Unmangled, rejoin, unmangle

# kinds only kernel reports have
RETURN_TO_USER = "lock_held_returning_to_user"
RCU = "suspicious_rcu_usage"
INVALID_WAIT = "invalid_wait_context"
NEST_NOT_TAKEN = "nested_lock_not_taken"
BAD_CONTENTION = "bad_contention"

_TITLES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"possible circular locking dependency detected"), CIRCULAR),
    (re.compile(r"possible recursive locking detected"), RECURSIVE),
    (re.compile(r"inconsistent lock state"), INCONSISTENT),
    (re.compile(r"possible irq lock inversion dependency detected"), IRQ_INVERSION),
    (re.compile(r"(\w+(?:-READ)?)-safe -> \1-unsafe lock order detected"), IRQ_INVERSION),
    (re.compile(r"bad unlock balance detected"), BAD_UNLOCK),
    (re.compile(r"lock held when returning to user space"), RETURN_TO_USER),
    (re.compile(r"still has locks held"), HELD_AT_EXIT),
    (re.compile(r"held lock freed"), HELD_FREED),
    (re.compile(r"suspicious RCU usage"), RCU),
    (re.compile(r"Invalid wait context"), INVALID_WAIT),
    (re.compile(r"Nested lock was not taken"), NEST_NOT_TAKEN),
    (re.compile(r"bad contention detected"), BAD_CONTENTION),
    (re.compile(r"^Circular dependency has been detected"), CIRCULAR),  # DEPT
]
_TITLE_LINE = re.compile(r"^\s*(?:WARNING: |\[ (?:INFO|BUG): |BUG: |INFO: |DEPT: |Dept: )(.*?)(?:\.? \])?\s*$")

_USAGE = re.compile(r"\)\{[-+.?]{2,12}\}(?:-\{\d+:\d+\})?")
_ADDR = re.compile(r"^\s*(?:[0-9a-f]{8,16}\s+)?")
_FRAME_ADDR = re.compile(r"^\s*(?:\[<[0-9a-f]+>\]\s*)?(?:\?\s+)?")
_VERSION = re.compile(r"^\s*(\d+\.\d+[\w.+~-]*)\s+#\S+")
_CPU_LINE = re.compile(r"\bComm: \S+ (?:Not tainted|Tainted: [^\d]*?)\s*(\d+\.\d+[\w.+~-]*)")
_HELD_HEADER = re.compile(r"^\s*(\d+) locks? held by (.+?):\s*$")
_NO_LOCKS = re.compile(r"^\s*no locks held by (.+?)\.\s*$")
_HELD_ENTRY = re.compile(r"^\s*#\d+:\s+")
_BLOCK = re.compile(r"^\s*-> #(\d+) ")

# Frames that only say *how* a lock was taken; the first other frame says who took it.
_LOCK_PRIMITIVE = re.compile(
    r"^(?:__?lock_acquire|lock_acquire|lock_acquire\.part|lock_map_acquire|lockdep_|__?raw_|_raw_|do_raw_|"
    r"__mutex_lock|mutex_lock|__mutex_lock_slowpath|down_|__down|percpu_down|rt_mutex|rwsem_|__rwsem|"
    r"spin_lock|read_lock|write_lock|queued_|cpus_read_lock|cpus_write_lock|get_online_cpus|"
    r"__flush_work|flush_work|__flush_workqueue|flush_workqueue|start_flush_work|touch_wq_lockdep_map|"
    r"touch_work_lockdep_map|wait_for_completion|__wait_for_common|wait_for_common|"
    r"lock_sync|__lock_release|lock_release|check_noncircular|check_prev_add|validate_chain|"
    r"check_prevs_add|complete_acquire|__might_fault|might_fault|__might_sleep|might_sleep|rcu_lock_acquire|rcu_read_lock|__rcu_read_lock|"
    r"dump_stack|print_|mark_lock|mark_usage|__lock_|lock_is_held)"
)


def normalize(name: str, keep_key_number: bool = False) -> str:
    """One name for one lock across kernel versions (see the module docstring).

    ``keep_key_number`` keeps the per-boot ``#N``: two keys of one report that differ only there are
    different locks (``&type->i_mutex_dir_key#8`` and ``#9`` belong to two filesystems).
    """
    name = name.strip()
    prev = None
    while prev != name:
        prev = name
        m = re.fullmatch(r"&\((.+)\)->rlock", name)
        if m:
            name = m.group(1)
    sub = ""
    m = re.search(r"(/\d+)$", name) or re.search(r"(:\d+)$", name)  # lockdep /N, DEPT :N
    if m:
        sub, name = m.group(1).replace(":", "/"), name[: m.start()]
        sub = "" if sub == "/0" else sub
    if not keep_key_number:
        name = re.sub(r"#\d+$", "", name)
    name = re.sub(r"\.rw_sem$", "", name)
    return name + sub


def func_of(frame: str) -> str:
    """``kmem_cache_shrink_all`` from ``kmem_cache_shrink_all+0x9/0x20 mm/slab.c:12 [inline]``."""
    f = frame.strip()
    f = re.sub(r"^\?\s*", "", f)
    return re.split(r"[+\s]", f, maxsplit=1)[0]


def meaningful_frames(stack: list[str], n: int = 2) -> list[str]:
    """The first ``n`` functions of a stack that are not lock primitives."""
    out = []
    for fr in stack:
        fn = func_of(fr)
        if not fn or _LOCK_PRIMITIVE.match(fn) or fn in out:
            continue
        out.append(fn)
        if len(out) == n:
            break
    return out


#: classes that are not locks but waits (cross-release): completions, work items, workqueues
_EVENT = re.compile(r"^(?:\(+(?:complete|completion|wq_completion|work_completion)\)|\(&.*\)$)")


def is_event(name: str) -> bool:
    return bool(_EVENT.match(name))


@dataclass
class Edge:
    frm: str
    to: str
    stack: list[str] = field(default_factory=list)
    raw_frm: str = ""
    raw_to: str = ""
    #: "lock" (held frm, took to), "wait" (held frm, waited for event to), "signal" (to taken before event frm
    #: was signalled, in the signaller's window)
    dep: str = "lock"

    def to_dict(self) -> dict:
        return {"from": self.frm, "to": self.to, "raw_from": self.raw_frm or self.frm, "raw_to": self.raw_to or self.to,
                "dep": self.dep, "stack": self.stack, "by": meaningful_frames(self.stack)}


@dataclass
class Splat:
    file: str
    line: int
    kind: str
    title: str
    classes: list[str] = field(default_factory=list)
    raw_classes: list[str] = field(default_factory=list)
    held: list[str] = field(default_factory=list)
    kernel: str | None = None
    task: str | None = None
    edges: list[Edge] = field(default_factory=list)
    detail: str | None = None
    backtrace: list[str] = field(default_factory=list)
    raw_held: list[str] = field(default_factory=list)
    detector: str = "lockdep"
    #: normalised name -> the name it was merged into by the alias table (see ``aliases.py``)
    aliases: dict[str, str] = field(default_factory=dict)
    count: int = 1
    seen_at: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["edges"] = [e.to_dict() for e in self.edges]
        return d


@dataclass
class SplatError:
    file: str
    line: int
    error: str

    def to_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "error": self.error}


class Malformed(Exception):
    pass


def _title_kind(text: str) -> tuple[str, str] | None:
    m = _TITLE_LINE.match(text)
    if not m:
        return None
    title = m.group(1)
    for rx, kind in _TITLES:
        if rx.search(title):
            return kind, title
    return None


def lock_class(text: str) -> str | None:
    """The class in ``ffff... (&(&q->lock)->rlock){-.-.}-{2:2}, at: ...`` (balanced parens)."""
    m = _USAGE.search(text)
    body = _ADDR.sub("", text, count=1)
    if m:
        end = m.start() + 1  # index of ")" in text
        start = text.find("(")
        if start < 0 or start >= end:
            return None
        return text[start + 1: end - 1]
    # no usage string (older "held lock freed" / bad unlock forms): "(name)" up to the matching paren
    start = body.find("(")
    if start < 0:
        return None
    depth = 0
    for i in range(start, len(body)):
        c = body[i]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return body[start + 1: i]
    return None


def parse_text(lines: Iterable[str], file: str) -> tuple[list[Splat], list[SplatError]]:
    """Find and parse every lockdep and DEPT report in ``lines`` (mangled as found: see ``unmangle``)."""
    ul = unmangle(lines)
    clean = ul.texts
    starts: list[tuple[int, str, str]] = []
    for i, text in enumerate(clean):
        if "ING: " in text or "BUG: " in text or "INFO: " in text or "DEPT: " in text or "Dept: " in text:
            tk = _title_kind(text)
            if tk:
                starts.append((i, *tk))
    splats: list[Splat] = []
    errors: list[SplatError] = []
    for n, (i, kind, title) in enumerate(starts):
        end = starts[n + 1][0] if n + 1 < len(starts) else len(clean)
        body = _own_lines(ul, i, end, kind)
        # a report starts at its "====" rule, one line above the title
        first = i if i == 0 or not _RULE.match(clean[i - 1]) else i - 1
        no = ul.numbers[first]
        try:
            splats.append(_parse_report(body, file, no, kind, title))
        except Malformed as e:
            errors.append(SplatError(file, no, f"{kind.replace('_', ' ')} report: {e}"))
    return splats, errors


_RULE = re.compile(r"^\s*=+\s*$")


def _own_lines(ul: Unmangled, i: int, end: int, kind: str) -> list[str]:
    """The report's lines: other tasks' and CPUs' lines dropped (by caller id, else by the shape of lockdep's
    lines), the title's indent removed."""
    cid = ul.cids[i]
    body = ul.texts[i:end]
    if cid is not None:
        body = [t for t, c in zip(body, ul.cids[i:end]) if c is None or c == cid]
    title = body[0]
    indent = title[: len(title) - len(title.lstrip())]
    if indent:
        body = [t[len(indent):] if t.startswith(indent) else t for t in body]
    if cid is None and kind == CIRCULAR and "Circular dependency has been detected" not in title:
        body = own_lines(body)
    return body


def merge_identical(splats: list[Splat]) -> list[Splat]:
    """One report per distinct problem; ``count`` and ``seen_at`` say where it appeared (a thread quotes it often)."""
    seen: dict[tuple, Splat] = {}
    out = []
    for s in splats:
        key = (s.kind, tuple(s.raw_classes), tuple(s.raw_held), tuple((e.frm, e.to) for e in s.edges), s.detail)
        first = seen.get(key)
        if first is None:
            seen[key] = s
            s.seen_at = [f"{s.file}:{s.line}"]
            out.append(s)
        else:
            first.count += 1
            first.seen_at.append(f"{s.file}:{s.line}")
    return out


def _next_content(body: list[str], j: int) -> tuple[int, str]:
    while j < len(body) and not body[j].strip():
        j += 1
    if j >= len(body):
        raise Malformed("truncated (ends before the lock line)")
    return j, body[j]


def _find(body: list[str], rx: str, start: int = 0) -> int:
    pat = re.compile(rx)
    for j in range(start, len(body)):
        if pat.search(body[j]):
            return j
    return -1


def _lock_after(body: list[str], rx: str, what: str) -> str:
    j = _find(body, rx)
    if j < 0:
        raise Malformed(f"no '{what}' line")
    k, _ = _next_content(body, j + 1)
    cls = lock_class(rejoin(body, k))
    if cls is None:
        raise Malformed(f"no lock class after '{what}'")
    return cls


def _stack(body: list[str], j: int) -> tuple[list[str], int]:
    """Frames from line j until a blank line, a new block or a section header."""
    frames = []
    while j < len(body):
        t = body[j]
        if not t.strip() or _BLOCK.match(t) or not t.startswith((" ", "\t")) or t.strip().endswith(":") and \
                not re.search(r"\+0x", t):
            break
        f = _FRAME_ADDR.sub("", t).strip()
        if f and not f.startswith(("<TASK>", "</TASK>", "<IRQ>", "</IRQ>", "<EOI>", "<SOFTIRQ>", "</SOFTIRQ>")):
            frames.append(f)
        j += 1
    return frames, j


def _held(body: list[str]) -> tuple[list[str], str | None]:
    j = _find(body, r"^\s*(\d+ locks? held by |no locks held by )")
    if j < 0:
        return [], None
    m = _HELD_HEADER.match(body[j])
    if not m:
        m2 = _NO_LOCKS.match(body[j])
        return [], m2.group(1) if m2 else None
    held = []
    after_entry = False
    for k in range(j + 1, len(body)):
        t = body[k]
        if not _HELD_ENTRY.match(t):
            if t.strip():
                if not after_entry:
                    break
                after_entry = False  # the tail of an entry a mailer or the console wrapped
            continue
        after_entry = True
        cls = lock_class(_HELD_ENTRY.sub("", rejoin(body, k), count=1))
        if cls and (not held or held[-1] != cls):  # syzbot prints [inline] frames as repeated entries
            held.append(cls)
    return held, m.group(2)


def _kernel(body: list[str]) -> str | None:
    for t in body[1:4]:
        m = _VERSION.match(t)
        if m:
            return m.group(1)
    for t in body:
        m = _CPU_LINE.search(t)
        if m:
            return m.group(1)
    return None


def _backtrace(body: list[str]) -> list[str]:
    j = _find(body, r"^\s*(stack backtrace:|Call Trace:|Call trace:)")
    if j < 0:
        return []
    k = _find(body, r"^\s*(Call Trace:|Call trace:)", j)
    j = k if k >= 0 else j
    out = []
    for t in body[j + 1:]:
        s = _FRAME_ADDR.sub("", t).strip()
        if not s or s in ("<TASK>", "</TASK>", "<IRQ>", "</IRQ>"):
            if out and not s:
                break
            continue
        if not re.search(r"\+0x[0-9a-f]+", s):
            if out:
                break
            continue
        out.append(s)
    return out


def _parse_report(body: list[str], file: str, line: int, kind: str, title: str) -> Splat:
    s = Splat(file, line, kind, title, kernel=_kernel(body))
    s.held, holder = _held(body)
    s.backtrace = _backtrace(body)
    if kind == CIRCULAR and title.startswith("Circular dependency has been detected"):
        _parse_dept(body, s)
    elif kind == CIRCULAR:
        _parse_circular(body, s)
    elif kind == RECURSIVE:
        j = _find(body, r" is trying to acquire lock:")
        if j < 0:
            raise Malformed("no 'is trying to acquire lock' line")
        s.task = body[j].split(" is trying to acquire lock:")[0].strip()
        s.raw_classes = [_lock_after(body, r" is trying to acquire lock:", "is trying to acquire lock")]
        _lock_after(body, r"but task is already holding lock:", "but task is already holding lock")
    elif kind == INCONSISTENT:
        j = _find(body, r"^\s*inconsistent \{[\w -]+\} -> \{[\w -]+\} usage")
        k = _find(body, r" takes:\s*$")
        if j < 0 or k < 0:
            raise Malformed("no 'inconsistent {..} -> {..} usage' / 'takes:' lines")
        s.detail = body[j].strip()
        s.task = re.sub(r"\s*\[HC.*$|\s*takes:\s*$", "", body[k]).strip()
        s.raw_classes = [_lock_after(body, r" takes:\s*$", "takes")]
    elif kind == IRQ_INVERSION:
        _parse_irq(body, s, title)
    elif kind == BAD_UNLOCK:
        j = _find(body, r" is trying to release lock \(")
        if j < 0:
            raise Malformed("no 'is trying to release lock' line")
        t = body[j]
        s.task = t.split(" is trying to release lock")[0].strip()
        cls = lock_class(t[t.index(" is trying to release lock") + len(" is trying to release lock"):])
        if cls is None:
            raise Malformed("no lock class in the release line")
        s.raw_classes = [cls]
    elif kind == HELD_FREED:
        j = _find(body, r"is freeing memory")
        if j < 0:
            raise Malformed("no 'is freeing memory' line")
        s.task = body[j].split(" is freeing memory")[0].strip()
        _, t = _next_content(body, j + 1)
        cls = lock_class(t)
        s.raw_classes = [cls] if cls else list(s.held[:1])
        if not s.raw_classes:
            raise Malformed("no lock named")
    elif kind in (HELD_AT_EXIT, RETURN_TO_USER):
        if holder is None and not s.held:
            raise Malformed("no held-locks list")
        s.task = holder
        s.raw_classes = list(s.held)
        m = re.search(r"WARNING: (\S+) still has locks held", body[0])
        if m:
            s.task = m.group(1)
    elif kind == INVALID_WAIT:
        j = _find(body, r" is trying to lock:")
        if j < 0:
            raise Malformed("no 'is trying to lock' line")
        s.task = body[j].split(" is trying to lock:")[0].strip()
        s.raw_classes = [_lock_after(body, r" is trying to lock:", "is trying to lock")]
        k = _find(body, r"^\s*context-\{\d+:\d+\}")
        w = re.search(r"\}-(\{\d+:\d+\})", rejoin(body, _next_content(body, j + 1)[0]))
        s.detail = f"wait type {w.group(1) if w else '?'} in {body[k].strip() if k >= 0 else 'context-?'}"
    elif kind == NEST_NOT_TAKEN:
        j = _find(body, r" is trying to lock:")
        if j < 0:
            raise Malformed("no 'is trying to lock' line")
        s.task = body[j].split(" is trying to lock:")[0].strip()
        s.raw_classes = [_lock_after(body, r" is trying to lock:", "is trying to lock")]
        k = _find(body, r"but this task is not holding:")
        if k >= 0:
            nk = k + 1
            while nk < len(body) and not body[nk].strip():
                nk += 1
            nest = lock_class(rejoin(body, nk)) if nk < len(body) else None
            if nest:
                s.raw_classes.append(nest)
            else:
                s.detail = "the nest lock line is missing (report cut short)"
    elif kind == BAD_CONTENTION:
        j = _find(body, r" is trying to contend lock \(")
        if j < 0:
            raise Malformed("no 'is trying to contend lock' line")
        t = body[j]
        s.task = t.split(" is trying to contend lock")[0].strip()
        cls = lock_class(t[t.index(" is trying to contend lock") + len(" is trying to contend lock"):])
        if cls is None:
            raise Malformed("no lock class in the contend line")
        s.raw_classes = [cls]
    elif kind == RCU:
        j = _find(body, r"^\s*\S+:\d+ ")
        s.detail = body[j].strip() if j >= 0 else None
        s.task = holder
        s.raw_classes = list(s.held)
    if s.task is None:
        s.task = holder
    s.raw_held = list(s.held)
    _name(s)
    return s


def _name(s: Splat) -> None:
    """Final names: normalised, ``#N`` kept where two keys of this report differ only there, aliases applied."""
    raws = set(s.raw_classes) | set(s.raw_held) | {e.frm for e in s.edges} | {e.to for e in s.edges}
    base = {r: normalize(r) for r in raws}
    keyed = {r: normalize(r, keep_key_number=True) for r in raws}
    variants: dict[str, set[str]] = {}
    for r in raws:
        variants.setdefault(base[r], set()).add(keyed[r])
    names = {}
    for r in raws:
        n = keyed[r] if len(variants[base[r]]) > 1 else base[r]
        canon = apply_aliases(n)
        if canon != n:
            s.aliases[n] = canon
        names[r] = canon
    s.classes = [names[c] for c in s.raw_classes]
    s.held = [names[c] for c in s.raw_held]
    for e in s.edges:
        e.raw_frm, e.raw_to = e.frm, e.to
        e.frm, e.to = names[e.frm], names[e.to]
        e.dep = "signal" if is_event(e.raw_frm) else "wait" if is_event(e.raw_to) else e.dep


_DEPT_CONTEXT = re.compile(r"^\s*context (\w+)\s*$")
_DEPT_ROLE = re.compile(r"^\s*\[([SWE])\] (.*?):?\s*$")


def _last_group(text: str) -> str | None:
    """``&host->lock:0`` from ``__raw_spin_lock_irq(&host->lock:0)``: the last balanced parenthesised group."""
    text = text.rstrip(":")
    if not text.endswith(")"):
        return None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i] == ")":
            depth += 1
        elif text[i] == "(":
            depth -= 1
            if depth == 0:
                return text[i + 1:-1]
    return None


def _parse_dept(body: list[str], s: Splat) -> None:
    """DEPT: each context of the summary waits ([W]) for an event while inside another event's context ([S]):
    a wait dependency S -> W. The contexts chain into the cycle."""
    s.detector = "dept"
    end = _find(body, r"^\s*\[S\]: start of the event context|context \w+'s detail")
    summary = body[: end if end >= 0 else len(body)]
    ctx: list[dict[str, str]] = []
    for t in summary:
        if _DEPT_CONTEXT.match(t):
            ctx.append({})
            continue
        m = _DEPT_ROLE.match(t)
        if m and ctx:
            cls = _last_group(m.group(2))
            if cls is not None:
                ctx[-1].setdefault(m.group(1), cls)
    ctx = [c for c in ctx if "S" in c and "W" in c]
    if not ctx:
        raise Malformed("no 'context' with [S] and [W] lines in the DEPT summary")
    s.raw_classes = [c["S"] for c in ctx]
    s.edges = [Edge(c["S"], c["W"], _dept_stack(body, c["W"]), dep="wait") for c in ctx]
    m = re.search(r"\bComm: (\S+)", "\n".join(body))
    s.task = m.group(1) if m else None


def _dept_stack(body: list[str], cls: str) -> list[str]:
    """The stacktrace under ``[W] ...(cls):`` in a context's detail, if the report kept it."""
    for j, t in enumerate(body):
        if t.lstrip().startswith("[W] ") and t.rstrip().endswith(f"({cls}):"):
            k = _find(body, r"^\s*stacktrace:\s*$", j)
            if 0 <= k <= j + 3:
                return _stack(body, k + 1)[0]
    return []


def _parse_circular(body: list[str], s: Splat) -> None:
    j = _find(body, r" is trying to acquire lock:")
    if j < 0:
        raise Malformed("no 'is trying to acquire lock' line")
    s.task = body[j].split(" is trying to acquire lock:")[0].strip()
    acquiring = _lock_after(body, r" is trying to acquire lock:", "is trying to acquire lock")
    holding = _lock_after(body, r"but task is already holding lock:|but now in release context of a crosslock",
                          "but task is already holding lock")
    blocks: dict[int, tuple[str, list[str]]] = {}
    k = _find(body, r"the existing dependency chain \(in reverse order\) is:")
    if k < 0:
        raise Malformed("no 'existing dependency chain' section")
    j = k + 1
    while j < len(body):
        m = _BLOCK.match(body[j])
        if m:
            cls = lock_class(rejoin(body, j)[m.end() - 1:])
            if cls is None:
                raise Malformed(f"unreadable chain entry: {body[j].strip()[:60]}")
            stack, j = _stack(body, j + 1)
            blocks[int(m.group(1))] = (cls, stack)
            continue
        if re.match(r"^\s*(other info that might help us debug this|Chain exists of|\s*Possible unsafe)", body[j]):
            break
        j += 1
    if not blocks:
        raise Malformed("the dependency chain has no '-> #N' entries (truncated?)")
    top = max(blocks)
    if sorted(blocks) != list(range(top + 1)):
        raise Malformed(f"the dependency chain is incomplete (entries {sorted(blocks)})")
    if top == 0:
        raise Malformed("the dependency chain has only '-> #0' (truncated?)")
    names = [blocks[i][0] for i in range(top + 1)]
    s.raw_classes = names
    s.edges = [Edge(names[i - 1], names[i], blocks[i][1]) for i in range(1, top + 1)]
    s.edges.append(Edge(names[top], names[0], blocks[0][1]))
    if normalize(acquiring) != normalize(names[0]) or normalize(holding) != normalize(names[top]):
        s.detail = f"acquiring {acquiring}, holding {holding}"


def _parse_irq(body: list[str], s: Splat, title: str) -> None:
    m = re.search(r"(\w+(?:-READ)?)-safe -> \1-unsafe", title)
    if m:  # "HARDIRQ-safe -> HARDIRQ-unsafe lock order detected"
        s.detail = m.group(1)
        j = _find(body, r" is trying to acquire:")
        if j < 0:
            raise Malformed("no 'is trying to acquire' line")
        s.task = re.sub(r"\s*\[HC.*$", "", body[j].split(" is trying to acquire:")[0]).strip()
        nxt = _lock_after(body, r" is trying to acquire:", "is trying to acquire")
        prev = _lock_after(body, r"and this task is already holding:", "and this task is already holding")
        safe = _lock_after(body, r"connects a \S+ lock:", "connects a ... lock")
        unsafe = _lock_after(body, r"^\s*to a \S+ lock:", "to a ... lock")
        chain = [safe, prev, nxt, unsafe]
        out: list[str] = []
        for c in chain:
            if not out or normalize(out[-1]) != normalize(c):
                out.append(c)
        s.raw_classes = out
        s.edges = [Edge(a, b) for a, b in zip(out, out[1:])]
        return
    j = _find(body, r" just changed the state of lock:")
    if j < 0:
        raise Malformed("no 'just changed the state of lock' line")
    s.task = body[j].split(" just changed the state of lock:")[0].strip()
    this = _lock_after(body, r" just changed the state of lock:", "just changed the state of lock")
    k = _find(body, r"but this lock (took another|was taken by another), (\S+) lock in the past:")
    if k < 0:
        raise Malformed("no 'but this lock took/was taken by another' line")
    other = _lock_after(body, r"but this lock (took another|was taken by another), (\S+) lock in the past:",
                        "but this lock ... in the past")
    mm = re.search(r"(took another|was taken by another), (\S+) lock", body[k])
    assert mm is not None
    s.detail = mm.group(2)
    s.raw_classes = [this, other] if mm.group(1) == "took another" else [other, this]
    s.edges = [Edge(s.raw_classes[0], s.raw_classes[1])]


def read_text_file(path: str) -> list[str]:
    """Lines of a report file (``-`` for stdin, gzip detected); undecodable bytes are replaced."""
    import gzip
    import sys

    from ..errors import InputError

    try:
        if path == "-":
            data = sys.stdin.buffer.read()
        else:
            with open(path, "rb") as f:
                data = f.read()
        if data[:2] == b"\x1f\x8b":
            data = gzip.decompress(data)
    except (OSError, EOFError) as e:
        raise InputError(path, None, f"cannot read: {getattr(e, 'strerror', None) or e}") from None
    if not data.strip():
        raise InputError(path, None, "empty: no kernel log text")
    head = data[:65536]
    if b"\x00" in head or sum(c < 9 or 13 < c < 32 for c in head) > len(head) // 100:
        raise InputError(path, None, "binary data, not a kernel log or report text")
    return split_lines(data.decode("utf-8", "replace"))


_CRS_BEFORE_LF = re.compile(r"\r+\n")


def split_lines(text: str) -> list[str]:
    """Lines of a text with any line ends: LF, CRLF, a serial console capture's CR CR LF, or lone CRs.

    ``str.splitlines`` alone would read ``\\r\\r\\n`` as two line ends, a blank line after every line."""
    if "\r" in text:
        text = _CRS_BEFORE_LF.sub("\n", text)
    return text.splitlines()


def parse_files(paths: list[str]) -> Iterator[tuple[list[Splat], list[SplatError]]]:
    for p in paths:
        yield parse_text(read_text_file(p), p)
