"""lockdep: a lock-dependency validator for Python programs and Linux kernel reports.

    from lockdep import Validator
    v = Validator()
    v.acquire("T1", "A"); v.acquire("T1", "B"); ...
    v.findings

PYTEST_DONT_REWRITE: the package may be imported at start-up (LOCKDEP=1, lockdep.pth)
before pytest could rewrite it, and it holds no test assertions.
"""

from .engine import Finding, Validator
from .report import render_text

__version__ = "0.1.0"
__all__ = ["Finding", "Validator", "render_text", "__version__"]
