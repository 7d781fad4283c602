"""The lockdep engine: classes, held-lock stacks, dependency graph, rules; findings as data.

Imports nothing from the frontends around it (runtime, trace, kernel, cli) nor from
the renderers (report).
"""

from .findings import KINDS, Finding
from .graph import Graph
from .validator import Validator

__all__ = ["Finding", "Graph", "KINDS", "Validator"]
