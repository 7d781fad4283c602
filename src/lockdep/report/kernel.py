"""Kernel style: findings in the layout of the kernel's ``print_*`` functions,
followed by a "what to do" line (``--style kernel``; kernel traces always)."""

from __future__ import annotations

import copy
from typing import Any

from ..engine import findings as F
from ..engine.findings import Finding
from .scenario import scenario


def _rule(title: str) -> list[str]:
    bar = "=" * len(title)
    return ["", bar, title, "-" * len(title)]


def _known(site: str | None) -> bool:
    """A site worth printing (the runtime writes "?" where it knows none)."""
    return bool(site) and site != "?"


def _site_or_line(site: str | None, line: int) -> str:
    return site if site and _known(site) else f"trace line {line}"


def _lockline(d: dict | None, cls: str | None = None) -> str:
    if not d:
        return f" ({cls})"
    at = f", at: {d['site']}" if _known(d.get("site")) else ""
    line = f" [trace line {d['line']}]" if d.get("line") else ""
    usage = "" if d.get("event") else d.get("usage", "")
    return f" ({d.get('class', cls)}){usage}{at}{line}"


def _stack_lines(stack: list[str] | None, site: str | None, indent: str = "       ") -> list[str]:
    if stack:
        return [indent + s for s in stack]
    if _known(site):
        return [indent + site]
    return [indent + "(no stack recorded)"]


def _witness_lines(w: dict | None) -> list[str]:
    if not w:
        return ["       (edge known from a merged graph; no witness)"]
    out = _stack_lines(w.get("stack"), w.get("site"))
    how = {"wait": "waited for", "signal": "taken inside the event's window"}.get(w.get("how", ""), "taken")
    prev = f"; the earlier lock was taken at {w['prev_site']}" if _known(w.get("prev_site")) else ""
    if w.get("how") == "signal":
        prev = f"; the event was signalled at {w['prev_site']}" if _known(w.get("prev_site")) else ""
    at = f" at trace line {w['line']}" if w.get("line") else ""
    out.append(f"       [{how} by {w.get('task')}{at}{prev}]")
    return out


def _where(line: int) -> str:
    return f"trace line {line}, " if line else ""


def _held(f: Finding) -> list[str]:
    if not f.held:
        return [f"no locks held by {f.task}."]
    n = len(f.held)
    out = [f"{n} lock{'s' if n != 1 else ''} held by {f.task}:"]
    for i, h in enumerate(f.held):
        at = f", at: {h.site}" if _known(h.site) else ""
        out.append(f" #{i}: ({h.cls}){h.usage}{at}" + (f" [trace line {h.line}]" if h.line else ""))
    return out


def _take(cls: str, mode: str | None, event: bool) -> str:
    if event:
        return f"wait({cls});"
    return f"{'r' if mode and mode.startswith(('read', 'recursive')) else ''}lock({cls});"


_OP = {"lock": "lock({});", "read": "rlock({});", "wait": "wait({});", "signal": "signal({});"}


def _scenario_two(f: Finding) -> list[str]:
    out = [" Possible unsafe locking scenario:", "", "       CPU0                    CPU1",
           "       ----                    ----"]
    sc = scenario(f)
    for who, step in sc.steps if sc else []:
        out.append(("  " if who == 0 else "                               ") + _OP[step.op].format(step.cls))
    out += ["", " *** DEADLOCK ***", ""]
    return out


def render_circular(f: Finding) -> list[str]:
    d = f.details
    how = d["how"]
    acq, hold = d["acquiring"], d["holding"]
    chain = d["chain"]
    out = _rule("WARNING: possible circular locking dependency detected")
    if how == "signal":
        at = f", at: {d['signal_site']}" if _known(d.get("signal_site")) else ""
        out += [f"{f.task} is signalling event:", f" ({hold.get('class', f.classes[-1])}){at}",
                "", "but inside that event's window the task took lock:", _lockline(acq, f.classes[0]), "",
                "which lock already depends on the event.", ""]
    else:
        verb = "wait for event" if how == "wait" else "acquire lock"
        out += [f"{f.task} is trying to {verb}:", _lockline(acq, f.classes[0]), "",
                "but task is already holding lock:", _lockline(hold, f.classes[-1]), "",
                f"which lock already depends on the new {'event' if how == 'wait' else 'lock'}.", ""]
    out += ["", "the existing dependency chain (in reverse order) is:"]
    names = f.classes
    for k in range(len(names) - 1, 0, -1):
        e = chain[k - 1] if k - 1 < len(chain) else {}
        out += ["", f"-> #{k} ({names[k]}) [{'/'.join(e.get('dep', []))}]:"] + _witness_lines(e.get("witness"))
    out += ["", f"-> #0 ({names[0]}):"]
    if how == "signal":
        taken = f" at trace line {acq['line']}" if acq.get("line") else ""
        signalled = f" at trace line {f.line}" if f.line else ""
        if not f.line and _known(d.get("signal_site")):
            signalled = f" at {d['signal_site']}"
        out += _stack_lines(None, acq.get("site")) + [f"       [taken by {f.task}{taken}, "
                                                      f"then the event was signalled{signalled}]"]
    else:
        out += _stack_lines(d.get("stack"), d.get("site")) + [f"       [{_where(f.line)}task {f.task}]"]
    out += ["", "other info that might help us debug this:", ""]
    if len(names) > 2:
        out += ["Chain exists of:", "  " + " --> ".join(names), ""]
    out += _scenario_two(f)
    out += _held(f)
    if f.guarded_by:
        out += ["", f"every edge of this cycle was taken while holding ({f.guarded_by}) exclusively: "
                    "the cycle cannot deadlock as long as that lock is always taken first."]
    if d.get("beyond_kernel"):
        out += ["", f"--complete: modern lockdep would miss this: {d['beyond_kernel']}."]
    return out


def render_recursive(f: Finding) -> list[str]:
    d = f.details
    cls = f.classes[0]
    out = _rule("WARNING: possible recursive locking detected")
    verb = "wait for event" if d.get("waiting") else "acquire lock"
    out += [f"{f.task} is trying to {verb}:", _lockline(d["acquiring"], cls), "", "but task is already holding lock:",
            _lockline(d["holding"], cls), "", "other info that might help us debug this:",
            " Possible unsafe locking scenario:", "", "       CPU0", "       ----",
            "  " + _take(cls, d["holding"].get("mode"), False), "  " + _take(cls, d["acquiring"].get("mode"),
                                                                              bool(d.get("waiting"))),
            "", " *** DEADLOCK ***", ""]
    if not d.get("same_instance"):
        out += [" May be due to missing lock nesting notation", ""]
    out += _held(f)
    out += ["", "stack backtrace:"] + _stack_lines(d.get("stack"), d["acquiring"].get("site"), " ")
    return out


def render_inconsistent(f: Finding) -> list[str]:
    d = f.details
    cls = f.classes[0]
    out = _rule("WARNING: inconsistent lock state")
    out += [f"inconsistent {{{d['old_usage']}}} -> {{{d['new_usage']}}} usage.", f"{f.task} takes:",
            _lockline(d["acquiring"], f.classes[0]), f"{{{d['old_usage']}}} state was registered at:"]
    reg = d.get("registered")
    if reg:
        out += _stack_lines(reg.get("stack"), reg.get("site"), "  ") + [
            f"  [{_where(reg.get('line', 0))}task {reg.get('task')}]"]
    interrupt = "<Signal>" if d["state"] == "HANDLER" else "<Interrupt>"
    out += ["", "other info that might help us debug this:", " Possible unsafe locking scenario:", "",
            "       CPU0", "       ----", f"  lock({cls});", f"  {interrupt}", f"    lock({cls});", "",
            " *** DEADLOCK ***", ""]
    out += _held(f)
    out += ["", "stack backtrace:"] + _stack_lines(d.get("stack"), d["acquiring"].get("site"), " ")
    return out


def render_irq_inversion(f: Finding) -> list[str]:
    d = f.details
    state = d["state"]
    if d["how"] == "edge":
        title = f"WARNING: {state}-safe -> {state}-unsafe lock order detected"
    else:
        title = "WARNING: possible irq lock inversion dependency detected"
    out = _rule(title)
    out += [f"{f.task} is trying to acquire:" if d["how"] == "edge" else f"{f.task} just changed the state of lock:",
            _lockline(d["acquiring"], f.classes[0])]
    if d.get("holding"):
        out += ["", "and this task is already holding:", _lockline(d["holding"], f.classes[-1])]
    out += ["", f"which would create a new lock dependency path from the {state}-safe lock "
                f"({d['safe']}) to the {state}-unsafe lock ({d['unsafe']}):", "", "  " + " --> ".join(f.classes), ""]
    for label, key, cls in (("safe", "safe_registered", d["safe"]), ("unsafe", "unsafe_registered", d["unsafe"])):
        reg = d.get(key)
        usage = d.get(f"{label}_usage") or "used"
        out.append(f"the {state}-{label} lock ({cls}) became {usage} at:")
        if reg:
            out += _stack_lines(reg.get("stack"), reg.get("site"), "  ") + [
                f"  [{_where(reg.get('line', 0))}task {reg.get('task')}]"]
        out.append("")
    for e in d["chain"]:
        if e.get("witness"):
            out += [f"dependency ({e['from']}) --> ({e['to']}) first seen at:"] + _witness_lines(e["witness"])
    interrupt = "<Signal>" if state == "HANDLER" else "<Interrupt>"
    safe, unsafe = d["safe"], d["unsafe"]
    mid = f.classes[1] if len(f.classes) > 2 else safe
    out += ["", "other info that might help us debug this:", " Possible interrupt unsafe locking scenario:", "",
            "       CPU0                    CPU1", "       ----                    ----", f"  lock({unsafe});",
            "                               local_irq_disable();" if state != "HANDLER" else
            "                               block signals;",
            f"                               lock({safe});", f"                               lock({unsafe});"
            if mid == safe else f"                               lock({mid});",
            f"  {interrupt}", f"    lock({safe});", "", " *** DEADLOCK ***", ""]
    out += _held(f)
    return out


def render_bad_unlock(f: Finding) -> list[str]:
    d = f.details
    out = _rule("WARNING: bad unlock balance detected!")
    out += [f"{f.task} is trying to release lock ({f.classes[0]}) at:", _site_or_line(d.get("site"), f.line),
            "but there are no more locks to release!"]
    if d.get("held_by"):
        out.append(f"(the lock is held by {', '.join(d['held_by'])})")
    out += ["", "other info that might help us debug this:"] + _held(f)
    out += ["", "stack backtrace:"] + _stack_lines(d.get("stack"), d.get("site"), " ")
    return out


def render_held(f: Finding) -> list[str]:
    if f.kind == F.HELD_AT_EXIT:
        out = _rule(f"WARNING: {f.task} still has locks held!")
        site = f.details.get("site")
        out += [f"the task exited at trace line {f.line}" + (f" ({site})" if _known(site) else "")]
    elif f.kind == F.HELD_FREED:
        d = f.details
        out = _rule("WARNING: held lock freed!")
        out += [f"lock {d['lock']} ({f.classes[0]}) is freed at {_site_or_line(d.get('site'), f.line)}",
                f"while {f.task} holds it" + (f" (taken at {d['acquired_at']})" if _known(d["acquired_at"]) else "")]
    else:
        d = f.details
        out = _rule("WARNING: fork while other tasks hold locks!")
        out += [f"{f.task} forks at {_site_or_line(d.get('site'), f.line)} while "
                f"{', '.join(d.get('holders', []))} hold{'s' if len(d.get('holders', [])) == 1 else ''} "
                f"locks; the child inherits them locked, with no thread to release them."]
    out += [""] + _held(f)
    return out


def render_deadlock(f: Finding) -> list[str]:
    """The hang watchdog's report: the wait-for cycle, then each thread like a faulthandler
    dump plus its wait and the locks it holds."""
    d = f.details
    threads = d["threads"]
    out = _rule("WARNING: deadlock detected")
    out.append(f"{len(threads)} thread{'s' if len(threads) != 1 else ''} blocked for more than {d['timeout']:g} s "
               "in waits that no running thread can end:")

    def edge(t: dict) -> str:
        by = " or ".join("itself" if n == t["thread"] else n for n in t["waits_for"])
        if t["or_any_thread"]:
            by = f"{by}; no other thread is left to release it" if by else "any thread; none is left to do it"
        return f" {t['thread']} waits for {t['wait']['what']}" + (f", {t['how']} {by}" if t["how"] else "")

    n = len(d["cycle"])
    if n:
        out += ["", "wait-for cycle:" if n > 1 else "a thread waits for itself:"] + [edge(t) for t in threads[:n]]
    if threads[n:]:
        out += ["", "blocked on it:" if n else "blocked:"] + [edge(t) for t in threads[n:]]
    for t in threads:
        w = t["wait"]
        out += ["", f"{t['thread']} (ident {t['ident']}), blocked for {t['blocked_for']:g} s:",
                f" waiting for {w['what']}" + (f", at: {w['site']}" if w["site"] else "")]
        held = t["held"]
        out.append(f" {len(held)} lock{'s' if len(held) != 1 else ''} held by {t['thread']}" + (":" if held else "."))
        out += [f" #{i}: ({h['class']}) {h['lock']}, at: {h['site']}" for i, h in enumerate(held)]
        out += [" stack (innermost first):"] + _stack_lines(t["stack"], None, "  ")
    out += ["", " *** DEADLOCK ***"]
    if d.get("aborted"):
        out.append(" (the waits of these threads were aborted with lockdep.runtime.DeadlockError)")
    return out


_RENDER = {
    F.CIRCULAR: render_circular,
    F.RECURSIVE: render_recursive,
    F.INCONSISTENT: render_inconsistent,
    F.IRQ_INVERSION: render_irq_inversion,
    F.BAD_UNLOCK: render_bad_unlock,
    F.HELD_AT_EXIT: render_held,
    F.HELD_FREED: render_held,
    F.HELD_AT_FORK: render_held,
    F.DEADLOCK: render_deadlock,
}


def hint(f: Finding) -> str:
    """What to do, in kernel terms."""
    c = f.classes
    d: dict[str, Any] = _Lenient(f.details)
    if f.kind == F.CIRCULAR:
        if f.guarded_by:
            return (f"every edge was taken under {f.guarded_by}; keep taking {f.guarded_by} first on every path "
                    f"that takes these locks (or fix the order to remove the reliance on it)")
        ne = d.get("new_edge") or {"from": c[-1], "to": c[0]}
        if d.get("how") == "signal":
            return (f"do not take {ne.get('to')} inside the window of {ne.get('from')} (before signalling it), "
                    f"or do not wait for {ne.get('from')} while holding a lock that leads to {ne.get('to')}")
        if d.get("how") == "wait":
            return (f"do not wait for {ne.get('to')} while holding {ne.get('from')}: release it before the wait, "
                    f"or make the code that signals {ne.get('to')} stop taking {' -> '.join(c[1:])}")
        return (f"take these locks in one order everywhere: {' -> '.join(c)} already exists, so "
                f"do not take {ne.get('to')} while holding {ne.get('from')} at {_site_or_line(d.get('site'), f.line)}"
                f" (take {ne.get('to')} first, or release {ne.get('from')} before it)")
    if f.kind == F.RECURSIVE:
        if d.get("self_wait"):
            return (f"this thread waits for {c[0]}, which it holds itself, and no other thread ever released a "
                    f"{c[0]}: a self-deadlock. Release it before taking it again, or have the thread that "
                    "should hand it over release it")
        if d.get("same_instance"):
            return (f"this task takes the same {c[0]} twice: a self-deadlock. Do not re-take it "
                    "(pass the 'already locked' state down, or use a reentrant lock)")
        return (f"two locks of class {c[0]} are nested: if that is deliberate and ordered, annotate the inner one "
                "with a subclass (mutex_lock_nested / lockdep.nested(lock, 1) / \"subclass\": 1); "
                "otherwise take them in a fixed order (e.g. by address or id)")
    if f.kind == F.INCONSISTENT:
        st = d["state"].lower()
        if d["state"] == "HANDLER":
            return (f"{c[0]} is taken in a signal handler or finalizer and also by normal code: the handler can "
                    "interrupt the holder on the same thread. Do not take locks there; set a flag or hand the work "
                    "to a queue/thread instead")
        return (f"{c[0]} is taken in {st} context and also with {st}s enabled: take it with {st}s disabled "
                f"everywhere ({'spin_lock_irqsave' if st == 'hardirq' else 'spin_lock_bh'}), "
                f"or stop taking it from {st} context")
    if f.kind == F.IRQ_INVERSION:
        st = d["state"]
        return (f"{d['safe']} is {st}-safe but depends on {d['unsafe']}, which is {st}-unsafe: take {d['unsafe']} "
                f"with {st.lower()}s disabled everywhere, or stop taking it while holding {d['safe']}")
    if f.kind == F.BAD_UNLOCK:
        return ("release only locks this task holds: look for a double unlock, an unlock on an error path that "
                "never locked, or a lock handed to another task")
    if f.kind == F.HELD_AT_EXIT:
        return f"release {', '.join(c)} before the task ends (use `with` or try/finally on every exit path)"
    if f.kind == F.HELD_FREED:
        return f"release {c[0]} before freeing the object that contains it"
    if f.kind == F.HELD_AT_FORK:
        return ("do not fork while other threads hold locks: take and release them around the fork "
                "(os.register_at_fork), or use the 'spawn'/'forkserver' start method")
    if f.kind == F.DEADLOCK:
        return ("each of these threads waits for the next: break the cycle in one place -- take the locks in one "
                "order, or do not wait for a future, thread or condition while holding what its worker or "
                "signaller needs (a work item that waits on a future of its own executor's queue can starve it)")
    return ""


class _Lenient(dict):
    """Details with defaults for what a finding may lack (an older trace, a hand-made finding)."""

    def __missing__(self, key: str) -> Any:
        return _DEFAULTS.get(key, "")


_DEFAULTS: dict[str, Any] = {"how": "acquire", "chain": [], "acquiring": {}, "holding": {}, "held_by": [],
                             "holders": []}


def render(f: Finding) -> str:
    f = copy.copy(f)
    f.details = _Lenient(f.details)
    lines = _RENDER[f.kind](f)
    lines += ["", f"what to do: {hint(f)}"]
    return "\n".join(lines) + "\n"
