"""Imported by ``lockdep.pth`` at interpreter start-up when LOCKDEP is set:
the way to check a program, and the subprocesses it starts, with no code change."""

import os

if os.environ.get("LOCKDEP", "").lower() not in ("", "0", "no", "false", "off"):
    from . import history
    from .api import enable

    if not os.environ.get("LOCKDEP_SESSION"):  # a session starts here: a bad store or baseline stops it
        import sys

        from ..errors import InputError

        try:
            history.check_options(None)
        except InputError as e:
            sys.stderr.write(f"lockdep: {e}\n")
            sys.stderr.flush()
            os._exit(2)  # before the program runs (SystemExit cannot leave a .pth file)
    history.start(enable(summary="findings"))  # silent unless something is found: stderr stays the program's
