"""Each finding kind, the trylock rules, cross-release waits, guards and
report-once, with verdicts worked out from the kernel's rules."""

from __future__ import annotations

from conftest import acq, ev, init, kinds, rel


def abba(t1="T1", t2="T2", a="A", b="B", outer=None):
    pre1 = [acq(t1, outer)] if outer else []
    pre2 = [acq(t2, outer)] if outer else []
    return pre1 + [acq(t1, a), acq(t1, b), rel(t1, b), rel(t1, a)] + ([rel(t1, outer)] if outer else []) + \
        pre2 + [acq(t2, b), acq(t2, a), rel(t2, a), rel(t2, b)] + ([rel(t2, outer)] if outer else [])


def test_abba_between_two_tasks(replay):
    rc, found = replay(abba())
    assert rc == 1
    assert kinds(found) == [("circular_dependency", ["A", "B"])]
    f = found[0]
    assert f["events"] == [2, 6]  # T1 took B under A (line 2); T2 took A under B (line 6)
    assert f["task"] == "T2" and f["line"] == 6
    assert f["guarded_by"] is None


def test_clean_consistent_order(replay):
    ev_ = []
    for t in range(5):
        ev_ += [acq(f"T{t}", "A"), acq(f"T{t}", "B"), acq(f"T{t}", "C"), rel(f"T{t}", "C"), rel(f"T{t}", "B"),
                rel(f"T{t}", "A")]
    assert replay(ev_) == (0, [])


def test_each_cycle_reported_once(replay):
    rc, found = replay(abba() + abba("T3", "T4") + abba(a="C", b="D"))
    assert kinds(found) == [("circular_dependency", ["A", "B"]), ("circular_dependency", ["C", "D"])]


def test_first_stops_after_first_finding(replay):
    rc, found = replay(abba() + abba(a="C", b="D"), "--first")
    assert rc == 1 and kinds(found) == [("circular_dependency", ["A", "B"])]


def test_nested_chain_uses_transitive_edge(replay):
    """Hold A, B; lock C adds only B->C (A->C is implied), so C..A closes A->B->C."""
    events = [acq("T1", "A"), acq("T1", "B"), acq("T1", "C"), rel("T1", "C"), rel("T1", "B"), rel("T1", "A"),
              acq("T2", "C"), acq("T2", "A")]
    assert kinds(replay(events)[1]) == [("circular_dependency", ["A", "B", "C"])]


# ------------------------------------------------------------------ trylock
def test_trylock_adds_no_dependency_to_itself(replay):
    events = [acq("T1", "A"), acq("T1", "B", try_=True), rel("T1", "B"), rel("T1", "A"),
              acq("T2", "B"), acq("T2", "A"), rel("T2", "A"), rel("T2", "B")]
    assert replay(events) == (0, [])


def test_locks_taken_under_a_trylock_depend_on_it(replay):
    events = [acq("T1", "A", try_=True), acq("T1", "B"), rel("T1", "B"), rel("T1", "A"),
              acq("T2", "B"), acq("T2", "A"), rel("T2", "A"), rel("T2", "B")]
    assert kinds(replay(events)[1]) == [("circular_dependency", ["A", "B"])]


def test_edges_from_every_trylock_on_top_and_the_first_real_lock(replay):
    """Hold A, trylock B, trylock C; lock D -> C->D, B->D and A->D."""
    base = [acq("T1", "A"), acq("T1", "B", try_=True), acq("T1", "C", try_=True), acq("T1", "D"),
            rel("T1", "D"), rel("T1", "C"), rel("T1", "B"), rel("T1", "A")]
    for other in ("A", "B", "C"):
        rc, found = replay(base + [acq("T2", "D"), acq("T2", other)])
        assert kinds(found) == [("circular_dependency", [other, "D"])]


def test_trylock_of_held_class_is_not_recursive(replay):
    events = [acq("T", "A"), acq("T", "A", try_=True)]
    assert replay(events) == (0, [])


# ------------------------------------------------------------ other kinds
def test_subclass_nesting_is_allowed_and_named(replay):
    events = [init("x1", "X", "mutex"), init("x2", "X", "mutex"),
              acq("T1", "x1"), acq("T1", "x2", subclass=1), rel("T1", "x2"), rel("T1", "x1")]
    assert replay(events) == (0, [])
    rc, found = replay(events + [acq("T2", "x2", subclass=1), acq("T2", "x1")])
    assert kinds(found) == [("circular_dependency", ["X", "X/1"])]


def test_reentrant_rlock(replay):
    events = [init("r", "R", "rlock"), acq("T", "r"), acq("T", "r"), rel("T", "r"), rel("T", "r")]
    assert replay(events) == (0, [])
    rc, found = replay(events + [rel("T", "r")])
    assert kinds(found) == [("bad_unlock_balance", ["R"])]


def test_two_rlocks_of_one_class_nest_like_the_kernel(replay):
    events = [init("r1", "R", "rlock"), init("r2", "R", "rlock"), acq("T", "r1"), acq("T", "r2")]
    assert kinds(replay(events)[1]) == [("recursive_locking", ["R"])]


def test_semaphore_released_by_another_task_is_a_handoff(replay):
    events = [init("s", "S", "semaphore"), acq("T1", "s"), rel("T2", "s"), ev("task_exit", task="T1")]
    assert replay(events) == (0, [])


def test_release_of_a_lock_another_task_holds(replay):
    rc, found = replay([acq("T1", "m"), rel("T2", "m")])
    assert kinds(found) == [("bad_unlock_balance", ["m"])]
    assert found[0]["held_by"] == ["T1"]


def test_out_of_order_release(replay):
    events = [acq("T", "A"), acq("T", "B"), rel("T", "A"), rel("T", "B"), ev("task_exit", task="T")]
    assert replay(events) == (0, [])


def test_held_lock_at_exit(replay):
    rc, found = replay([acq("T", "A"), acq("T", "B"), rel("T", "B"), ev("task_exit", task="T")])
    assert kinds(found) == [("held_lock_at_exit", ["A"])]


def test_held_lock_freed(replay):
    rc, found = replay([init("a", "A", "spinlock"), acq("T", "a"), ev("free", lock="a")])
    assert kinds(found) == [("held_lock_freed", ["A"])]
    assert replay([init("a", "A", "spinlock"), acq("T", "a"), rel("T", "a"), ev("free", lock="a")]) == (0, [])


def test_held_lock_at_fork(replay):
    rc, found = replay([acq("T1", "A"), ev("fork", task="T2")])
    assert kinds(found) == [("held_lock_at_fork", ["A"])]
    # the forking task's own locks are not reported: the child gets its own copy of its state
    assert replay([acq("T1", "A"), ev("fork", task="T1")]) == (0, [])


def test_handler_context_self_deadlock(replay):
    events = [acq("main", "L"), rel("main", "L"), acq("main", "L", context="handler"), rel("main", "L")]
    rc, found = replay(events)
    assert kinds(found) == [("inconsistent_lock_state", ["L"])]
    assert found[0]["state"] == "HANDLER"


def test_irqs_disabled_masks_every_context(replay):
    events = [acq("T", "L", irqs_disabled=True), rel("T", "L"), acq("T", "L", context="hardirq"), rel("T", "L"),
              acq("T", "L", context="softirq", irqs_disabled=True), rel("T", "L")]
    assert replay(events) == (0, [])


def test_softirq_context_leaves_hardirqs_enabled(replay):
    events = [acq("T", "L", context="softirq"), rel("T", "L"), acq("T", "L", context="hardirq"), rel("T", "L")]
    rc, found = replay(events)
    assert kinds(found) == [("inconsistent_lock_state", ["L"])]
    assert (found[0]["old_usage"], found[0]["new_usage"]) == ("HARDIRQ-ON-W", "IN-HARDIRQ-W")


# ------------------------------------------------------------ cross-release
def test_wait_while_holding_a_lock_the_signaller_needs(replay):
    events = [acq("T1", "A"), ev("wait", task="T1", event="done"),
              ev("begin", task="T2", event="done"), acq("T2", "A"), rel("T2", "A"), ev("signal", task="T2", event="done")]
    rc, found = replay(events)
    assert kinds(found) == [("circular_dependency", ["A", "done"])]
    assert found[0]["events"] == [2, 4, 6]


def test_lock_taken_before_the_window_is_not_blamed(replay):
    events = [acq("T1", "A"), ev("wait", task="T1", event="done"),
              acq("T2", "A"), rel("T2", "A"), ev("begin", task="T2", event="done"), ev("signal", task="T2", event="done")]
    assert replay(events) == (0, [])


def test_window_defaults_to_the_task_start(replay):
    events = [acq("T2", "A"), rel("T2", "A"), ev("signal", task="T2", event="exit:T2"),
              acq("T1", "A"), ev("wait", task="T1", event="exit:T2")]
    rc, found = replay(events)
    assert kinds(found) == [("circular_dependency", ["exit:T2", "A"])]


def test_cycle_through_two_events(replay):
    """T1 holds A and waits for W; W's body waits for X; X's body takes A."""
    events = [ev("begin", task="wq", event="W"), ev("wait", task="wq", event="X"), ev("signal", task="wq", event="W"),
              ev("begin", task="io", event="X"), acq("io", "A"), rel("io", "A"), ev("signal", task="io", event="X"),
              acq("T1", "A"), ev("wait", task="T1", event="W")]
    rc, found = replay(events)
    assert kinds(found) == [("circular_dependency", ["W", "X", "A"])]


def test_waiting_for_an_event_from_inside_it_is_recursive(replay):
    """flush_workqueue() from a work item of the same workqueue."""
    events = [init("wq", "(wq_completion)events", "lockmap"), acq("kworker", "wq"),
              ev("wait", task="kworker", event="(wq_completion)events")]
    assert kinds(replay(events)[1]) == [("recursive_locking", ["(wq_completion)events"])]


# ------------------------------------------------------------------- guards
def test_cycle_under_a_common_gate_lock_is_marked_guarded(replay):
    rc, found = replay(abba(outer="G"))
    assert kinds(found) == [("circular_dependency", ["A", "B"])]
    assert found[0]["guarded_by"] == "G"
    assert replay(abba(outer="G"), "--hide-guarded") == (0, [])


def test_one_unguarded_witness_makes_the_cycle_unguarded(replay):
    events = abba(outer="G")[:6] + [acq("T3", "A"), acq("T3", "B"), rel("T3", "B"), rel("T3", "A")] + \
        abba(outer="G")[6:]
    rc, found = replay(events)
    assert found[0]["guarded_by"] is None
    rc, found = replay(events, "--hide-guarded")
    assert rc == 1


def test_shared_gate_does_not_guard(replay):
    events = [init("G", "G", "rwsem")] + [dict(e, mode="shared") if e.get("lock") == "G" and e["op"] == "acquire"
                                          else e for e in abba(outer="G")]
    rc, found = replay(events)
    assert found[0]["guarded_by"] is None


# --------------------------------------------------------------------- text
def test_text_report_has_kernel_layout_and_advice(replay):
    rc, out = replay.text(abba())
    assert rc == 1
    for line in ("WARNING: possible circular locking dependency detected", "T2 is trying to acquire lock:",
                 "but task is already holding lock:", "the existing dependency chain (in reverse order) is:",
                 "-> #1 (B)", "-> #0 (A):", " Possible unsafe locking scenario:", " *** DEADLOCK ***",
                 "1 lock held by T2:"):
        assert line in out, line
    assert "what to do: " in out
    assert "lockdep: 1 finding;" in out


def test_text_for_every_kind(replay):
    cases = {
        "possible recursive locking detected": [acq("T", "A"), acq("T", "A")],
        "inconsistent lock state": [acq("T", "A"), rel("T", "A"), acq("T", "A", context="hardirq")],
        "bad unlock balance detected!": [rel("T", "A")],
        "T still has locks held!": [acq("T", "A"), ev("task_exit", task="T")],
        "held lock freed!": [acq("T", "A"), ev("free", lock="A")],
        "fork while other tasks hold locks!": [acq("T", "A"), ev("fork", task="U")],
        "possible irq lock inversion dependency detected": [
            acq("T", "A", irqs_disabled=True), acq("T", "B", irqs_disabled=True), rel("T", "B"), rel("T", "A"),
            acq("T", "B"), rel("T", "B"), acq("T", "A", context="hardirq")],
        "HARDIRQ-safe -> HARDIRQ-unsafe lock order detected": [
            acq("T", "B"), rel("T", "B"), acq("T", "A", context="hardirq"), rel("T", "A"),
            acq("T", "A", irqs_disabled=True), acq("T", "B", irqs_disabled=True)],
    }
    for title, events in cases.items():
        rc, out = replay.text(events)
        assert rc == 1 and f"WARNING: {title}" in out, (title, out)
        assert "what to do: " in out
