"""``lockdep loops``: facets of one loop merged, and the single cut that breaks them all."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
HOTPLUG = sorted((HERE / "fixtures" / "hotplug").glob("*.txt"))
EXAMPLES = HERE.parent / "examples"


def loops(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lockdep", "loops", *args], capture_output=True, text=True)


def test_hotplug_facets_have_one_cut():
    p = loops("--json", *map(str, HOTPLUG))
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert len(out["cycles"]) == 3
    assert all(c["classes"][:2] == ["cpu_hotplug_lock", "kernfs_mutex"] for c in out["cycles"])
    assert [(c["from"], c["to"], c["resolves"]) for c in out["cuts"]] == [
        ("cpu_hotplug_lock", "kernfs_mutex", [0, 1, 2])]
    w = out["cuts"][0]["witnesses"]
    assert len(w) == 3 and all("device_create()" in x and "CPU-hotplug callback" in x for x in w)
    assert out["loops"][0]["exact"] is True


def test_text_names_the_cut_and_its_witness():
    p = loops(*map(str, HOTPLUG))
    assert "cut 1 dependency (weight 1, exact minimum):" in p.stdout
    assert "cpu_hotplug_lock --> kernfs_mutex   resolves cycles 0, 1, 2" in p.stdout
    assert "device_create() <- cpuid_device_create() <- cpuhp_invoke_callback()" in p.stdout


def test_every_cycle_contains_a_cut_edge_with_traces_and_reports(tmp_path):
    shared = HERE / "fixtures" / "kernel-splats"
    files = [str(x) for x in HOTPLUG] + [str(EXAMPLES / "cpu-hotplug.jsonl")]
    files += [str(x) for x in shared.glob("*.txt")] if shared.is_dir() else []
    out = json.loads(loops("--json", *files).stdout)
    cuts = {(c["from"], c["to"]) for c in out["cuts"]}
    for cyc in out["cycles"]:
        c = cyc["classes"]
        assert any((c[i], c[(i + 1) % len(c)]) in cuts for i in range(len(c))), c


def test_weight_prefers_the_edge_with_one_code_site(tmp_path):
    """Two reports of one cycle A->B->A: A->B is taken at many sites, B->A at one."""
    def report(n: int, site: str) -> str:
        return f"""======================================================
WARNING: possible circular locking dependency detected
5.10.0 #{n} Not tainted
------------------------------------------------------
t/{n} is trying to acquire lock:
ffff0000 (A){{+.+.}}, at: x+0x1/0x2

but task is already holding lock:
ffff0001 (B){{+.+.}}, at: y+0x1/0x2

which lock already depends on the new lock.

the existing dependency chain (in reverse order) is:

-> #1 (B){{+.+.}}:
       {site}+0x1/0x2
       caller_{n}+0x1/0x2

-> #0 (A){{+.+.}}:
       rare_path+0x1/0x2
"""
    f = tmp_path / "two.txt"
    f.write_text(report(1, "common_a") + report(2, "common_b") + report(3, "common_c"))
    out = json.loads(loops("--json", str(f)).stdout)
    assert [(c["from"], c["to"], c["weight"]) for c in out["cuts"]] == [("B", "A", 1)]


def test_large_input_uses_the_bounded_approximation():
    from lockdep.kernel.loops import MergedGraph

    mg = MergedGraph()
    # one component: 20 cycles through hub->x, 20 two-cycles hub<->y_i; a search budget of 10 forces greedy
    for i in range(20):
        mg.add_cycle(["hub", "x", f"a{i}"], f"r{i}")
        mg.add_cycle(["hub", f"y{i}"], f"s{i}")
    lp = mg.loops(exact_budget=10)
    assert len(lp) == 1 and lp[0].exact is False
    assert lp[0].bound == pytest.approx(sum(1 / k for k in range(1, 21)))
    assert len(lp[0].cuts) == 21  # hub->x plus one edge of each two-cycle: greedy finds the optimum here
    cuts = {(c.frm, c.to) for c in lp[0].cuts}
    for c in mg.cycles:
        assert any(e in cuts for e in c.edges())


def test_dot_svg_and_html_escape_untrusted_names(tmp_path):
    f = HERE / "fixtures" / "splats" / "markup-names.txt"
    dot, svg, page = tmp_path / "g.dot", tmp_path / "g.svg", tmp_path / "g.html"
    p = loops("--dot", str(dot), "--svg", str(svg), "--html", str(page), str(f))
    assert p.returncode == 0, p.stderr
    d = dot.read_text()
    assert '"&\\"quoted\\"->lock<img src=x onerror=alert(1)>"' in d
    for text in (svg.read_text(), page.read_text()):
        assert "<script>alert" not in text and "<img" not in text
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in text
    import xml.etree.ElementTree as ET

    ET.fromstring(svg.read_text())  # well-formed


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


@pytest.mark.skipif(_chromium() is None, reason="no Chromium: .ci/run installs Debian's chromium package; "
                    "apt-get install chromium to run this test")
def test_html_renders_offline_in_headless_chromium(tmp_path):
    page = tmp_path / "loops.html"
    files = [str(x) for x in HOTPLUG] + [str(HERE / "fixtures" / "splats" / "markup-names.txt")]
    assert loops("--html", str(page), *files).returncode == 0
    p = subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--no-first-run",
                        f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                       capture_output=True, text=True, timeout=120)
    dom = p.stdout
    assert 'data-ready="yes"' in dom, p.stderr[-2000:]  # the inline script ran, offline
    assert "7 classes, 9 dependencies, 4 reported cycles, 2 suggested cuts" in dom
    assert dom.count("<line") == 9 and 'class="edge cut"' in dom
    assert "<img" not in dom and "alert(1)" in dom  # the markup in lock names stayed text
