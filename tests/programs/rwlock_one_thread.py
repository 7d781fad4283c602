"""The readers-writer lock of lightswitch.py used by one thread at a time: no reader ever
releases another thread's group hold, so the lock is never seen handed off.  The first reader
still takes the write lock under the count lock, and the last one releases it under the count
lock, so one thread shows both orders of the two locks; the counter makes them exclusive (a
reader waits for the write lock under the count lock only when no reader holds it).  Two
instances are nested as a test suite does, always in one order (a read hold on the first while
writing the second).  Correct: readerwriterlock's RWLockRead/RWLockWrite/RWLockFair have this shape."""
import threading

from lightswitch import RWLock


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
