"""``_at_fork_reinit()`` on a held lock leaves it unlocked, and its holder takes it again.

Correct (CPython's test_threading LockTests::test_at_fork_reinit; the stdlib resets its own locks so in a
forked child, e.g. ``os.register_at_fork(before=lock.acquire, after_in_child=lock._at_fork_reinit,
after_in_parent=lock.release)`` in concurrent.futures.thread): after the reset the lock is free, so the
next acquire cannot block.
At 743eeb1 (both cores): "MainThread takes at_fork_reinit_held_lock.lock while already holding it"
(recursive_locking): the reset does not drop lockdep's record of the hold.
"""
import threading

lock = threading.Lock()
lock.acquire()
lock._at_fork_reinit()
with lock:
    pass
