"""lockdep: a lock-dependency validator for Python programs and Linux kernel reports.

    from lockdep import Validator
    v = Validator()
    v.acquire("T1", "A"); v.acquire("T1", "B"); ...
    v.findings
"""

from .engine import Finding, Validator, render_text

__version__ = "0.1.0"
__all__ = ["Finding", "Validator", "render_text", "__version__"]
