"""A weakref callback that takes the lock of the object whose death triggered it (concurrent.futures'
ProcessPoolExecutor does this: _ExecutorManagerThread's weakref_cb takes the executor's _shutdown_lock,
which submit() takes too).

The callback runs in whichever thread drops the last reference, but a thread inside the owner's critical
section holds a reference to the owner (self), so the owner cannot die there: the callback can never
interrupt a holder of that lock on its own thread. Correct code.
At cd8338d: inconsistent_lock_state {IN-HANDLER-W} vs {HANDLER-ON-W} on Pool.lock.
Seen in APScheduler 3's tests (a broken process pool replaced from the scheduler thread).
"""
import threading
import weakref


class Pool:
    def __init__(self):
        self.lock = threading.Lock()
        self.jobs = []
        lock = self.lock
        self._ref = weakref.ref(self, lambda _: self_cleanup(lock))

    def submit(self, job):
        with self.lock:
            self.jobs.append(job)


def self_cleanup(lock):
    with lock:  # wake the pool's manager, as weakref_cb does
        pass


for _ in range(2):
    pool = Pool()
    pool.submit("job")
    pool = None  # the last reference: the callback runs here, outside any critical section
