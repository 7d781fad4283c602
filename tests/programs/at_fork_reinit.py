"""The stdlib's way to give a forked child a free lock (concurrent.futures.thread does it for its
_global_shutdown_lock): ``os.register_at_fork(before=lock.acquire, after_in_child=
lock._at_fork_reinit, after_in_parent=lock.release)``.  In the child the lock is a new, unlocked
one, and the child takes it again.  Correct; the child's report reaches the parent's."""
import os
import threading

lock = threading.Lock()
os.register_at_fork(before=lock.acquire, after_in_child=lock._at_fork_reinit, after_in_parent=lock.release)

pid = os.fork()
if pid == 0:
    with lock:
        pass
    lock.acquire()
    lock._at_fork_reinit()  # (CPython's own test_at_fork_reinit: a held lock reset, then taken)
    with lock:
        pass
    os._exit(0)
os.waitpid(pid, 0)
with lock:
    pass
print("done")
