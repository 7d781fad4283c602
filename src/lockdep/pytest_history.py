"""``pytest --lockdep`` with a lock history: the store (``--lockdep-db``, LOCKDEP_DB; a
temporary one otherwise) is shared by the controller and its pytest-xdist workers.
Each worker merges what it learned when its session ends; the controller then
reports, once, the findings of the whole session that no test failed for --
an inversion whose two halves ran in different workers, or whose old half was
learned by an earlier run -- and fails the session in ``fail`` mode."""

from __future__ import annotations

from typing import Any

import pytest

HELP_DB = "SQLite store of lock history shared by xdist workers and later runs (also LOCKDEP_DB)"
HELP_BASELINE = "baseline file of known findings (also LOCKDEP_BASELINE)"


def add_options(group: Any) -> None:
    group.addoption("--lockdep-db", action="store", default=None, metavar="PATH", help=HELP_DB)
    group.addoption("--lockdep-baseline", action="store", default=None, metavar="FILE", help=HELP_BASELINE)


_baseline: list = []


def not_in_baseline(findings: list) -> list:
    """The findings the baseline (--lockdep-baseline, LOCKDEP_BASELINE) does not list."""
    from . import baseline

    if not _baseline:
        _baseline.append(baseline.from_args(None))
    return _baseline[0].split(findings)[0] if _baseline[0] else findings


class SessionHistory:
    """Registered by the lockdep plugin when it is switched on."""

    def __init__(self, config: pytest.Config, rt: Any, mode: str):
        from .errors import InputError
        from .runtime import history

        self.history = history
        self.mode = mode
        self.others: list[dict] = []
        self.suppressed: list[dict] = []
        options = type("Options", (), {"db": config.getoption("--lockdep-db"),
                                       "baseline": config.getoption("--lockdep-baseline")})()
        try:
            history.check_options(options)
        except InputError as e:  # a bad store or baseline: one line, exit status 2, as on every entry point
            pytest.exit(f"lockdep: {e}", returncode=2)
        history.start(rt)
        self.rt = rt

    @pytest.hookimpl(tryfirst=True)
    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if hasattr(session.config, "workerinput"):
            self.history.save()  # before the worker tells the controller it has finished
            return
        from . import baseline

        others = self.history.finish()
        known = baseline.from_args(None)
        if known is not None:
            others, suppressed = known.split(others)
            self.suppressed = baseline.suppressed_json(suppressed)
        self.others = others
        # a finding of a worker already failed its test; one only the merged graph shows fails the session
        if self.mode == "fail" and session.exitstatus == 0 and any(f.get("pid") is None for f in others):
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        from .baseline import describe
        from .fingerprint import of

        tr = terminalreporter
        wanted = {of(f) for f in self.others if f.get("pid") is None}
        merged = [f for f in self.history.merged_findings() if of(f) in wanted]
        if merged:
            from .report import render_text

            tr.section("lockdep: found in the merged graph of the session")
            for f in merged:
                tr.write(render_text(f))
        for f in self.others:
            tr.write_line(self.history.describe(f))
        from . import baseline

        known = baseline.from_args(None)
        mine = known.split(self.rt.validator.findings)[1] if known else []
        for f, e in mine:
            tr.write_line(f"lockdep: {describe(f, e)}")
        for f in self.suppressed:
            tr.write_line(f"lockdep: {describe(f, {'reason': f.get('baseline_reason')})}")
