"""The Python runtime: instrument ``threading`` with zero code changes.

    import lockdep.runtime as rt
    rt.enable()          # or: python -m lockdep script.py / LOCKDEP=1 / pytest --lockdep
    ...
    rt.disable()
"""

from .api import disable, enable, enabled, name, nested, runtime
from .watchdog import DeadlockError

__all__ = ["DeadlockError", "disable", "enable", "enabled", "name", "nested", "runtime"]
