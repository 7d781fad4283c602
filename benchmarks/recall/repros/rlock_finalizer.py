"""FALSE today: an RLock taken by normal code and by a finalizer.

Expected: clean. A finalizer that interrupts the RLock's holder re-enters it
(no wait); one that runs on another thread waits for a holder that will
release. This is what tqdm 4.19.4 and sentry-sdk 0.17.5 changed their locks
to. Seen: inconsistent_lock_state, the rule for plain Locks applied to
RLocks (issue #7, section 6).

    python -m lockdep benchmarks/recall/repros/rlock_finalizer.py
"""
import threading

registry_lock = threading.RLock()
instances = set()


class Bar:
    def __init__(self):
        with registry_lock:
            instances.add(id(self))

    def __del__(self):
        with registry_lock:  # re-entrant: fine even while this thread holds it
            instances.discard(id(self))


bar = Bar()
del bar
