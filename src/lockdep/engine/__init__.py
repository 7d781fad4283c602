"""The lockdep engine: classes, held-lock stacks, dependency graph, rules, reports.

Imports nothing from the frontends around it (runtime, trace, kernel, cli).
"""

from .findings import KINDS, Finding
from .graph import Graph
from .report import render_text
from .validator import Validator

__all__ = ["Finding", "Graph", "KINDS", "Validator", "render_text"]
