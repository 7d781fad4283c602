"""pytest plugin (entry point ``pytest11``): ``pytest --lockdep [--lockdep-mode=warn]``.

One lock graph lives for the whole session, so an order learned in one test
and inverted in another is found.  A finding is charged to the test during
which it appeared (whichever thread raised it): in ``fail`` mode that test
fails with the report as its failure message (so ``--junitxml`` carries it);
in ``warn`` mode the report is attached to the test's report.  Every finding
is printed again in the terminal summary, out of reach of output capture.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
import threading
from typing import Any

import pytest

HELP_LOCKDEP = "check lock order and waits-while-holding in the code under test (see --lockdep-mode)"
HELP_MODE = "with --lockdep: 'fail' (default) fails the test during which a finding appears, 'warn' only reports it"
HELP_JSON = "write the session's lockdep findings as JSON to PATH (also LOCKDEP_JSON)"
HELP_HTML = "write the session's lockdep findings as one self-contained HTML page to PATH"
HELP_SARIF = "write the session's lockdep findings as SARIF 2.1.0 to PATH (GitHub code scanning)"
HELP_STYLE = "text layout of lockdep reports: 'python' (default) or 'kernel' (also LOCKDEP_STYLE)"
HELP_INI = "lockdep mode: off, fail or warn (the command line wins)"
MODES = ("fail", "warn")
HELP_HANG = ("fail a test whose threads stay deadlocked in waits for SECONDS, with the wait-for cycle "
             "(default 10, also LOCKDEP_HANG_TIMEOUT; 0: off)")

_RUNTIME = pytest.StashKey[Any]()
_MODE = pytest.StashKey[str]()
_SEEN = pytest.StashKey[int]()  # findings already charged to a test
_CHARGED = pytest.StashKey[list]()  # (nodeid, finding), in order
_EARLY = pytest.StashKey[Any]()  # the options known before the full parse


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lockdep", "lock-dependency validation")
    group.addoption("--lockdep", action="store_true", default=False, help=HELP_LOCKDEP)
    group.addoption("--lockdep-mode", choices=MODES, default=None, dest="lockdep_mode", help=HELP_MODE)
    # ``--lockdep=warn`` (the form of earlier versions) still works: argparse matches these whole strings first.
    for mode in (*MODES, "off"):
        group.addoption(f"--lockdep={mode}", action="store_const", const=mode, dest="lockdep_mode",
                        help=f"same as --lockdep --lockdep-mode={mode}" if mode != "off" else "lockdep off")
    group.addoption("--lockdep-json", default=None, metavar="PATH", help=HELP_JSON)
    group.addoption("--lockdep-html", default=None, metavar="PATH", help=HELP_HTML)
    group.addoption("--lockdep-sarif", default=None, metavar="PATH", help=HELP_SARIF)
    group.addoption("--lockdep-style", choices=("python", "kernel"), default=None, help=HELP_STYLE)
    group.addoption("--lockdep-hang-timeout", action="store", default=None, metavar="SECONDS", help=HELP_HANG)
    parser.addini("lockdep", HELP_INI, default="off")
    from .pytest_history import add_options as add_history_options

    add_history_options(group)


def _opt(config: pytest.Config, dest: str) -> Any:
    """An option's value, also before the full parse (when the conftests are loaded)."""
    return getattr(config.stash.get(_EARLY, None) or config.option, dest, None)


def _mode(config: pytest.Config) -> str:
    explicit = _opt(config, "lockdep_mode")
    ini = str(config.getini("lockdep") or "off").strip().lower()
    if explicit == "off":
        return "off"
    if explicit in MODES:
        return explicit
    if _opt(config, "lockdep"):
        return ini if ini in MODES else "fail"
    return ini if ini in MODES else "off"


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser, args: list[str]) -> None:
    """Start before the conftest files are imported: locks they create at import time (a library
    the conftest imports) are checked too."""
    early_config.stash[_EARLY] = early_config.known_args_namespace
    try:
        _start(early_config)
    finally:
        del early_config.stash[_EARLY]


def pytest_configure(config: pytest.Config) -> None:
    if _RUNTIME not in config.stash:
        _start(config)  # (a plugin registered after the conftests were imported)
    if _RUNTIME in config.stash:
        from .pytest_history import SessionHistory  # --lockdep-db, xdist workers, --lockdep-baseline

        config.pluginmanager.register(SessionHistory(config, config.stash[_RUNTIME], config.stash[_MODE]),
                                      "lockdep-history")


def _start(config: pytest.Config) -> None:
    mode = _mode(config)
    if mode == "off":
        return
    from .errors import InputError
    from .report import outputs
    from .runtime import enable, watchdog

    json_path = _opt(config, "lockdep_json") or os.environ.get("LOCKDEP_JSON")
    try:
        outputs.check(json_path, _opt(config, "lockdep_html"), _opt(config, "lockdep_sarif"))
    except InputError as e:
        raise pytest.UsageError(f"lockdep: {e}") from None
    if _opt(config, "lockdep_style"):
        os.environ["LOCKDEP_STYLE"] = _opt(config, "lockdep_style")
    try:
        hang = watchdog.timeout_setting(_opt(config, "lockdep_hang_timeout"), "--lockdep-hang-timeout",
                                        watchdog.DEFAULT_TIMEOUT)
    except ValueError as e:
        raise pytest.UsageError(str(e)) from None
    config.stash[_MODE] = mode
    config.stash[_SEEN] = 0
    config.stash[_CHARGED] = []
    # a deadlocked test's waits raise DeadlockError: the test fails with the report instead of hanging
    config.stash[_RUNTIME] = enable(quiet=True, summary=False, json_path=json_path, hang_timeout=hang,
                                    hang_abort=True)


def pytest_unconfigure(config: pytest.Config) -> None:
    rt = config.stash.get(_RUNTIME, None)
    if rt is None:
        return
    from .report import outputs
    from .runtime.api import _at_exit, disable

    _at_exit()  # JSON while the runtime is still active
    disable()
    del config.stash[_RUNTIME]
    from .runtime import history

    # with the xdist workers' findings and the merged graph's (the session's others, each with its pid)
    outputs.write(history.all_findings(rt), rt.validator.summary(), sarif=config.getoption("--lockdep-sarif"),
                  html=config.getoption("--lockdep-html"), title="lockdep: pytest session")


def _where(nodeid: str, f: Any) -> str:
    """The line naming the test, and the thread when it is not the one running the tests."""
    thread = f" in background thread '{f.task}'" if f.task and f.task != threading.main_thread().name else ""
    return f"lockdep: found{thread} during {nodeid}"


def _text(nodeid: str, findings: list) -> str:
    from .report import render_text

    return "".join(f"{_where(nodeid, f)}\n{render_text(f)}" for f in findings)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Any:
    report = yield
    rt = item.config.stash.get(_RUNTIME, None)
    if rt is None:
        return report
    if call.when == "call":
        rt.checkpoint()  # cycles through plain locks that were not handed off by the end of the test
    seen = item.config.stash[_SEEN]
    new = rt.validator.findings[seen:]
    if not new:
        return report
    item.config.stash[_SEEN] = seen + len(new)
    from .pytest_history import not_in_baseline

    new = not_in_baseline(new)  # --lockdep-baseline: known findings fail no test
    if not new:
        return report
    item.config.stash[_CHARGED].extend((item.nodeid, f) for f in new)
    text = _text(item.nodeid, new)
    n = len(new)
    from .runtime import DeadlockError

    aborted = call.excinfo is not None and call.excinfo.errisinstance(DeadlockError)
    if item.config.stash[_MODE] == "fail" and (not report.failed or aborted):
        report.outcome = "failed"  # a hang aborted by the watchdog fails with its report, not a traceback
        report.longrepr = f"lockdep found {n} problem{'s' if n != 1 else ''} during this test:\n{text}"
    else:
        report.sections.append((f"lockdep ({call.when})", text))
    return report


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    rt = config.stash.get(_RUNTIME, None)
    if rt is None:
        return
    from .report import render_text

    rt.report_orphans()  # locks left held by ended threads and held-back cycles: listed below, not lost at exit
    tr = terminalreporter
    charged = config.stash[_CHARGED]
    rest = rt.validator.findings[config.stash[_SEEN]:]  # appeared outside any test (e.g. at session end)
    tr.section("lockdep")
    colour = tr.hasmarkup and not os.environ.get("NO_COLOR")  # pytest's --color decides, as for its own output
    for nodeid, f in [*charged, *(("the session (outside any test)", f) for f in rest)]:
        tr.write_line(_where(nodeid, f), bold=True)
        text = render_text(f)
        if colour:
            from .report.console import ansi

            text = ansi(f, text)
        tr.write(text)
    s = rt.validator.summary()
    n = len(rt.validator.findings)
    tr.write_line(f"lockdep: {n} finding{'s' if n != 1 else ''} ({s['classes']} lock classes, {s['edges']} "
                  f"dependencies; mode {config.stash[_MODE]})")
