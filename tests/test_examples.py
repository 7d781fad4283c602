"""The bundled examples: the 2017 CPU-hotplug loop, and the same with the loop broken."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def lockdep(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lockdep", *args], capture_output=True, text=True)


def test_hotplug_example_prints_the_splat():
    p = lockdep("replay", str(EXAMPLES / "cpu-hotplug.jsonl"))
    assert p.returncode == 1, p.stderr
    out = p.stdout
    assert "WARNING: possible circular locking dependency detected" in out
    assert "xorg/1380 is trying to acquire lock:" in out
    assert "Chain exists of:\n  cpu_hotplug_lock --> cpuhp_state-up --> kernfs_mutex --> &mm->mmap_sem" in out
    assert "device_create+0x49/0x60" in out  # the witness of cpuhp_state-up -> kernfs_mutex
    assert "rlock(cpu_hotplug_lock);" in out  # cpus_read_lock() in the unsafe scenario


def test_hotplug_example_json():
    p = lockdep("replay", "--json", str(EXAMPLES / "cpu-hotplug.jsonl"))
    out = json.loads(p.stdout)
    assert [(f["kind"], f["classes"]) for f in out["findings"]] == [
        ("circular_dependency", ["cpu_hotplug_lock", "cpuhp_state-up", "kernfs_mutex", "&mm->mmap_sem"])]
    assert out["findings"][0]["sites"][0] == "kernel/cpu.c:68"


def test_fixed_hotplug_example_is_clean():
    p = lockdep("replay", str(EXAMPLES / "cpu-hotplug-fixed.jsonl"))
    assert p.returncode == 0, p.stdout
    assert "0 findings" in p.stdout
