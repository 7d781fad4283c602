"""The readers-writer lock of rwlock_group.py used by one thread at a time: no reader ever
releases another thread's group hold, so the lock is never seen handed off.  The first reader
still takes the write lock under the count lock, and the last one releases it under the count
lock, so one thread shows both orders of the two locks; the counter makes them exclusive (a
reader waits for the write lock under the count lock only when no reader holds it).  Two
instances are nested as a test suite does, always in one order (a read hold on the first while
writing the second).  Correct: readerwriterlock's RWLockRead/RWLockWrite/RWLockFair have this shape."""
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


def read_twice(rw):
    rw.acquire_read()
    rw.acquire_read()  # a second reader: only the count lock
    rw.release_read()
    rw.release_read()  # the last reader releases the group's hold


def read_one_write_other(rw1, rw2):
    rw1.acquire_read()
    rw2.acquire_write()
    rw2.release_write()
    rw1.release_read()


rw1, rw2 = RWLock(), RWLock()
for _ in range(2):
    read_twice(rw1)
    read_one_write_other(rw1, rw2)
t = threading.Thread(target=read_twice, args=(rw2,))
t.start()
t.join()
print("done")
