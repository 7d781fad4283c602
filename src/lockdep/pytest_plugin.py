"""pytest plugin (entry point ``pytest11``): ``pytest --lockdep``.

Placeholder until the Python runtime lands: registers the option only.
"""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lockdep", "lock-dependency validation")
    group.addoption("--lockdep", action="store", nargs="?", const="fail", default=None,
                    choices=("fail", "warn"), help="check lock order and waits while holding locks (not yet)")
