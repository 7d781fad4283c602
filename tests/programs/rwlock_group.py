"""A readers-writer lock whose readers' group holds the write lock: the first reader takes
it, the last reader (often another thread) releases it: correct."""
import threading
import time

from lightswitch import RWLock

rw = RWLock()
data = []


def reader(delay):
    rw.acquire_read()
    time.sleep(delay)
    len(data)
    rw.release_read()


def writer():
    rw.acquire_write()
    data.append(1)
    rw.release_write()


threads = [threading.Thread(target=reader, args=(0.1,)), threading.Thread(target=reader, args=(0.3,)),
           threading.Thread(target=writer)]
threads[0].start()
time.sleep(0.05)
threads[1].start()
time.sleep(0.05)
threads[2].start()
for t in threads:
    t.join()
