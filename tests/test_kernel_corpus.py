"""Real reports as they are found (tests/fixtures/kernel-corpus/SOURCES.md): each parses to its kind and its
classes, verbatim; mail threads merge into loops; names that differ only in ``#N`` stay apart."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lockdep.kernel.splat import parse_text, read_text_file

HERE = Path(__file__).resolve().parent
FIX = HERE / "fixtures"
CORPUS = FIX / "kernel-corpus"

# (folder, file number, reports in the file, kind of the first, its classes exactly as printed)
TABLE = [
    ('kernel-corpus', '001', 1, 'circular_dependency', ['&bdev->bd_mutex', '&lo->lo_ctl_mutex#2']),
    ('kernel-corpus', '002', 1, 'held_lock_at_exit', ['&pipe->mutex/1']),
    ('kernel-corpus', '003', 1, 'bad_unlock_balance', ['mrt_lock']),
    ('kernel-corpus', '004', 1, 'bad_unlock_balance', ['mrt_lock']),
    ('kernel-corpus', '005', 1, 'held_lock_freed', ['sk_lock-AF_INET6']),
    ('kernel-corpus', '006', 1, 'circular_dependency', ['console_lock', '(completion)&req.done', 'sb_writers', '&pipe->mutex/1']),
    ('kernel-corpus', '007', 1, 'circular_dependency', ['&ctx->mutex', 'event_mutex', 'tracepoints_mutex', 'cpu_hotplug_lock.rw_sem', 'cpuhp_state_mutex', 'cpuhp_state-up', '(completion)&req.done', 'sb_writers', '&pipe->mutex/1']),
    ('kernel-corpus', '008', 1, 'held_lock_freed', ['sk_lock-AF_NETROM']),
    ('kernel-corpus', '009', 1, 'circular_dependency', ['(wq_completion)wg-kex-wireguard1', '(work_completion)(&peer->transmit_handshake_work)', '&wg->static_identity.lock']),
    ('kernel-corpus', '010', 1, 'inconsistent_lock_state', ['logbuf_lock']),
    ('kernel-corpus', '011', 1, 'irq_inversion', ['&dev->event_lock', '&client->buffer_lock', '&new->fa_lock']),
    ('kernel-corpus', '012', 1, 'irq_inversion', ['&(&(&mapping->i_pages)->xa_lock)->rlock', '&(&info->lock)->rlock', 'shmlock_user_lock']),
    ('kernel-corpus', '013', 1, 'nested_lock_not_taken', ['&s->s_inode_list_lock']),
    ('kernel-corpus', '014', 1, 'nested_lock_not_taken', ['&sb->s_type->i_lock_key#36']),
    ('kernel-corpus', '015', 2, 'inconsistent_lock_state', ['fs_reclaim']),
    ('kernel-corpus', '016', 1, 'circular_dependency', ['&q->elevator_lock', 'fs_reclaim', '&q->q_usage_counter(io)#55']),
    ('kernel-corpus', '018', 1, 'irq_inversion', ['css_set_lock', '&selinux_ss.policy_rwlock']),
    ('kernel-corpus', '019', 1, 'circular_dependency', ['slab_mutex', 'kn->count#103']),
    ('kernel-corpus', '020', 1, 'recursive_locking', ['sk_lock-AF_INET']),
    ('kernel-corpus', '021', 1, 'circular_dependency', ['cgroup_mutex', 'cpu_hotplug_lock']),
    ('kernel-corpus', '022', 1, 'recursive_locking', ['cpu_hotplug_lock']),
    ('kernel-corpus', '023', 1, 'recursive_locking', ['cpu_hotplug_lock']),
    ('kernel-corpus', '024', 1, 'bad_unlock_balance', ['rcu_read_lock']),
    ('kernel-corpus', '025', 1, 'circular_dependency', ['scx_cgroup_ops_rwsem', 'cgroup_mutex', 'scx_fork_rwsem']),
    ('kernel-corpus', '026', 1, 'circular_dependency', ['scx_cgroup_ops_rwsem', 'cgroup_mutex', 'scx_fork_rwsem']),
    ('kernel-corpus', '027', 1, 'circular_dependency', ['css_set_lock', '&sighand->siglock']),
    ('kernel-corpus', '028', 1, 'circular_dependency', ['&q->sysfs_lock', '&q->rq_qos_mutex', '&q->q_usage_counter(queue)#3']),
    ('kernel-corpus', '029', 1, 'circular_dependency', ['&pool->lock', '&trie->lock', 'stock_lock']),
    ('kernel-corpus', '030', 1, 'recursive_locking', ['&rq->__lock']),
    ('kernel-corpus', '031', 1, 'bad_unlock_balance', ['rcu_read_lock']),
    ('kernel-corpus', '032', 1, 'circular_dependency', ['css_set_lock', '&sighand->siglock']),
    ('kernel-corpus', '033', 1, 'recursive_locking', ['&ei_local->page_lock']),
    ('kernel-corpus', '034', 1, 'circular_dependency', ['cpu_hotplug_lock', 'cgroup_threadgroup_rwsem', 'freezer_mutex']),
    ('kernel-corpus', '035', 1, 'recursive_locking', ['lock#9']),
    ('kernel-corpus', '036', 1, 'circular_dependency', ['&q->rq_qos_mutex', '&q->debugfs_mutex', '&sb->s_type->i_mutex_key#2', 'fs_reclaim', '&q->q_usage_counter(io)#3', '&q->elevator_lock']),
    ('kernel-corpus', '037', 1, 'circular_dependency', ['&root->kernfs_rwsem', '&mm->mmap_lock', '&vdev->memory_lock']),
    ('kernel-corpus', '038', 2, 'circular_dependency', ['&sb->s_type->i_mutex_key#9', '&mm->mmap_sem', 'jbd2_handle', '&meta_group_info[i]->alloc_sem', '(complete)&ret.event']),
    ('kernel-corpus', '039', 1, 'circular_dependency', ['&(&ip->i_mmaplock)->mr_lock', '&xfs_nondir_ilock_class', '(complete)&ret.event']),
    ('kernel-corpus', '040', 1, 'circular_dependency', ['&(&priv->bus_notifier)->rwsem', 'cpu_hotplug_lock', 'cpuhp_state-up']),
    ('kernel-corpus', '041', 1, 'circular_dependency', ['&(&ap->eh_wait_q)->dmap:0', '&host->lock:0']),
    ('kernel-corpus', '042', 1, 'invalid_wait_context', ['&mm->mmap_lock']),
    ('kernel-corpus', '043', 1, 'invalid_wait_context', ['&n->list_lock']),
    ('kernel-corpus', '044', 1, 'held_lock_at_exit', ['&sig->cred_guard_mutex']),
    ('kernel-corpus', '045', 1, 'invalid_wait_context', ['&n->list_lock']),
    ('kernel-corpus', '046', 1, 'circular_dependency', ['sk_lock-AF_BLUETOOTH-BTPROTO_RFCOMM', 'rfcomm_mutex', '&d->lock']),
    ('kernel-corpus', '047', 1, 'circular_dependency', ['cpu_hotplug_lock', '&rq->lock']),
    ('kernel-corpus', '048', 1, 'circular_dependency', ['(memory_chain).rwsem', 'ksm_thread_mutex/1']),
    ('kernel-corpus', '049', 1, 'circular_dependency', ['crypto_alg_sem', '(crypto_chain).rwsem']),
    ('kernel-corpus', '050', 1, 'recursive_locking', ['&zio->io_lock']),
    ('kernel-corpus', '051', 1, 'circular_dependency', ['s_active#28', 'pools_lock']),
    ('kernel-corpus', '052', 1, 'circular_dependency', ['&param->lock', '&param->fault_param->lock', 'pasid_mutex']),
    ('kernel-corpus', '053', 1, 'circular_dependency', ['console_owner', '&port_lock_key', '&tty->write_wait', '&p->pi_lock', '&rq->__lock']),
    ('kernel-corpus', '054', 1, 'inconsistent_lock_state', ['&xa->xa_lock#12']),
    ('kernel-corpus', '055', 1, 'inconsistent_lock_state', ['&xa->xa_lock#12']),
    ('kernel-splats', '001', 1, 'circular_dependency', ['cpu_hotplug_lock.rw_sem', 'slab_mutex', 'kn->count#60']),
    ('kernel-splats', '008', 1, 'bad_unlock_balance', ['&q->q_usage_counter(queue)']),
    ('kernel-splats', '016', 1, 'inconsistent_lock_state', ['kn->active#5']),
    ('kernel-splats', '026', 1, 'recursive_locking', ['&dev_addr_list_lock_key/1']),
]


def corpus_file(folder: str, number: str) -> Path:
    (path,) = (FIX / folder).glob(f"{number}-*")
    return path


@pytest.mark.parametrize("folder,number,count,kind,raw", TABLE, ids=[f"{r[0]}/{r[1]}" for r in TABLE])
def test_every_corpus_report_parses_to_its_kind_and_verbatim_classes(folder, number, count, kind, raw):
    path = corpus_file(folder, number)
    splats, errors = parse_text(read_text_file(str(path)), str(path))
    assert errors == []
    assert len(splats) == count
    assert (splats[0].kind, splats[0].raw_classes) == (kind, raw)


def test_corpus_is_listed_in_sources_and_large_enough():
    files = sorted(p.name for p in CORPUS.iterdir() if p.name != "SOURCES.md")
    sources = (CORPUS / "SOURCES.md").read_text()
    assert len(files) + len(list((FIX / "kernel-splats").glob("*.txt"))) >= 40
    assert [f for f in files if f"| {f} |" not in sources] == []


def splat_json(*args: str, stdin: bytes | None = None) -> tuple[int, dict]:
    p = subprocess.run([sys.executable, "-m", "lockdep", "splat", "--json", *args], input=stdin, capture_output=True)
    assert "Traceback" not in p.stderr.decode()
    return p.returncode, json.loads(p.stdout)


def loops(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lockdep", "loops", *args], input=stdin, capture_output=True)


@pytest.mark.parametrize("number", ["053", "054"])
def test_crlf_reports_read_as_their_lf_text_with_any_line_end(number):
    """053: a QEMU serial console capture attached to a mail; 054: an Outlook mail body. Both stored with CRLF
    line ends; a capture through a second tty has CR CR LF, an old Mac file lone CRs: the reader sees one text."""
    path = corpus_file("kernel-corpus", number)
    data = path.read_bytes()
    assert data.count(b"\r\n") == data.count(b"\n") > 50  # the CR bytes survived the checkout (.gitattributes)
    lf = data.replace(b"\r\n", b"\n")
    expected = splat_json("-", stdin=lf)
    assert expected[1]["reports"][0]["raw_classes"] == next(row[4] for row in TABLE if row[1] == number)
    for variant in (data, data.replace(b"\r\n", b"\r\r\n"), lf.replace(b"\n", b"\r")):
        assert splat_json("-", stdin=variant) == expected


def test_serial_console_report_behind_a_login_prompt_7_1():
    rc, out = splat_json(str(corpus_file("kernel-corpus", "053")))
    (r,) = out["reports"]
    assert (r["task"], r["raw_held"]) == ("kworker/57:1/414", ["&rq->__lock", "console_lock", "console_srcu"])
    assert [len(e["stack"]) for e in r["edges"]] == [16, 22, 24, 16, 24]
    assert r["edges"][-1]["stack"][-1] == "ret_from_fork_asm+0x1a/0x30"


def test_outlook_crlf_quote_with_joined_lines_reads_as_the_original_mail():
    """054 quotes 055 as Outlook sent it: CRLF, blank lines dropped, the class line, the irq stamps and the
    CPU / Hardware name / Call Trace lines each joined into one."""
    (quote,), (original,) = (splat_json(str(corpus_file("kernel-corpus", n)))[1]["reports"] for n in ("054", "055"))
    where = ("file", "line", "seen_at")
    assert {k: v for k, v in quote.items() if k not in where} == {k: v for k, v in original.items() if k not in where}
    assert len(original["backtrace"]) == 21 and original["detail"] == "inconsistent {SOFTIRQ-ON-W} -> {IN-SOFTIRQ-W} usage."


def test_cross_release_thread_quoted_and_rewrapped_4_13():
    """The 2017 syzbot thread: a report quoted in mail with its lines re-wrapped, then the same loop unquoted."""
    rc, out = splat_json(str(corpus_file("kernel-corpus", "038")))
    assert rc == 0
    first = out["reports"][0]
    assert first["kernel"] == "4.13.0+" and first["task"] == "loop0/2986"
    assert first["classes"] == ["&sb->s_type->i_mutex_key", "&mm->mmap_lock", "jbd2_handle",
                                "&meta_group_info[i]->alloc_sem", "(complete)&ret.event"]
    assert first["aliases"] == {"&mm->mmap_sem": "&mm->mmap_lock"}
    assert first["raw_held"] == ["&x->wait#14"]
    deps = [(e["raw_from"], e["raw_to"], e["dep"]) for e in first["edges"]]
    assert deps[3:] == [("&meta_group_info[i]->alloc_sem", "(complete)&ret.event", "wait"),
                        ("(complete)&ret.event", "&sb->s_type->i_mutex_key#9", "signal")]
    assert first["edges"][4]["by"] == ["inode_lock", "generic_file_write_iter"]


def test_interleaved_lines_of_another_task_are_dropped_by_caller_id():
    rc, out = splat_json(str(corpus_file("kernel-corpus", "013")))  # [T3316] ntfs3 line inside [T3315]'s report
    assert out["reports"][0]["raw_classes"] == ["&s->s_inode_list_lock"]
    text = corpus_file("kernel-corpus", "009").read_text().splitlines()
    foreign = [f"[ 2718.39{i:04d}][ T4242] -> #9 (bogus_lock){{+.+.}}:" for i in range(3)]
    mixed = "\n".join(text[:20] + foreign + text[20:30] + foreign + text[30:]).encode()
    rc, out = splat_json("-", stdin=mixed)
    assert out["reports"][0]["raw_classes"] == [
        "(wq_completion)wg-kex-wireguard1", "(work_completion)(&peer->transmit_handshake_work)",
        "&wg->static_identity.lock"]


def test_interleaved_lines_without_caller_ids_are_dropped_by_their_shape():
    """047: a might_sleep report printed into the lockdep report, line by line, with no caller ids."""
    rc, out = splat_json(str(corpus_file("kernel-corpus", "047")))
    (r,) = out["reports"]
    assert (r["task"], r["raw_held"]) == ("l_0-0/730", ["&cpuset_rwsem", "&p->pi_lock", "&rq->lock"])
    first, closing = r["edges"]
    assert first["stack"][:3] == ["_raw_spin_lock+0x64/0x80", "__schedule+0x108/0x910", "schedule+0x7c/0x108"]
    assert len(first["stack"]) == 17 and first["stack"][-1] == "ret_from_fork+0x10/0x18"
    assert closing["stack"][:3] == ["__lock_acquire+0x11a0/0x1550", "lock_acquire+0xf8/0x460", "cpus_read_lock+0x68/0x130"]
    assert closing["by"] == ["static_key_enable", "__sched_setscheduler"]
    foreign = {"dump_backtrace+0x0/0x1f0", "show_stack+0x2c/0x38", "cpus_read_lock+0x2c/0x130", "0x0"}
    assert foreign.isdisjoint(first["stack"] + closing["stack"])


def test_a_report_printed_twice_is_merged_and_counted():
    path = str(corpus_file("kernel-corpus", "015"))
    rc, out = splat_json(path)
    (r,) = out["reports"]
    assert r["count"] == 2 and r["seen_at"] == [f"{path}:4", f"{path}:90"]


def test_keys_differing_only_in_their_number_stay_distinct_in_one_report(tmp_path):
    text = (FIX / "kernel-splats" / "001-slabinfo-cpuhotplug-kn-count-5.5.txt").read_text()
    text = text.replace("kn->count#60", "&type->i_mutex_dir_key#9").replace("slab_mutex", "&type->i_mutex_dir_key#8")
    (tmp_path / "r.txt").write_text(text)
    rc, out = splat_json(str(tmp_path / "r.txt"))
    assert out["reports"][0]["classes"] == ["cpu_hotplug_lock", "&type->i_mutex_dir_key#8", "&type->i_mutex_dir_key#9"]
    p = loops("--json", str(tmp_path / "r.txt"))
    assert json.loads(p.stdout)["cycles"][0]["classes"] == out["reports"][0]["classes"]
    # across reports the number is dropped, so one lock merges over boots
    rc, out = splat_json(str(FIX / "kernel-splats" / "001-slabinfo-cpuhotplug-kn-count-5.5.txt"))
    assert out["reports"][0]["classes"][2] == "kn->count"


def test_loops_over_a_raw_mail_thread_finds_the_loop_and_its_cut():
    """The sched_ext thread: the report, then a reply quoting it, fed as one raw text."""
    thread = corpus_file("kernel-corpus", "025").read_bytes() + corpus_file("kernel-corpus", "026").read_bytes()
    p = loops("--json", "-", stdin=thread)
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    (cycle,) = out["cycles"]
    assert cycle["classes"] == ["scx_cgroup_ops_rwsem", "cgroup_mutex", "scx_fork_rwsem"]
    assert len(cycle["sources"]) == 2  # the report and its quote
    assert len(out["cuts"]) == 1 and out["loops"][0]["exact"] is True
    cut = out["cuts"][0]
    assert (cut["from"], cut["to"]) in {(a, b) for a, b in zip(cycle["classes"], cycle["classes"][1:] + cycle["classes"][:1])}


def test_loops_names_the_alias_it_applied_and_the_cross_release_edges():
    p = loops(str(corpus_file("kernel-corpus", "038")), str(corpus_file("kernel-corpus", "039")))
    text = p.stdout.decode()
    assert 'alias: &mm->mmap_sem = &mm->mmap_lock (5.8: da1c55f1b272 "mmap locking API: rename mmap_sem to mmap_lock")' \
        in text
    assert "(signal: cross-release)" in text


def test_every_applied_alias_names_its_commit_and_unsourced_ones_are_not_applied():
    from lockdep.kernel.aliases import ALIASES, UNVERIFIED, apply_aliases

    assert all(re.match(r"\d+\.\d+: [0-9a-f]{12} \"", why) for _, why in ALIASES.values())
    assert [apply_aliases(old) for old in UNVERIFIED] == list(UNVERIFIED)  # (cpu_chain).rwsem stays itself


def test_dept_report_merges_into_loops_as_wait_dependencies():
    rc, out = splat_json(str(corpus_file("kernel-corpus", "041")))
    r = out["reports"][0]
    assert (r["detector"], r["classes"]) == ("dept", ["&(&ap->eh_wait_q)->dmap", "&host->lock"])
    assert [(e["from"], e["to"], e["dep"]) for e in r["edges"]] == [
        ("&(&ap->eh_wait_q)->dmap", "&host->lock", "wait"), ("&host->lock", "&(&ap->eh_wait_q)->dmap", "wait")]


@pytest.mark.parametrize("data,why", [(b"", "empty"), (b"\n  \n", "empty"), (b"\x7fELF\x02\x01\x00\x00" * 64, "binary")])
def test_bad_input_is_one_line_and_exit_2(tmp_path, data, why):
    f = tmp_path / "in.txt"
    f.write_bytes(data)
    for cmd in ("splat", "loops"):
        p = subprocess.run([sys.executable, "-m", "lockdep", cmd, str(f)], capture_output=True, text=True)
        assert p.returncode == 2 and p.stdout == ""
        assert p.stderr.count("\n") == 1 and p.stderr.startswith(f"lockdep: {f}: {why}")
