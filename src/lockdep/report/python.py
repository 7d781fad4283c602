"""Python style: a finding as a Python developer reads it -- which thread does
what where (the user's frames first, lockdep/runpy/threading/pytest frames
collapsed), a "Thread A / Thread B" table of how it deadlocks, and a fix in
Python terms.  The default for findings about Python programs."""

from __future__ import annotations

import re
from typing import Any

from ..engine import findings as F
from ..engine.findings import Finding
from .frames import Frame, collapse, headline, parse, parse_stack
from .scenario import Step, scenario

RULE = "=" * 72
_SRC_INDENT = "      "


def _event(cls: str) -> tuple[str, str, str | None]:
    """``(thread)refresh@app.py:21`` -> ("thread", "refresh", "app.py:21"); ("", cls, None) for a lock."""
    for kind in ("thread", "future", "condition", "event"):
        prefix = f"({kind})"
        if cls.startswith(prefix):
            name, _, at = cls[len(prefix):].partition("@")
            return kind, name, at or None
    return "", cls, None


def _nice(cls: str) -> str:
    """An event node in words: ``(thread)refresh@app.py:21`` -> ``the thread running refresh()``."""
    kind, name, at = _event(cls)
    if kind == "thread":
        return f"the thread running {name}()" if at else f"thread {name}"
    if kind == "future":
        return f"the result of {name}()" if at else f"the result of {name}"
    return f"{kind} {name}" if kind else cls


def _wait_words(cls: str) -> str:
    kind, _, at = _event(cls)
    started = {"thread": "started", "future": "submitted"}.get(kind, "created")
    where = f" ({started} at {at})" if at else ""
    if kind == "thread":
        return f"waits for {_nice(cls)} to finish{where}"
    return f"waits for {_nice(cls)}{where}"


def _frame_lines(fr: Frame | None, indent: str = "  ", lead: str = "at ") -> list[str]:
    if fr is None:
        return []
    out = [f"{indent}{lead}{fr.where}"]
    if fr.src:
        out.append(f"{indent}{_SRC_INDENT}{fr.src}")
    return out


def _where_lines(site: str | None, stack: list[str] | None, indent: str = "  ", more: bool = True) -> list[str]:
    """The headline location (the user's frame), then the rest of the stack, collapsed."""
    top, inner = headline(site, stack)
    out = _frame_lines(top, indent)
    if inner is not None:
        out.append(f"{indent}{_SRC_INDENT}(inside {inner.where})")
    if more and stack:
        for item in collapse(parse_stack(stack), skip=top):
            if isinstance(item, str):
                out.append(f"{indent}{item}")
            elif item is not inner:
                out += _frame_lines(item, indent, "called from ")
    return out


def _site_short(site: str | None) -> str:
    fr = parse(site)
    return fr.where if fr is not None else ""


def _held_lines(f: Finding, whose: str | None = None) -> list[str]:
    if not f.held:
        return []
    out = ["", f"Locks held by {whose or f.task or 'a thread'}:"]
    for h in f.held:
        at = _site_short(h.site)
        out.append(f"  {h.cls}" + (f"  ({at})" if at else ""))
    return out


def _title(text: str) -> list[str]:
    return [RULE, f"lockdep: {text}", RULE]


# ------------------------------------------------------------- the table
def _step_text(s: Step, depth: int) -> str:
    pad = "    " * depth
    if s.op == "wait":
        return f"{pad}wait for {_nice(s.cls)}"
    if s.op == "signal":
        kind, name, _ = _event(s.cls)
        if kind in ("thread", "future"):
            return f"{pad}({_nice(s.cls)} ends)" if kind == "thread" else f"{pad}({name}() returns)"
        return f"{pad}signal {_nice(s.cls)}"
    return f"{pad}with {s.cls}:" + ("  (shared)" if s.op == "read" else "")


def _table(f: Finding) -> list[str]:
    sc = scenario(f, _labels(f))
    if sc is None:
        return []
    a_name, b_name = f.task or "this thread", sc.other_task or "another thread"
    rows: list[tuple[int, str]] = []
    depth = [0, 0]
    for who, step in sc.steps:
        text = _step_text(step, depth[who])
        if step.blocks:
            text += f"   # blocks: {'B' if who == 0 else 'A'} holds it" if step.op != "wait" else "   # blocks"
        rows.append((who, text))
        if step.op in ("lock", "read"):
            depth[who] += 1
    head = (f"Thread A ({a_name})", f"Thread B ({b_name})")
    width = max(len(head[0]), *(len(t) for who, t in rows if who == 0)) + 4
    out = ["", "How it can deadlock:", "",
           "  " + head[0].ljust(width) + head[1], "  " + ("-" * len(head[0])).ljust(width) + "-" * len(head[1])]
    for who, text in rows:
        out.append("  " + (text if who == 0 else " " * width + text))
    if sc.note:
        out += ["", f"  {sc.note}"]
    elif sc.waits:
        a, b = sc.waits
        out += ["", f"  ({_nice(a)} cannot {'finish' if _event(a)[0] == 'thread' else 'happen'} until "
                    f"{_nice(b)} {'is signalled' if _event(b)[0] else 'is released'})"]
    if a_name == b_name:
        out += ["", f"  (both orders were seen in {a_name}: two threads running this code can deadlock)"]
    out += ["", "  Neither thread can go on: a deadlock."]
    return out


# ------------------------------------------------------------ the kinds
_INSTANCE = re.compile(r"^(?P<cls>.+?) \((?P<inst>.+)\)$")


def _label(node: str) -> str:
    """``Account.lock (Account.lock of <Account at 0x1>)`` -> ``Account.lock of <Account at 0x1>``."""
    m = _INSTANCE.match(node)
    return m["inst"] if m and m["inst"].startswith(m["cls"]) else node


def _labels(f: Finding) -> list[str]:
    """Names of the cycle's nodes: the classes, or the instances of an instance-order cycle."""
    chain = f.details.get("chain") or []
    if f.details.get("instances") and chain and len(chain) == len(f.classes) - 1:
        return [_label(chain[0]["from"])] + [_label(e["to"]) for e in chain]
    return list(f.classes)


def _circular(f: Finding) -> list[str]:
    d = f.details
    names = _labels(f)
    acq, hold = d.get("acquiring") or {}, d.get("holding") or {}
    acq = {**acq, "class": acq.get("instance") or acq.get("class", names[0])}
    hold = {**hold, "class": hold.get("instance") or hold.get("class", names[-1])}
    how = d.get("how", "acquire")
    if d.get("instances"):
        what = f.classes[0] if len(set(f.classes)) == 1 else " / ".join(dict.fromkeys(f.classes))
        title = (f"possible deadlock: two {what} objects are taken in opposite orders" if len(names) == 2
                 else f"possible deadlock: {len(names)} {what} objects are taken in a cycle")
    elif how == "wait":
        title = f"possible deadlock: waiting for {_nice(names[0])} while holding {names[-1]}"
    elif how == "signal":
        title = f"possible deadlock: waiting for {_nice(names[-1])} while holding {names[0]}, which its signaller needs"
    elif len(names) == 2:
        title = f"possible deadlock: {names[0]} and {names[1]} are taken in opposite orders"
    else:
        title = "possible deadlock: a cycle of " + str(len(names)) + " locks: " + " -> ".join(names + names[:1])
    out = _title(title)
    if how == "signal":
        out += ["", f"{f.task or 'a thread'} takes {acq.get('class', names[0])}"] + _where_lines(acq.get("site"), None)
        signal_at = d.get("signal_site")
        out += [f"  before it signals {_nice(hold.get('class', names[-1]))}"] + (
            _frame_lines(parse(signal_at), "  ") if signal_at else [])
    else:
        verb = _wait_words(acq.get("class", names[0])) if how == "wait" else f"takes {acq.get('class', names[0])}"
        out += ["", f"{f.task or 'a thread'} {verb}"] + _where_lines(d.get("site") or acq.get("site"), d.get("stack"))
        out += [f"  while holding {hold.get('class', names[-1])}, taken"] + _where_lines(hold.get("site"), None,
                                                                                          more=False)
    out += ["", "but the opposite order was seen before:" if len(names) == 2 else "and this chain already exists:"]
    for e in d.get("chain", []):
        e = {**e, "from": _label(e.get("from", "")), "to": _label(e.get("to", ""))}
        w = e.get("witness") or {}
        task = w.get("task") or "a thread"
        if w.get("how") == "wait":
            what = f"{task} {_wait_words(e['to'])} while holding {e['from']}"
        elif w.get("how") == "signal":
            kind = _event(e["from"])[0]
            does = _wait_words(e["to"]) if _event(e["to"])[0] else f"takes {e['to']}"
            what = (f"{task} {does} before it finishes" if kind in ("thread", "future")
                    else f"{task} {does} before it signals {_nice(e['from'])}")
        else:
            what = f"{task} takes {e['to']} while holding {e['from']}"
        out += [f"  {what}"]
        if not w:
            out.append("    (known from a merged graph: no stack recorded)")
            continue
        out += _where_lines(w.get("site"), w.get("stack"), "    ")
        if w.get("prev_site") and w.get("how") != "signal":
            out += [f"    {e['from']} was taken"] + _where_lines(w.get("prev_site"), w.get("prev_stack"), "    ",
                                                                   more=False)
        elif w.get("prev_site") and _event(e["from"])[0] not in ("thread", "future"):
            out += ["    and signals it"] + _where_lines(w.get("prev_site"), None, "    ", more=False)
    out += _table(f)
    if f.guarded_by:
        out += ["", f"Every step of this cycle ran while holding {f.guarded_by}: it cannot deadlock as long as "
                    f"{f.guarded_by} is always taken first."]
    if f.details.get("beyond_kernel"):
        out += ["", f"--complete: modern lockdep would miss this: {f.details['beyond_kernel']}."]
    return out + _held_lines(f)


def _recursive(f: Finding) -> list[str]:
    d = f.details
    cls = f.classes[0]
    acq, hold = d.get("acquiring") or {}, d.get("holding") or {}
    if d.get("same_instance"):
        out = _title(f"possible deadlock: {f.task or 'a thread'} takes {cls} while already holding it")
    else:
        out = _title(f"possible deadlock: two locks of class {cls} nested in one thread")
    verb = _wait_words(cls) if d.get("waiting") else f"takes {cls}"
    out += ["", f"{f.task or 'a thread'} {verb}"] + _where_lines(acq.get("site"), d.get("stack"))
    same = "the same lock" if d.get("same_instance") else f"another {cls}"
    out += [f"  while already holding {same}, taken"] + _where_lines(hold.get("site"), None, more=False)
    if d.get("same_instance"):
        out += ["", f"{cls} is not reentrant: the second acquire waits for this thread to release it, forever."]
    else:
        out += ["", f"Two threads nesting two {cls} objects in opposite orders deadlock."]
    return out + _held_lines(f)


def _inconsistent(f: Finding) -> list[str]:
    d = f.details
    cls = f.classes[0]
    if d.get("state") != "HANDLER":
        return _generic(f, f"{cls} is taken in {str(d.get('state')).lower()} context and with it enabled")
    reg = d.get("registered") or {}
    acq = d.get("acquiring") or {}
    handler_first = str(d.get("new_usage", "")).startswith("IN-")
    out = _title(f"possible deadlock: {cls} is taken in a signal handler or finalizer and by normal code")
    normal = ("by normal code", reg) if handler_first else ("in a signal handler or __del__", reg)
    inside = ("in a signal handler or __del__", acq) if handler_first else ("by normal code", acq)
    for words, where in (normal, inside):
        stack = where.get("stack") if where is reg else d.get("stack")
        out += ["", f"{where.get('task') or f.task} takes {cls} {words}"] + _where_lines(where.get("site"), stack)
    out += ["", "How it can deadlock:", "", f"  with {cls}:", "      <signal handler or __del__ runs on this thread>",
            f"      with {cls}:   # blocks: this thread holds it", "", "  The thread waits for itself: a deadlock."]
    return out + _held_lines(f)


def _bad_unlock(f: Finding) -> list[str]:
    d = f.details
    cls = f.classes[0]
    out = _title(f"{f.task or 'a thread'} releases {cls}, which it does not hold")
    out += [""] + _where_lines(d.get("site"), d.get("stack"))
    if d.get("held_by"):
        out.append(f"  ({cls} is held by {', '.join(d['held_by'])})")
    return out + _held_lines(f)


def _held(f: Finding) -> list[str]:
    d = f.details
    if f.kind == F.HELD_AT_EXIT:
        out = _title(f"thread {f.task or 'a thread'} ended while holding {', '.join(f.classes)}")
        ended = _frame_lines(parse(d.get("site")), "  ", "ended at ")
        out += [""] + ended if ended else []
    elif f.kind == F.HELD_FREED:
        out = _title(f"{f.classes[0]} was freed while {f.task or 'a thread'} holds it")
        out += [""] + _where_lines(d.get("site"), d.get("stack"))
        if d.get("acquired_at"):
            out += ["  taken"] + _where_lines(d["acquired_at"], None, more=False)
    else:
        holders = d.get("holders") or []
        out = _title(f"os.fork() while {', '.join(holders) or 'other threads'} hold{'s' if len(holders) == 1 else ''} "
                     f"{', '.join(f.classes)}")
        out += ["", f"{f.task or 'a thread'} forks"] + _where_lines(d.get("site"), d.get("stack"))
        out += ["", "The child process starts with these locks held and no thread to release them."]
    return out + _held_lines(f, "the other threads" if f.kind == F.HELD_AT_FORK else None)


def _generic(f: Finding, title: str) -> list[str]:
    from .kernel import render

    return _title(title) + ["", "(shown in the kernel's layout)"] + render(f).rstrip("\n").splitlines()[:-2]


_RENDER: dict[str, Any] = {
    F.CIRCULAR: _circular,
    F.RECURSIVE: _recursive,
    F.INCONSISTENT: _inconsistent,
    F.BAD_UNLOCK: _bad_unlock,
    F.HELD_AT_EXIT: _held,
    F.HELD_FREED: _held,
    F.HELD_AT_FORK: _held,
}


# --------------------------------------------------------------- advice
def _src(site: str | None) -> str | None:
    fr = parse(site)
    return fr.src if fr is not None and fr.src else None


def _stmt(site: str | None, cls: str) -> str:
    """The user's statement that takes a lock (``with self.lock:``), else ``with CLASS:``."""
    src = _src(site)
    return src.split("  #")[0].strip() if src and src.lstrip().startswith("with ") else f"with {cls}:"


_BLOCKING_CALL = re.compile(r"[\w.\[\]]+\.(?:join|result|exception|wait|wait_for|get|put|acquire|shutdown)"
                            r"\((?:[^()]|\([^()]*\))*\)")


def _call(site: str | None) -> str | None:
    """The blocking call on a line (``fut.result()`` in ``print(fut.result())``), else the statement."""
    src = _src(site)
    if not src:
        return None
    src = src.split("  #")[0].strip()
    m = _BLOCKING_CALL.search(src)
    return m.group(0) if m else src


def _actor(cls: str) -> str:
    """Who signals an event node: the thread, the work item, the code that notifies."""
    kind, name, _ = _event(cls)
    if kind == "future":
        return f"{name}()"
    if kind == "condition":
        return f"the code that notifies {name}"
    return _nice(cls)


def _at(site: str | None) -> str:
    fr = parse(site)
    return f" ({fr.where})" if fr is not None and fr.file else ""


def hint(f: Finding) -> str:
    """A concrete fix in Python terms (never one that cannot work)."""
    d: dict[str, Any] = f.details
    c = f.classes
    if f.kind == F.CIRCULAR:
        acq, hold = d.get("acquiring") or {}, d.get("holding") or {}
        new, held = acq.get("class", c[0]), hold.get("class", c[-1])
        if f.guarded_by:
            return (f"keep taking {f.guarded_by} first wherever these locks are taken, or give the locks one order "
                    "so the code stops relying on it")
        if d.get("how") == "wait":
            site = d.get("site") or acq.get("site")
            call = _call(site)
            what = f"calling {call}" if call else f"waiting for {_nice(new)}"
            last = ((d.get("chain") or [{}])[-1].get("witness")) or {}
            if last.get("how") == "signal":  # held is taken by whoever signals, not by what is waited for
                other = (f"or let {last.get('task') or 'the signalling thread'} signal "
                         f"{_nice(d['chain'][-1]['from'])} without holding {held}{_at(last.get('site'))}")
            else:
                other = f"or make {_actor(new)} stop taking {held}"
            return (f"release {held} before {what}{_at(site)}: leave `{_stmt(hold.get('site'), held)}` first, "
                    + other)
        if d.get("how") == "signal":
            chain = d.get("chain") or [{}]
            w = chain[0].get("witness") or {}
            call = _call(w.get("site"))
            waiting = f"calling {call}{_at(w.get('site'))}" if call else f"waiting for {_nice(held)}"
            return (f"release {new} before {waiting}, or let {f.task or 'the signalling thread'} signal "
                    f"{_nice(held)} before it takes {new}{_at(acq.get('site'))}")
        inner, outer = _stmt(acq.get("site"), new), _stmt(hold.get("site"), held)
        if d.get("instances"):
            what = c[0] if len(set(c)) == 1 else " / ".join(dict.fromkeys(c))
            return (f"always take two {what} objects in one order: `{outer}` then `{inner}`"
                    f"{_at(d.get('site') or acq.get('site'))} ran in both orders for the same two objects. Sort "
                    f"them first (by id() or a key such as an account number), or guard them with one lock")
        return (f"take {new} before {held}{_at(d.get('site') or acq.get('site'))}: move `{inner}` outside "
                f"`{outer}` (or release {held} before taking {new}), so every thread takes them in one order: "
                + " -> ".join(c))
    if f.kind == F.RECURSIVE:
        if d.get("self_wait"):
            return (f"this thread waits for {c[0]}, which it holds itself, and no other thread ever released one: "
                    f"release it before taking it again, or have the thread that should hand it over release it "
                    f"(for a signal between threads, threading.Event or Semaphore says so more plainly)")
        if d.get("same_instance"):
            return (f"do not take {c[0]} again while holding it: split the function into a locked wrapper and an "
                    f"unlocked helper the locked code calls; if re-entry by the same thread is intended, make it a "
                    f"threading.RLock. If another thread is meant to release it (a hand-off), signal with "
                    f"threading.Event or Semaphore instead of a Lock")
        return (f"always nest two {c[0]} objects in one order (e.g. sorted by id()), or, if this nesting is "
                f"deliberate and ordered, mark the inner one: `with lockdep.runtime.nested(inner_lock, 1):`")
    if f.kind in (F.INCONSISTENT, F.IRQ_INVERSION):
        return (f"do not take {c[0] if f.kind == F.INCONSISTENT else d.get('unsafe', c[-1])} in a signal handler or "
                "__del__: set a flag (or put work on a queue.SimpleQueue) there and act on it from normal code; "
                "for logging from a handler, hand records to a logging.handlers.QueueHandler")
    if f.kind == F.BAD_UNLOCK:
        return ("release only locks this thread holds: use `with lock:` instead of paired acquire()/release() "
                "calls, and look for a double release on an error path")
    if f.kind == F.HELD_AT_EXIT:
        return f"release {', '.join(c)} before the thread ends: use `with` so every exit path releases it"
    if f.kind == F.HELD_FREED:
        return f"release {c[0]} before dropping the object that owns it"
    if f.kind == F.HELD_AT_FORK:
        return ("do not fork while other threads hold locks: use multiprocessing's 'spawn' or 'forkserver' start "
                "method, or take and release these locks around the fork with os.register_at_fork()")
    return "see the report above"


def _seen(f: Finding) -> list[str]:
    """One root cause seen many times or in many threads (findings that carry counts)."""
    count, tasks = getattr(f, "count", 1) or 1, list(getattr(f, "tasks", None) or [])
    if count <= 1 and len(tasks) <= 1:
        return []
    times = f"{count} times" if count > 1 else ""
    threads = f"in threads {', '.join(tasks)}" if len(tasks) > 1 else ""
    return ["", f"Seen {' '.join(x for x in (times, threads) if x)}."]


def render(f: Finding) -> str:
    fn = _RENDER.get(f.kind)
    lines = fn(f) if fn is not None else _generic(f, f.kind.replace("_", " "))
    lines += _seen(f)
    lines += ["", f"Fix: {hint(f)}", ""]
    return "\n".join(lines) + "\n"
