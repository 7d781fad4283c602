"""HTML and SARIF reports of findings, written as users ask for them
(``python -m lockdep --html/--sarif``, ``lockdep replay --sarif``), checked the
way their consumers read them: the page in headless Chromium, the log against
the SARIF 2.1.0 JSON schema."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from runtime_helpers import EXAMPLES, ROOT, run

SCHEMA = Path(__file__).resolve().parent / "fixtures" / "sarif" / "sarif-schema-2.1.0.json"


def validate_sarif(path: Path) -> dict:
    import jsonschema

    log = json.loads(path.read_text())
    schema = json.loads(SCHEMA.read_text())
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    assert log["version"] == "2.1.0"
    for r in log["runs"][0]["results"]:  # what GitHub code scanning needs on top of the schema
        assert r["locations"] and r["message"]["text"] and r["partialFingerprints"]
    return log


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def dump_dom(page: Path, tmp_path: Path) -> str:
    p = subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                        "--disable-component-update", "--disable-sync", "--no-first-run",
                        f"--user-data-dir={tmp_path / 'profile'}", "--dump-dom", page.as_uri()],
                       capture_output=True, text=True, timeout=120)
    return p.stdout


MARKUP = textwrap.dedent("""
    import threading
    import lockdep.runtime as ld

    a = ld.name(threading.Lock(), "<img src=x onerror=alert(1)>")
    b = ld.name(threading.Lock(), "b&'\\"</script>")

    def one():
        with a:
            with b:
                pass

    def other():
        with b:
            with a:
                pass

    one()
    t = threading.Thread(target=other, name="<b>worker</b>")
    t.start()
    t.join()
""")


def test_sarif_of_a_python_run(tmp_path):
    sarif = tmp_path / "r.sarif"
    p = run(["-m", "lockdep", "--quiet", "--sarif", str(sarif), str(EXAMPLES.relative_to(ROOT) / "bank_transfer.py")],
            cwd=ROOT)
    assert p.returncode == 0, p.stderr
    log = validate_sarif(sarif)
    [r] = log["runs"][0]["results"]
    assert r["ruleId"] == "circular_dependency" and r["level"] == "error"
    loc = r["locations"][0]["physicalLocation"]
    assert loc["artifactLocation"] == {"uri": "examples/python/bank_transfer.py", "uriBaseId": "%SRCROOT%"}
    assert loc["region"]["startLine"] == 28 and loc["region"]["snippet"]["text"] == "with self.accounts_lock:"
    related = {(x["physicalLocation"]["region"]["startLine"], x["message"]["text"]) for x in r["relatedLocations"]}
    assert (27, "Bank.audit_lock is held here") in related
    assert (23, "Thread-1 (transfer) takes Bank.audit_lock while holding Bank.accounts_lock") in related
    assert "Fix: take Bank.accounts_lock before Bank.audit_lock" in r["message"]["text"]
    # a second run gives the same fingerprint
    again = tmp_path / "again.sarif"
    run(["-m", "lockdep", "--quiet", "--sarif", str(again), str(EXAMPLES / "bank_transfer.py")])
    assert json.loads(again.read_text())["runs"][0]["results"][0]["partialFingerprints"] == r["partialFingerprints"]


def test_sarif_of_a_kernel_trace_replay(tmp_path):
    sarif = tmp_path / "r.sarif"
    p = run(["-m", "lockdep", "replay", "--sarif", str(sarif), str(ROOT / "examples" / "cpu-hotplug.jsonl")])
    assert p.returncode == 1, p.stderr
    [r] = validate_sarif(sarif)["runs"][0]["results"]
    loc = r["locations"][0]["physicalLocation"]
    assert (loc["artifactLocation"]["uri"], loc["region"]["startLine"]) == ("kernel/workqueue.c", 4139)
    assert len(r["relatedLocations"]) >= 3


def test_sarif_of_every_example_is_valid(tmp_path):
    for name in ("join_under_lock.py", "signal_queue.py", "queue_consumer_lock.py", "future_under_lock.py"):
        sarif = tmp_path / f"{name}.sarif"
        run(["-m", "lockdep", "--quiet", "--sarif", str(sarif), str(EXAMPLES / name)])
        assert validate_sarif(sarif)["runs"][0]["results"], name


def test_html_is_self_contained_and_escaped(tmp_path):
    script = tmp_path / "markup.py"
    script.write_text(MARKUP)
    page = tmp_path / "r.html"
    p = run(["-m", "lockdep", "--quiet", "--html", str(page), str(script)])
    assert p.returncode == 0, p.stderr
    text = page.read_text()
    assert "<img src=x" not in text and "</script>\"" not in text and "<b>worker" not in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in text
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "") and "https://" not in text
    assert text.count('<section class="finding"') == 1 and "<svg" in text


@pytest.mark.skipif(_chromium() is None, reason="no Chromium: .ci/run installs Debian's chromium package; "
                    "apt-get install chromium to run this test")
def test_html_opens_in_headless_chromium(tmp_path):
    page = tmp_path / "r.html"
    for name in ("bank_transfer.py", "join_under_lock.py"):
        p = run(["-m", "lockdep", "--quiet", "--html", str(page), str(EXAMPLES / name)])
        assert p.returncode == 0, p.stderr
        dom = dump_dom(page, tmp_path)
        assert 'data-ready="yes"' in dom  # the inline script ran, offline
        assert "1 finding," in dom and dom.count("<line") == 2 and 'class="edge cut"' in dom
        assert '<a href="#kind-circular_dependency">circular_dependency</a></td><td class="count">1</td>' in dom
        assert "Fix:" in dom and 'class="hit"' in dom  # the fix and the source snippet
    assert "Thread-1 (transfer)" not in dom and "refresher" in dom  # the threads involved
    script = tmp_path / "markup.py"
    script.write_text(MARKUP)
    run(["-m", "lockdep", "--quiet", "--html", str(page), str(script)])
    dom = dump_dom(page, tmp_path)
    assert 'data-ready="yes"' in dom and "<img" not in dom and "alert(1)" in dom


def test_every_format_renders_findings_with_missing_and_unknown_fields(tmp_path):
    """Findings may grow (instance identities, thread lists, counts) or come from older traces."""
    from lockdep.engine import Validator
    from lockdep.report import html, json as json_report, render_text, sarif
    from lockdep.trace.reader import replay

    v = replay([str(ROOT / "examples" / "cpu-hotplug.jsonl")], Validator())
    trace = tmp_path / "t.jsonl"
    run(["-m", "lockdep", "--quiet", "--trace", str(trace), str(EXAMPLES / "bank_transfer.py")])
    v2 = replay([str(trace)], Validator())
    for f in v.findings + v2.findings:
        grown = copy.deepcopy(f)
        grown.details.update(instances=["0x1", "0x2"], threads=["T1", "T2"], count=3)
        bare = copy.deepcopy(f)
        for key in ("stack", "site", "signal_site", "new_edge", "holding"):
            bare.details.pop(key, None)
        for e in bare.details.get("chain", []):
            e["witness"] = None
        for g in (grown, bare):
            for style in ("python", "kernel"):
                assert render_text(g, style).strip()
            assert "instances" not in html.page([bare]) and "0x2" in html.page([grown])
            assert json.dumps(json_report.document([g], {}))
            assert sarif.log([g])["runs"][0]["results"]


def test_a_finding_read_back_from_its_json_is_the_same():
    """Another process's findings reach the HTML and SARIF files through their JSON."""
    from lockdep.engine import Validator
    from lockdep.report.json import finding_dict, finding_from_dict
    from lockdep.trace.reader import replay

    v = replay([str(ROOT / "examples" / "cpu-hotplug.jsonl")], Validator())
    assert v.findings
    for f in v.findings:
        assert finding_from_dict(json.loads(json.dumps(finding_dict(f)))).to_dict() == f.to_dict()


@pytest.mark.parametrize("kind", ["circular_dependency", "recursive_locking", "inconsistent_lock_state",
                                  "irq_inversion", "bad_unlock_balance", "held_lock_at_exit", "held_lock_freed",
                                  "held_lock_at_fork"])
def test_a_finding_with_almost_nothing_still_renders(kind):
    from lockdep.engine.findings import Finding
    from lockdep.report import html, render_text, sarif

    f = Finding(kind, ["app.A", "app.B"], [], "worker", details={"site": "app.py:3 f(): with A:"})
    for style in ("python", "kernel"):
        text = render_text(f, style)
        assert "None" not in text and ("app.A" in text or style == "kernel")
    assert "app.A" in html.page([f]) and sarif.log([f])["runs"][0]["results"][0]["locations"]
