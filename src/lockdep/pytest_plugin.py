"""pytest plugin (entry point ``pytest11``): ``pytest --lockdep``.

One lock graph lives for the whole session, so an order learned in one test
and inverted in another is found.  A test during which a new finding is
detected fails with the report (``--lockdep=warn``: only reported).
"""

from __future__ import annotations

import os
from typing import Any

import pytest

HELP_LOCKDEP = ("check lock order and waits-while-holding in the code under test: 'fail' (default when given) "
                "fails the test during which a finding is detected, 'warn' only reports it")
HELP_JSON = "write the session's lockdep findings as JSON to PATH (also LOCKDEP_JSON)"
HELP_INI = "lockdep mode: off, fail or warn (the --lockdep option wins)"

_RUNTIME = pytest.StashKey[Any]()
_MODE = pytest.StashKey[str]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lockdep", "lock-dependency validation")
    group.addoption("--lockdep", action="store", nargs="?", const="fail", default=None, choices=("fail", "warn", "off"),
                    help=HELP_LOCKDEP)
    group.addoption("--lockdep-json", action="store", default=None, metavar="PATH", help=HELP_JSON)
    parser.addini("lockdep", HELP_INI, default="off")


def pytest_configure(config: pytest.Config) -> None:
    mode = config.getoption("--lockdep") or config.getini("lockdep") or "off"
    if mode == "off":
        return
    from .runtime import enable

    config.stash[_MODE] = mode
    config.stash[_RUNTIME] = enable(quiet=True, summary=False,
                                    json_path=config.getoption("--lockdep-json") or os.environ.get("LOCKDEP_JSON"))


def pytest_unconfigure(config: pytest.Config) -> None:
    if _RUNTIME in config.stash:
        from .runtime.api import _at_exit, disable

        _at_exit()  # JSON while the runtime is still active
        disable()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    rt = item.config.stash.get(_RUNTIME, None)
    if rt is None:
        return (yield)
    before = len(rt.validator.findings)
    result = yield
    rt.checkpoint()  # cycles through plain locks that were not handed off by the end of the test
    new = rt.validator.findings[before:]
    if new:
        from .engine.report import render_text

        text = "".join(render_text(f) for f in new)
        if item.config.stash[_MODE] == "fail":
            pytest.fail(f"lockdep found {len(new)} problem{'s' if len(new) != 1 else ''} during this test:\n{text}",
                        pytrace=False)
        item.add_report_section("call", "lockdep", text)
        item.config.stash.setdefault(_WARNED, []).append((item.nodeid, new))
    return result


_WARNED = pytest.StashKey[list]()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    rt = config.stash.get(_RUNTIME, None)
    if rt is None:
        return
    from .engine.report import render_text

    findings = rt.validator.findings
    tr = terminalreporter
    tr.section("lockdep")
    if config.stash[_MODE] == "warn":
        for nodeid, new in config.stash.get(_WARNED, []):
            tr.write_line(f"{nodeid}:")
            for f in new:
                tr.write(render_text(f))
    s = rt.validator.summary()
    tr.write_line(f"lockdep: {len(findings)} finding{'s' if len(findings) != 1 else ''} "
                  f"({s['classes']} lock classes, {s['edges']} dependencies)")
