"""The runtime's two cores (the C fast path and the pure-Python one) as a user sees them:
the same findings, whichever path an acquisition takes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from runtime_helpers import kinds, run

PROGRAMS = Path(__file__).resolve().parent / "programs"


@pytest.mark.parametrize("core", ["c", "python"])
def test_a_lock_taken_after_waiting_orders_what_is_taken_under_it(core, tmp_path):
    out = tmp_path / "findings.json"
    p = run(["-m", "lockdep", "--json", str(out), str(PROGRAMS / "contended_then_nested.py")], LOCKDEP_CORE=core)
    assert p.returncode == 0, p.stderr
    assert kinds(json.loads(out.read_text())["findings"]) == [
        ("circular_dependency", ["contended_then_nested.a", "contended_then_nested.c"])]


def test_the_c_chain_cache_holds_chain_keys_as_a_set_does():
    speedups = pytest.importorskip("lockdep.runtime._speedups")
    keys = [hash((-1, 4)), hash((hash((-1, 4)), 8)), 0, -1, 2**63 - 1, -(2**63)]
    chains = speedups.ChainSet(keys[:2])
    for k in keys[2:]:
        chains.add(k)
    chains.update(range(1, 5000))
    assert len(chains) == len(set(keys) | set(range(1, 5000)))
    assert all(k in chains for k in keys) and 5000 not in chains and "x" not in chains
    assert sorted(chains) == sorted(set(keys) | set(range(1, 5000)))
    with pytest.raises(TypeError):  # not a 64-bit key
        chains.add(2**64)
    chains.clear()
    assert len(chains) == 0 and keys[0] not in chains
