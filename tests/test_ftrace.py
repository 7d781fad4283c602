"""Kernel lock tracepoints (ftrace / perf script) through the same engine."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

FIX = Path(__file__).resolve().parent / "fixtures" / "ftrace"


def lockdep(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lockdep", *args], capture_output=True, text=True)


def test_ftrace_abba_and_contention():
    p = lockdep("replay", "--format", "ftrace", "--json", str(FIX / "abba.trace"))
    assert p.returncode == 1, p.stderr
    out = json.loads(p.stdout)
    assert [(f["kind"], f["classes"]) for f in out["findings"]] == [
        ("circular_dependency", ["&dev->mutex", "&priv->lock"])]
    assert out["findings"][0]["task"] == "bash-1234"
    assert out["lock_stat"] == [{"class": "&dev->mutex", "contentions": 1, "acquisitions": 2,
                                 "wait_max_us": out["lock_stat"][0]["wait_max_us"],
                                 "wait_total_us": out["lock_stat"][0]["wait_total_us"]}]
    assert abs(out["lock_stat"][0]["wait_total_us"] - 145.0) < 0.01


def test_ftrace_text_has_lock_stat_table():
    p = lockdep("replay", "--format", "ftrace", str(FIX / "abba.trace"))
    assert "WARNING: possible circular locking dependency detected" in p.stdout
    assert "lock_stat" in p.stdout and "&dev->mutex" in p.stdout


def test_hardirq_flag_maps_to_context(tmp_path):
    out = lockdep("convert", str(FIX / "abba.trace")).stdout.splitlines()
    irq = [json.loads(x) for x in out if "rq->__lock" in x and '"acquire"' in x]
    assert irq[0]["context"] == "hardirq" and irq[0]["irqs_disabled"] is True


def test_perf_script_try_and_read_flags(tmp_path):
    out = tmp_path / "t.jsonl"
    assert lockdep("convert", str(FIX / "perf-script.txt"), "-o", str(out)).returncode == 0
    evs = [json.loads(x) for x in out.read_text().splitlines()]
    acq = [e for e in evs if e["op"] == "acquire"]
    assert acq[1]["mode"] == "shared" and acq[3]["try"] is True
    assert [e["kind"] for e in evs if e["op"] == "lock_init"] == ["mutex", "rwsem"]
    # the converted trace replays like the original: the trylock closes no cycle
    r = lockdep("replay", "--json", str(out))
    assert r.returncode == 0 and json.loads(r.stdout)["findings"] == []
    r = lockdep("replay", "--format", "ftrace", "--json", str(FIX / "perf-script.txt"))
    assert r.returncode == 0


def test_not_a_trace_is_bad_input(tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("hello\n")
    p = lockdep("replay", "--format", "ftrace", str(f))
    assert p.returncode == 2 and p.stderr.startswith(f"lockdep: {f}: no lock_acquire")
    f.write_text("  bash-1 [000] ..... 1.0: lock_acquire: zzz\n")
    p = lockdep("replay", "--format", "ftrace", str(f))
    assert p.returncode == 2 and f"{f}:1:" in p.stderr
