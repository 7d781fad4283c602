"""Scenarios of the kernel's lib/locking-selftest.c, with the verdicts that file
expects (FAILURE = a report, SUCCESS = none), replayed through ``lockdep replay``.

Lock types as in the selftest headers: spin (spinlock), wlock (write_lock on an
rwlock), rlock (read_lock: a recursive reader), mutex, wsem (down_write),
rsem (down_read: a non-recursive reader).
"""

from __future__ import annotations

import pytest

from conftest import acq, init, kinds, rel

TYPES = {
    "spin": ("spinlock", "exclusive"),
    "wlock": ("rwlock", "exclusive"),
    "rlock": ("rwlock", "shared"),
    "mutex": ("mutex", "exclusive"),
    "wsem": ("rwsem", "exclusive"),
    "rsem": ("rwsem", "shared"),
}


def decl(kind: str, *names: str) -> list:
    return [init(n, n, kind) for n in names]


def lu2(task: str, x: str, y: str, mode: str) -> list:
    return [acq(task, x, mode=mode), acq(task, y, mode=mode), rel(task, y), rel(task, x)]


# name -> (pairs taken LOCK_UNLOCK_2 in order, the cycle lockdep reports)
CIRCULAR = {
    "ABBA": ([("A", "B"), ("B", "A")], ["A", "B"]),
    "ABBCCA": ([("A", "B"), ("B", "C"), ("C", "A")], ["A", "B", "C"]),
    "ABCABC": ([("A", "B"), ("C", "A"), ("B", "C")], ["C", "A", "B"]),
    "ABBCCDDA": ([("A", "B"), ("B", "C"), ("C", "D"), ("D", "A")], ["A", "B", "C", "D"]),
    "ABCDBDDA": ([("A", "B"), ("C", "D"), ("B", "D"), ("D", "A")], ["A", "B", "D"]),
    "ABCDBCDA": ([("A", "B"), ("C", "D"), ("B", "C"), ("D", "A")], ["A", "B", "C", "D"]),
}


@pytest.mark.parametrize("ltype", list(TYPES))
@pytest.mark.parametrize("name", list(CIRCULAR))
@pytest.mark.parametrize("tasks", ["one-task", "per-pair-task"])
def test_circular_6R(replay, name, ltype, tasks):
    kind, mode = TYPES[ltype]
    pairs, cycle = CIRCULAR[name]
    events = decl(kind, "A", "B", "C", "D")
    for i, (x, y) in enumerate(pairs):
        events += lu2("T" if tasks == "one-task" else f"T{i}", x, y, mode)
    rc, found = replay(events)
    if ltype == "rlock":  # recursive readers never wait for each other
        assert (rc, found) == (0, [])
    else:
        assert rc == 1
        assert kinds(found) == [("circular_dependency", cycle)]
        assert found[0]["events"][-1] == len(events) - 2  # completed by the last pair's inner acquire


@pytest.mark.parametrize("ltype", list(TYPES))
def test_AA_6R(replay, ltype):
    kind, mode = TYPES[ltype]
    events = [init("X1", "X", kind), init("X2", "X", kind), acq("T", "X1", mode=mode), acq("T", "X2", mode=mode)]
    rc, found = replay(events)
    if ltype == "rlock":
        assert (rc, found) == (0, [])
    else:
        assert kinds(found) == [("recursive_locking", ["X"])]


@pytest.mark.parametrize("ltype", list(TYPES))
def test_double_unlock(replay, ltype):
    kind, mode = TYPES[ltype]
    rc, found = replay(decl(kind, "A") + [acq("T", "A", mode=mode), rel("T", "A"), rel("T", "A")])
    assert rc == 1
    assert kinds(found) == [("bad_unlock_balance", ["A"])]
    assert found[0]["events"] == [4]


@pytest.mark.parametrize("ltype", list(TYPES))
def test_initialize_held(replay, ltype):
    kind, mode = TYPES[ltype]
    rc, found = replay(decl(kind, "A") + [acq("T", "A", mode=mode), init("A", "A", kind)])
    assert kinds(found) == [("held_lock_freed", ["A"])]


# recursive read-lock matrix: (first, second, same instance?) -> report?
@pytest.mark.parametrize("case,kind,m1,m2,same,expect", [
    ("rlock_AA1", "rwlock", "shared", "shared", True, False),
    ("rlock_AA1B", "rwlock", "shared", "shared", False, False),
    ("rsem_AA1", "rwsem", "shared", "shared", True, True),
    ("rsem_AA1B", "rwsem", "shared", "shared", False, True),
    ("rlock_AA2", "rwlock", "shared", "exclusive", False, True),
    ("rsem_AA2", "rwsem", "shared", "exclusive", False, True),
    ("rlock_AA3", "rwlock", "exclusive", "shared", False, True),
    ("rsem_AA3", "rwsem", "exclusive", "shared", False, True),
])
def test_recursive_read_matrix(replay, case, kind, m1, m2, same, expect):
    second = "X1" if same else "X2"
    events = [init("X1", "X", kind), init("X2", "X", kind), acq("T", "X1", mode=m1), acq("T", second, mode=m2)]
    rc, found = replay(events)
    assert kinds(found) == ([("recursive_locking", ["X"])] if expect else [])


def _abba(kind_x: str, kind_y: str, first: tuple, second: tuple, chaincache: bool = False) -> list:
    """X1 taken with mode first[0] then Y1 (first[1]); later Y1 then X1 (second modes)."""
    ev = [init("X1", "X", kind_x), init("Y1", "Y", kind_y),
          acq("T", "X1", mode=first[0]), acq("T", "Y1", mode=first[1]), rel("T", "Y1"), rel("T", "X1")]
    if chaincache:
        ev += [acq("T", "Y1"), acq("T", "X1", mode="shared"), rel("T", "X1"), rel("T", "Y1")]
    ev += [acq("T", "Y1", mode=second[0]), acq("T", "X1", mode=second[1]), rel("T", "X1"), rel("T", "Y1")]
    return ev


@pytest.mark.parametrize("case,kx,ky,first,second,expect", [
    ("rlock_ABBA1", "rwlock", "spinlock", ("shared", "exclusive"), ("exclusive", "exclusive"), True),
    ("rwsem_ABBA1", "rwsem", "mutex", ("shared", "exclusive"), ("exclusive", "exclusive"), True),
    ("rlock_ABBA2", "rwlock", "spinlock", ("shared", "exclusive"), ("exclusive", "shared"), False),
    ("rwsem_ABBA2", "rwsem", "mutex", ("shared", "exclusive"), ("exclusive", "shared"), True),
    ("rlock_ABBA3", "rwlock", "spinlock", ("exclusive", "exclusive"), ("exclusive", "exclusive"), True),
    ("rwsem_ABBA3", "rwsem", "mutex", ("exclusive", "exclusive"), ("exclusive", "exclusive"), True),
])
def test_mixed_read_write_abba(replay, case, kx, ky, first, second, expect):
    rc, found = replay(_abba(kx, ky, first, second))
    assert kinds(found) == ([("circular_dependency", ["X", "Y"])] if expect else [])


def test_chain_cache_distinguishes_read_and_write(replay):
    """rlock_chaincache_ABBA1: Y->X(read) cached must not hide Y->X(write)."""
    rc, found = replay(_abba("rwlock", "spinlock", ("shared", "exclusive"), ("exclusive", "exclusive"),
                             chaincache=True))
    assert kinds(found) == [("circular_dependency", ["X", "Y"])]


# Three-lock read/recursive-read cycles (lockdep-design.rst "Recursive read locks").
@pytest.mark.parametrize("name,modes,expect", [
    # each step: (held, mode), (taken, mode)
    ("W1R2_W2R3_W3R1", [("exclusive", "shared"), ("exclusive", "shared"), ("exclusive", "shared")], True),
    ("W1W2_R2R3_R3W1", [("exclusive", "exclusive"), ("shared", "shared"), ("shared", "exclusive")], False),
    ("W1R2_R2R3_W3W1", [("exclusive", "shared"), ("shared", "shared"), ("exclusive", "exclusive")], False),
    ("W1R2_W2R3_R3W1", [("exclusive", "shared"), ("exclusive", "shared"), ("shared", "exclusive")], False),
    ("W1W2_W2W3_W3W1", [("exclusive", "exclusive")] * 3, True),
])
def test_three_lock_recursive_read(replay, name, modes, expect):
    ev = [init(n, n, "rwlock") for n in ("L1", "L2", "L3")]
    for i, (a, b) in enumerate([("L1", "L2"), ("L2", "L3"), ("L3", "L1")]):
        t = f"T{i}"
        ev += [acq(t, a, mode=modes[i][0]), acq(t, b, mode=modes[i][1]), rel(t, b), rel(t, a)]
    rc, found = replay(ev)
    assert kinds(found) == ([("circular_dependency", ["L1", "L2", "L3"])] if expect else [])


# ---------------------------------------------------------------- irq usage
IRQ_TYPES = {"spin": ("spinlock", "exclusive"), "wlock": ("rwlock", "exclusive"), "rlock": ("rwlock", "shared")}


def in_irq(ctx: str, task: str, lock: str, mode: str) -> list:
    return [acq(task, lock, mode=mode, context=ctx), rel(task, lock)]


@pytest.mark.parametrize("ctx", ["hardirq", "softirq"])
@pytest.mark.parametrize("ltype", list(IRQ_TYPES))
@pytest.mark.parametrize("order", ["12", "21"])
def test_irqsafe1(replay, ctx, ltype, order):
    """irqs-on + irq-safe-A: taken in irq context and with that irq enabled."""
    kind, mode = IRQ_TYPES[ltype]
    e1 = in_irq(ctx, "T", "A", mode)
    e2 = [acq("T", "A", mode=mode), rel("T", "A")]
    rc, found = replay([init("A", "A", kind)] + (e1 + e2 if order == "12" else e2 + e1))
    if ltype == "rlock":
        assert found == []
    else:
        assert kinds(found) == [("inconsistent_lock_state", ["A"])]
        new, old = (f"{ctx.upper()}-ON-W", f"IN-{ctx.upper()}-W")
        if order == "21":
            new, old = old, new
        assert (found[0]["old_usage"], found[0]["new_usage"]) == (old, new)


PERMS = ["123", "132", "213", "231", "312", "321"]


@pytest.mark.parametrize("ctx", ["hardirq", "softirq"])
@pytest.mark.parametrize("ltype", list(IRQ_TYPES))
@pytest.mark.parametrize("perm", PERMS)
def test_irqsafe4(replay, ctx, ltype, perm):
    """safe-A + unsafe-B #2: A->B taken with irqs off, B with irqs on, A in irq."""
    kind, mode = IRQ_TYPES[ltype]
    e = {
        "1": [acq("T", "A", mode=mode, irqs_disabled=True), acq("T", "B", mode=mode, irqs_disabled=True),
              rel("T", "B"), rel("T", "A")],
        "2": [acq("T", "B", mode=mode), rel("T", "B")],
        "3": in_irq(ctx, "T", "A", mode),
    }
    rc, found = replay([init("A", "A", kind), init("B", "B", kind)] + [x for k in perm for x in e[k]])
    if ltype == "rlock":
        assert found == []
    else:
        assert kinds(found) == [("irq_inversion", ["A", "B"])]
        assert found[0]["state"] == ctx.upper()


@pytest.mark.parametrize("ctx", ["hardirq", "softirq"])
@pytest.mark.parametrize("ltype", list(IRQ_TYPES))
@pytest.mark.parametrize("perm", PERMS)
def test_irq_lock_inversion(replay, ctx, ltype, perm):
    """irq lock-inversion: WL(A); LOCK(B) with irqs off, LOCK(B) irqs on, RL(A) in irq."""
    kind, mode = IRQ_TYPES[ltype]
    e = {
        "1": [acq("T", "A", irqs_disabled=True), acq("T", "B", mode=mode, irqs_disabled=True),
              rel("T", "B"), rel("T", "A")],
        "2": [acq("T", "B", mode=mode), rel("T", "B")],
        "3": in_irq(ctx, "T", "A", "shared"),
    }
    rc, found = replay([init("A", "A", "rwlock"), init("B", "B", kind)] + [x for k in perm for x in e[k]])
    if ltype == "rlock":
        assert found == []
    else:
        assert kinds(found) == [("irq_inversion", ["A", "B"])]


@pytest.mark.parametrize("ctx", ["hardirq", "softirq"])
@pytest.mark.parametrize("perm", PERMS)
def test_irq_read_recursion_is_safe(replay, ctx, perm):
    e = {
        "1": [acq("T", "A", irqs_disabled=True), rel("T", "A")],
        "2": [acq("T", "A", mode="shared"), rel("T", "A")],
        "3": [acq("T", "A", mode="shared", context=ctx), acq("T", "B", context=ctx), rel("T", "B"), rel("T", "A")],
    }
    rc, found = replay([init("A", "A", "rwlock"), init("B", "B", "spinlock")] + [x for k in perm for x in e[k]])
    assert (rc, found) == (0, [])
