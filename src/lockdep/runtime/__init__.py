"""The Python runtime: instrument ``threading`` with zero code changes.

    import lockdep.runtime as rt
    rt.enable()          # or: python -m lockdep script.py / LOCKDEP=1 / pytest --lockdep
    ...
    rt.disable()
"""

from .api import disable, enable, enabled, name, nested, runtime

__all__ = ["disable", "enable", "enabled", "name", "nested", "runtime"]
