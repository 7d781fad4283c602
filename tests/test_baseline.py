"""Baseline file: known findings are reported as suppressed and do not fail; new ones still do."""

from __future__ import annotations

import json

import pytest

from conftest import acq, rel, write_trace
from lockdep.cli import main


def inversion(a: str, b: str) -> list[dict]:
    return [acq("T1", a), acq("T1", b), rel("T1", b), rel("T1", a),
            acq("T2", b, site=f"x.c:{len(a)} f"), acq("T2", a), rel("T2", a), rel("T2", b)]


def test_known_finding_is_suppressed_and_a_new_one_still_fails(tmp_path, capsys):
    old = write_trace(tmp_path / "old.jsonl", inversion("A", "B"))
    bl = str(tmp_path / "lockdep-baseline.json")
    assert main(["baseline", "update", str(old), "-o", bl]) == 0
    data = json.loads(open(bl).read())
    (e,) = data["findings"]
    assert (e["kind"], e["classes"]) == ("circular_dependency", ["A", "B"])
    e["reason"] = "A and B never run at once"
    open(bl, "w").write(json.dumps(data))
    capsys.readouterr()
    assert main(["replay", "--baseline", bl, str(old)]) == 0
    assert ("lockdep: suppressed (baseline): circular_dependency: A --> B -- A and B never run at once"
            in capsys.readouterr().out)
    # line numbers and sites do not matter: the same classes, elsewhere, are still the known finding
    moved = write_trace(tmp_path / "moved.jsonl", [acq("X", "Z")] + inversion("A", "B"))
    assert main(["replay", "--json", "--baseline", bl, str(moved)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["findings"] == [] and out["suppressed"][0]["baseline_reason"] == "A and B never run at once"
    new = write_trace(tmp_path / "new.jsonl", inversion("A", "B") + inversion("C", "D"))
    assert main(["replay", "--json", "--baseline", bl, str(new)]) == 1
    out = json.loads(capsys.readouterr().out)
    assert [f["classes"] for f in out["findings"]] == [["C", "D"]] and len(out["suppressed"]) == 1
    # update keeps the reasons of entries still found
    assert main(["baseline", "update", str(new), "-o", bl]) == 0
    reasons = {tuple(e["classes"]): e.get("reason") for e in json.loads(open(bl).read())["findings"]}
    assert reasons == {("A", "B"): "A and B never run at once", ("C", "D"): None}


def test_baseline_from_env_and_from_a_store(tmp_path, capsys, monkeypatch):
    db = str(tmp_path / "s.db")
    t = write_trace(tmp_path / "t.jsonl", inversion("A", "B"))
    assert main(["replay", "--db", db, str(t)]) == 1
    bl = str(tmp_path / "b.json")
    assert main(["baseline", "update", db, "-o", bl]) == 0
    monkeypatch.setenv("LOCKDEP_BASELINE", bl)
    assert main(["replay", str(t)]) == 0


@pytest.mark.parametrize("text,message", [
    ("{not json", "baseline is not valid JSON"),
    ('{"findings": 3}', "not a lockdep baseline"),
    ('{"findings": [{"reason": "x"}]}', "findings[0]: needs a fingerprint"),
    ('{"version": 99, "findings": []}', "newer"),
])
def test_bad_baseline_one_line_exit_2(tmp_path, capsys, text, message):
    bl = tmp_path / "b.json"
    bl.write_text(text)
    t = write_trace(tmp_path / "t.jsonl", inversion("A", "B"))
    capsys.readouterr()
    assert main(["replay", "--baseline", str(bl), str(t)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1 and message in captured.err and str(bl) in captured.err


def test_splat_marks_known_reports(tmp_path, capsys):
    from pathlib import Path

    facets = sorted(str(p) for p in (Path(__file__).resolve().parent / "fixtures" / "hotplug").glob("*.txt"))
    capsys.readouterr()
    main(["splat", "--json", facets[0]])
    (tmp_path / "a.json").write_text(capsys.readouterr().out)
    bl = str(tmp_path / "b.json")
    assert main(["baseline", "update", str(tmp_path / "a.json"), "-o", bl]) == 0
    capsys.readouterr()
    assert main(["splat", "--json", "--baseline", bl, *facets]) == 0
    reports = json.loads(capsys.readouterr().out)["reports"]
    assert [r.get("suppressed") for r in reports] == ["baseline", None, None]


def test_loops_leaves_known_cycles_uncut_and_update_reads_its_json(tmp_path, capsys):
    from pathlib import Path

    facets = sorted(str(p) for p in (Path(__file__).resolve().parent / "fixtures" / "hotplug").glob("*.txt"))
    capsys.readouterr()
    assert main(["loops", "--json", facets[0]]) == 0
    (tmp_path / "a.json").write_text(capsys.readouterr().out)
    bl = str(tmp_path / "b.json")
    assert main(["baseline", "update", str(tmp_path / "a.json"), "-o", bl]) == 0
    (known,) = json.loads(open(bl).read())["findings"]
    assert sorted(known["classes"]) == ["&mm->mmap_lock", "cpu_hotplug_lock", "kernfs_mutex"]
    capsys.readouterr()
    assert main(["loops", "--json", "--baseline", bl, *facets]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [c["classes"][2] for c in out["cycles"]] == ["kn->count", "&dev->devfs_mutex"]
    assert out["loops"][0]["cycles"] == [0, 1] and out["cuts"][0]["resolves"] == [0, 1]
    (s,) = out["suppressed"]
    assert s["suppressed"] == "baseline" and s["sources"] == [f"{facets[0]}:1"]
    # the suppressed cycle is still found: an update from this output keeps it
    (tmp_path / "all.json").write_text(json.dumps(out))
    assert main(["baseline", "update", str(tmp_path / "all.json"), "-o", bl]) == 0
    assert len(json.loads(open(bl).read())["findings"]) == 3
    capsys.readouterr()
    assert main(["loops", "--baseline", bl, *facets]) == 0
    text = capsys.readouterr().out
    assert "no loops: no reported cycle" in text and text.count("suppressed (baseline): circular_dependency") == 3
    (tmp_path / "bad.json").write_text("{x")
    assert main(["loops", "--baseline", str(tmp_path / "bad.json"), *facets]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err.count("\n") == 1
    assert "bad.json:1: baseline is not valid JSON" in captured.err
