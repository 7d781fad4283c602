"""Buggy twin of stop_then_join_mixed.py: the emitters are woken by another thread, a
stopper that takes the observer's lock first.  Had the observer joined before the stopper
got the lock, nobody could wake the emitter: a deadlock waiting to happen."""
import threading
import time


class DelayedQueue:
    def __init__(self):
        self._not_empty = threading.Condition(threading.Lock())
        self._closed = False

    def close(self):
        with self._not_empty:
            self._closed = True
            self._not_empty.notify()

    def get(self):
        with self._not_empty:
            while not self._closed:
                self._not_empty.wait()


class Emitter:
    def __init__(self):
        self.q = DelayedQueue()
        self.thread = threading.Thread(target=self.q.get)


class Observer:
    def __init__(self):
        self._lock = threading.RLock()
        self.emitter = Emitter()

    def stop_from_elsewhere(self):
        with self._lock:          # the stopper needs the observer's lock to wake the emitter
            self.emitter.q.close()

    def join(self):
        with self._lock:          # ... and the observer joins the emitter while holding it
            self.emitter.thread.join()


o = Observer()
o.emitter.thread.start()
stopper = threading.Thread(target=o.stop_from_elsewhere)
stopper.start()
stopper.join()
while o.emitter.thread.is_alive():  # (for a stable report: the join is the step that closes the cycle)
    time.sleep(0.01)
o.join()
