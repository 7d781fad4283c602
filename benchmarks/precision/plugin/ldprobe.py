"""pytest plugin loaded by the harness (``-p ldprobe``) in instrumented runs: which test each finding came from.

Writes ``{"tests": [nodeid of finding 0, nodeid of finding 1, ...]}`` to $LDPROBE_OUT at the end of the session.
A finding that appears outside a test's call phase (setup, teardown, at exit) is attributed to the last test seen.
"""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

_owners: list[str] = []


def _findings() -> list:
    from lockdep.runtime import primitives

    rt = primitives.current
    return rt.validator.findings if rt is not None else []


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: Any) -> Any:
    result = yield
    n = len(_findings())
    _owners.extend([item.nodeid] * (n - len(_owners)))
    return result


def pytest_sessionfinish(session: pytest.Session) -> None:
    path = os.environ.get("LDPROBE_OUT")
    if path:
        n = len(_findings())
        _owners.extend(["<session end>"] * (n - len(_owners)))
        with open(path, "w", encoding="utf-8") as f:
            json.dump({"tests": _owners}, f)
