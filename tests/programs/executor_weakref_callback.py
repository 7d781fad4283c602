"""concurrent.futures.ProcessPoolExecutor's pattern: a weakref callback on the executor carries the
executor's own shutdown lock (a default argument) and takes it when the executor dies, to wake its
manager.  Here the executor dies while the thread holds an unrelated lock: the callback interrupts
that critical section, but the lock it takes is the dead executor's, which no code on this thread
can be holding (every holder is a method of the executor, which keeps it alive).  Correct."""
import threading
import weakref

registry_lock = threading.Lock()


class Executor:
    def __init__(self):
        self._shutdown_lock = threading.Lock()
        self.jobs = []

        def weakref_cb(_, shutdown_lock=self._shutdown_lock):
            with shutdown_lock:  # wake the manager thread
                pass

        self._ref = weakref.ref(self, weakref_cb)

    def submit(self, job):
        with self._shutdown_lock:
            self.jobs.append(job)


for _ in range(2):
    ex = Executor()
    ex.submit("job")
    with registry_lock:  # the last reference goes inside an unrelated critical section
        ex = None
