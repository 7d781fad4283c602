"""FALSE today: locks made by one factory line merge into one class.

APScheduler creates every lock with `self._x_lock = self._create_lock()`
(`def _create_lock(self): return RLock()`). They all become one class named
after the factory's line, so "join the workers under _executors_lock while
a worker takes _listeners_lock" looks like a cycle through one lock class.
Expected: clean (the worker never takes _executors_lock). Seen: a
circular_dependency through `factory_lock_classes.py:23` (the factory's line) (issue #7,
section 6). The same merging makes APScheduler 3.5.1 (fixed) reported and
3.5.0's report name the factory line instead of _jobstores_lock.

    python -m lockdep benchmarks/recall/repros/factory_lock_classes.py
"""
import threading


class Scheduler:
    def __init__(self):
        self._executors_lock = self._create_lock()
        self._listeners_lock = self._create_lock()

    def _create_lock(self):
        return threading.RLock()

    def job(self):
        with self._listeners_lock:  # dispatch the "job executed" event
            pass

    def shutdown(self, worker):
        with self._executors_lock:
            worker.join()


scheduler = Scheduler()
worker = threading.Thread(target=scheduler.job)
worker.start()
scheduler.shutdown(worker)
