"""``lockdep splat``: kinds, classes in dependency order, edges and their creators,
on the shared real reports and on fixtures in other kernels' layouts."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lockdep.kernel.splat import normalize

HERE = Path(__file__).resolve().parent
SHARED = HERE / "fixtures" / "kernel-splats"  # copies of ../shared/kernel-splats, with SOURCES.md
FIX = HERE / "fixtures" / "splats"


def splat(*files: str | Path, stdin: bytes | None = None) -> tuple[int, dict]:
    p = subprocess.run([sys.executable, "-m", "lockdep", "splat", "--json", *map(str, files)], input=stdin,
                       capture_output=True)
    assert "Traceback" not in p.stderr.decode(), p.stderr.decode()
    return p.returncode, json.loads(p.stdout)


def one(path: Path) -> dict:
    rc, out = splat(path)
    assert rc == 0 and out["errors"] == []
    assert len(out["reports"]) == 1
    return out["reports"][0]


needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="tests/fixtures/kernel-splats not present")


@needs_shared
def test_circular_cpu_hotplug_slab_kernfs():
    r = one(SHARED / "001-slabinfo-cpuhotplug-kn-count-5.5.txt")
    assert r["kind"] == "circular_dependency"
    assert r["classes"] == ["cpu_hotplug_lock", "slab_mutex", "kn->count"]
    assert r["raw_classes"] == ["cpu_hotplug_lock.rw_sem", "slab_mutex", "kn->count#60"]
    assert r["kernel"] == "5.5.0-rc1" and r["task"] == "slabinfo/142" and r["line"] == 2
    assert r["held"] == ["sb_writers", "&of->mutex", "kn->count"]
    edges = [(e["from"], e["to"], e["by"][0]) for e in r["edges"]]
    assert edges == [("cpu_hotplug_lock", "slab_mutex", "kmem_cache_create_usercopy"),
                     ("slab_mutex", "kn->count", "__kernfs_remove"),
                     ("kn->count", "cpu_hotplug_lock", "kmem_cache_shrink_all")]
    assert r["edges"][0]["stack"][0] == "__mutex_lock+0x86/0x900"


@needs_shared
def test_bad_unlock_balance_with_parenthesised_class():
    r = one(SHARED / "008-bad-unlock-q-usage-counter-syzbot-6.12.txt")
    assert (r["kind"], r["classes"], r["task"]) == ("bad_unlock_balance", ["&q->q_usage_counter(queue)"],
                                                      "kworker/u8:4/67")
    assert r["kernel"] == "6.12.0-rc5-next-20241101-syzkaller"
    assert r["held"] == ["(wq_completion)async", "(work_completion)(&entry->work)", "&dev->mutex"]


@needs_shared
def test_inconsistent_softirq():
    r = one(SHARED / "016-inconsistent-softirq-kn-active-syzbot-arm64-6.0.txt")
    assert (r["kind"], r["classes"], r["task"]) == ("inconsistent_lock_state", ["kn->active"], "swapper/1/0")
    assert r["detail"] == "inconsistent {SOFTIRQ-ON-W} -> {IN-SOFTIRQ-W} usage."


@needs_shared
def test_recursive_keeps_subclass():
    r = one(SHARED / "026-recursive-subclass-dev-addr-list-hashed-5.3.txt")
    assert (r["kind"], r["classes"], r["task"]) == ("recursive_locking", ["&dev_addr_list_lock_key/1"], "ip/1383")
    assert r["kernel"] == "5.3.0-rc7+"
    assert r["held"][2:4] == ["&dev_addr_list_lock_key", "&dev_addr_list_lock_key/1"]


def test_old_format_with_syslog_prefix_and_addresses():
    r = one(FIX / "old-3.10-circular-syslog.txt")
    assert r["classes"] == ["&sb->s_type->i_mutex_key", "&(&ip->i_lock)->mr_lock"]
    assert r["kernel"] == "3.10.0-rc5+" and r["task"] == "kswapd0/34"
    assert r["edges"][0]["stack"][0] == "lock_acquire+0x93/0x130"  # [<addr>] stripped
    assert r["edges"][1]["by"][0] == "xfs_ilock"


def test_irq_inversion_layouts():
    r = one(FIX / "irq-inversion-4.4.txt")
    assert (r["kind"], r["classes"]) == ("irq_inversion", ["&host->lock", "&port->lock"])
    r = one(FIX / "safe-unsafe-5.10.txt")
    assert (r["kind"], r["classes"]) == ("irq_inversion", ["&dev->event_lock", "&new->fa_lock"])
    assert r["task"] == "syz-executor.0/8507"


def test_other_kinds_in_one_log():
    rc, out = splat(FIX / "misc-kinds-6.x.txt")
    assert rc == 0
    assert [(r["kind"], r["classes"], r["line"]) for r in out["reports"]] == [
        ("lock_held_returning_to_user", ["&pipe->mutex/1"], 1),
        ("held_lock_at_exit", ["&ctx->uring_lock"], 9),
        ("held_lock_freed", ["&sbi->s_lock"], 15),
        ("suspicious_rcu_usage", ["rtnl_mutex"], 23),
    ]


def test_truncated_report_is_an_error_and_reading_goes_on(tmp_path):
    rc, out = splat(FIX / "truncated-and-valid.txt")
    assert rc == 1
    assert [(r["kind"], r["line"]) for r in out["reports"]] == [("recursive_locking", 15)]
    assert out["errors"] == [{"file": str(FIX / "truncated-and-valid.txt"), "line": 1,
                              "error": "circular dependency report: the dependency chain has no '-> #N' entries "
                                       "(truncated?)"}]


def test_globs_gzip_and_stdin(tmp_path):
    data = (FIX / "irq-inversion-4.4.txt").read_bytes()
    (tmp_path / "a.log.gz").write_bytes(gzip.compress(data))
    (tmp_path / "b.log").write_bytes(data)
    rc, out = splat(str(tmp_path / "*.log*"))
    assert rc == 0 and len(out["reports"]) == 1  # the same report twice: merged, with both places
    assert out["reports"][0]["count"] == 2
    assert out["reports"][0]["seen_at"] == [f"{tmp_path / 'a.log.gz'}:1", f"{tmp_path / 'b.log'}:1"]
    rc, out = splat("-", stdin=data)
    assert out["reports"][0]["classes"] == ["&host->lock", "&port->lock"]


def test_caller_id_prefix_and_unrelated_lines():
    text = "\n".join(["[    1.000000][    T1] Booting Linux", "random noise"] +
                     [f"[   12.345678][ T4711] {x}" for x in
                      (FIX / "safe-unsafe-5.10.txt").read_text().splitlines()] + ["more noise"])
    rc, out = splat("-", stdin=text.encode())
    assert rc == 0 and out["reports"][0]["classes"] == ["&dev->event_lock", "&new->fa_lock"]
    assert out["reports"][0]["line"] == 3


def test_unreadable_file_exits_2(tmp_path):
    p = subprocess.run([sys.executable, "-m", "lockdep", "splat", str(tmp_path / "nope.txt")], capture_output=True,
                       text=True)
    assert p.returncode == 2 and p.stderr.startswith(f"lockdep: {tmp_path / 'nope.txt'}: cannot read")


def test_text_output_names_edge_creators():
    p = subprocess.run([sys.executable, "-m", "lockdep", "splat", str(FIX / "old-3.10-circular-syslog.txt")],
                       capture_output=True, text=True)
    assert "circular_dependency (Linux 3.10.0-rc5+), task kswapd0/34" in p.stdout
    assert "&(&ip->i_lock)->mr_lock --> &sb->s_type->i_mutex_key  by xfs_ilock() <- xfs_reclaim_inode()" in p.stdout


@pytest.mark.parametrize("raw,norm", [
    ("cpu_hotplug_lock.rw_sem", "cpu_hotplug_lock"), ("&(&q->lock)->rlock", "&q->lock"),
    ("&(&(&x->y)->rlock)->rlock", "&x->y"), ("kn->count#60", "kn->count"), ("&dev_addr_list_lock_key/1",
                                                                            "&dev_addr_list_lock_key/1"),
    ("&sb->s_type->i_mutex_key#13/2", "&sb->s_type->i_mutex_key/2"), ("(wq_completion)events", "(wq_completion)events"),
])
def test_normalize(raw, norm):
    assert normalize(raw) == norm
