"""A readers-writer lock whose readers' group holds the write lock (the "lightswitch" of Downey's
Little Book of Semaphores): the first reader takes it under the count lock, the last reader (often
another thread) releases it under the count lock; a writer takes and releases it alone.  Correct:
the counter makes the two uses of the count lock exclusive.  Imported by the rwlock_* programs."""
import threading


class RWLock:
    def __init__(self):
        self._readers = 0
        self._count_lock = threading.Lock()
        self._write_lock = threading.Lock()

    def acquire_read(self):
        with self._count_lock:
            self._readers += 1
            if self._readers == 1:
                self._write_lock.acquire()

    def release_read(self):
        with self._count_lock:
            self._readers -= 1
            if self._readers == 0:
                self._write_lock.release()

    def acquire_write(self):
        self._write_lock.acquire()

    def release_write(self):
        self._write_lock.release()
