"""Kernel rules of check_prev_add / cross-release the engine follows, and ``--complete``, which drops two
known false negatives of modern lockdep and labels what it finds beyond it."""

from __future__ import annotations

from conftest import acq, ev, init, kinds, rel


def lu(task: str, *locks: str | tuple[str, str]) -> list:
    """Take ``locks`` in order (``(name, mode)`` for a read mode), then release them all."""
    names = [x if isinstance(x, str) else x[0] for x in locks]
    taken = [acq(task, x) if isinstance(x, str) else acq(task, x[0], mode=x[1]) for x in locks]
    return taken + [rel(task, n) for n in reversed(names)]


DECL = [init("A", "A", "rwsem"), init("B", "B", "rwsem"), init("C", "C", "mutex"),
        init("X", "X", "mutex"), init("Z", "Z", "mutex")]

# A -(EN)-> X -(EN)-> B -(SN)-> C -(EN)-> A is a strong cycle.  When C -> A closes it, the search from A
# first reaches B over A -(ER)-> B (weak: B is then left only_xr), marks B visited and never follows the
# strong A -> X -> B; so the kernel does not report it there.
MISSED_BY_THE_FIRST_SEARCH = DECL + lu("T1", "A", "X") + lu("T1", "X", "B") + lu("T1", "A", ("B", "recursive")) + \
    lu("T2", ("B", "shared"), "C") + lu("T3", "C", "A")


def test_the_first_search_misses_the_cycle_as_the_kernel_does(replay):
    assert replay(MISSED_BY_THE_FIRST_SEARCH) == (0, [])


def test_re_adding_an_existing_edge_from_a_new_chain_searches_again(replay):
    """check_prev_add runs check_noncircular before its "dependency already present" shortcut: the chain
    Z, X, B is new, X -> B is not, and the search from B now finds B -> C -> A -> X."""
    rc, found = replay(MISSED_BY_THE_FIRST_SEARCH + lu("T4", "Z", "X", "B"))
    assert (rc, kinds(found)) == (1, [("circular_dependency", ["B", "C", "A", "X"])])
    assert found[0]["new_edge"] == {"from": "X", "to": "B", "dep": ["EN"]}
    assert "beyond_kernel" not in found[0]


def test_complete_follows_the_strong_path_the_kernel_skips_and_labels_it(replay):
    rc, found = replay(MISSED_BY_THE_FIRST_SEARCH, "--complete")
    assert (rc, kinds(found)) == (1, [("circular_dependency", ["A", "X", "B", "C"])])
    assert "visited" in found[0]["beyond_kernel"]
    rc, text = replay.text(MISSED_BY_THE_FIRST_SEARCH, "--complete")
    assert "modern lockdep would miss this" in text


# Hold A (write) and B (recursive read), take C: the kernel adds only B -> C (check_prevs_add stops at the
# first held non-trylock lock); A -> C is left to A -(ER)-> B -(SN)-> C, which is not a strong path.
HELD_BELOW_THE_TOP = [init("A", "A", "mutex"), init("B", "B", "rwlock"), init("C", "C", "mutex")] + \
    [acq("T1", "A"), acq("T1", "B", mode="recursive"), acq("T1", "C"), rel("T1", "C"), rel("T1", "B"),
     rel("T1", "A")] + lu("T2", "C", "A")


def test_kernel_adds_edges_only_from_the_first_held_lock(replay):
    assert replay(HELD_BELOW_THE_TOP) == (0, [])


def test_complete_adds_edges_from_every_held_lock_and_labels_the_finding(replay):
    rc, found = replay(HELD_BELOW_THE_TOP, "--complete")
    assert (rc, kinds(found)) == (1, [("circular_dependency", ["A", "C"])])
    assert "first held lock" in found[0]["beyond_kernel"]


def test_complete_labels_nothing_the_kernel_reports_too(replay):
    rc, found = replay([init("A", "A", "mutex"), init("B", "B", "mutex")] + lu("T1", "A", "B") + lu("T2", "B", "A"),
                       "--complete")
    assert kinds(found) == [("circular_dependency", ["A", "B"])]
    assert "beyond_kernel" not in found[0]


def window(*acquisitions: tuple[str, str]) -> list:
    """T1 opens the window of event E, takes L in each mode in turn, then signals E; T2 holds L shared and
    waits for E."""
    out = [init("L", "L", "rwsem"), ev("begin", task="T1", event="E")]
    for lock, mode in acquisitions:
        out += [acq("T1", lock, mode=mode), rel("T1", lock)]
    return out + [ev("signal", task="T1", event="E"), acq("T2", "L", mode="shared"), ev("wait", task="T2", event="E"),
                  rel("T2", "L")]


def test_a_write_then_a_read_in_one_window_both_count_and_the_write_makes_it_strong(replay):
    """T1 writes L before it signals E: a writer waits for T2's read hold while T2 waits for E."""
    rc, found = replay(window(("L", "exclusive"), ("L", "recursive")))
    assert (rc, kinds(found)) == (1, [("circular_dependency", ["E", "L"])])
    assert found[0]["chain"][0]["dep"] == ["ER", "EN"]


def test_only_a_recursive_read_in_the_window_stays_weak(replay):
    assert replay(window(("L", "recursive"))) == (0, [])
