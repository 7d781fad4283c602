"""The folder tree is the architecture: the engine at the centre imports no
frontend and no renderer (it produces findings as data); the renderers
(report) import only the engine; the frontends (runtime, kernel) do not
import each other."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "src" / "lockdep"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    pkg_parts = ["lockdep", *path.relative_to(PKG).parent.parts]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg_parts[: len(pkg_parts) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            out.add(mod)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
    return {m for m in out if m.startswith("lockdep")}


RULES = {
    "engine": ("lockdep.runtime", "lockdep.kernel", "lockdep.trace", "lockdep.cli", "lockdep.pytest_plugin",
               "lockdep.report"),
    "report": ("lockdep.runtime", "lockdep.kernel", "lockdep.trace", "lockdep.cli", "lockdep.pytest_plugin"),
    "runtime": ("lockdep.kernel", "lockdep.cli", "lockdep.pytest_plugin", "lockdep.trace"),
    "kernel": ("lockdep.runtime", "lockdep.pytest_plugin"),
    "trace": ("lockdep.runtime", "lockdep.kernel", "lockdep.cli"),
    "store": ("lockdep.runtime", "lockdep.cli", "lockdep.pytest_plugin", "lockdep.distributed"),
    "distributed": ("lockdep.runtime", "lockdep.kernel", "lockdep.cli", "lockdep.pytest_plugin", "lockdep.store"),
}


@pytest.mark.parametrize("layer", list(RULES))
def test_layer_imports(layer):
    bad = []
    for f in (PKG / layer).rglob("*.py"):
        for mod in imports_of(f):
            if mod.startswith(RULES[layer]):
                bad.append(f"{f.relative_to(PKG)} imports {mod}")
    assert bad == []


def test_every_format_is_a_renderer_in_report():
    """One findings model, its renderers side by side; no report module left in the engine."""
    assert not (PKG / "engine" / "report.py").exists()
    assert {"kernel.py", "python.py", "html.py", "sarif.py", "json.py", "graph.py"} <= {
        p.name for p in (PKG / "report").glob("*.py")}


def test_loops_page_and_findings_page_share_the_graph_renderer():
    assert "lockdep.report.graph" in imports_of(PKG / "kernel" / "render.py")
    assert "lockdep.report.graph" in imports_of(PKG / "report" / "html.py")
