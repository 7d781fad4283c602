"""Imported by ``lockdep.pth`` at interpreter start-up when LOCKDEP is set:
the way to check a program, and the subprocesses it starts, with no code change."""

import os

if os.environ.get("LOCKDEP", "").lower() not in ("", "0", "no", "false", "off"):
    from . import history
    from .api import enable

    history.start(enable(summary="findings"))  # silent unless something is found: stderr stays the program's
