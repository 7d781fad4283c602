"""A reader-preferring readers-writer lock (the "lightswitch"): the readers' group holds ``resource``.

Correct and textbook (readerwriterlock's RWLockRead/RWLockWrite/RWLockFair, Downey's Little Book of
Semaphores): the first reader takes ``resource`` under ``readers_lock``, the last reader (often another
thread) releases it under ``readers_lock``; a writer takes and releases ``resource`` alone.  The counter
makes the two uses of ``readers_lock`` exclusive: a reader blocks on ``resource`` (holding
``readers_lock``) only when the count was 0, so no reader holds it and its holder is a writer, which
releases without ``readers_lock``; a release under ``readers_lock`` ends a readers' group hold, which no
reader ever waits for.  Each step runs in its own thread; the main thread holds nothing.
At 69205bb: circular dependency ``(release)ReaderPreferringRWLock.resource`` <->
``ReaderPreferringRWLock.readers_lock``: the hand-off rule gives the class one release event, so "the last
reader signals it under readers_lock" (while the writer waits) meets "the first reader waits for it under
readers_lock" (while the writer holds it).
Clean since cf316f6: holds taken under different locks end in different release events.
"""
import threading
import time


class ReaderPreferringRWLock:
    def __init__(self):
        self.readers = 0
        self.readers_lock = threading.Lock()
        self.resource = threading.Lock()

    def acquire_read(self):
        with self.readers_lock:
            self.readers += 1
            if self.readers == 1:
                self.resource.acquire()

    def release_read(self):
        with self.readers_lock:
            self.readers -= 1
            if self.readers == 0:
                self.resource.release()

    def acquire_write(self):
        self.resource.acquire()

    def release_write(self):
        self.resource.release()


def in_thread(fn):
    t = threading.Thread(target=fn)
    t.start()
    return t


def run(fn):
    in_thread(fn).join()


for _ in range(2):  # the class is seen handed off in the first round; the second round closes the cycle
    rw = ReaderPreferringRWLock()
    run(rw.acquire_read)
    run(rw.acquire_read)
    run(rw.release_read)
    writer = in_thread(rw.acquire_write)
    time.sleep(0.2)
    run(rw.release_read)
    writer.join()
    reader = in_thread(rw.acquire_read)
    time.sleep(0.2)
    run(rw.release_write)
    reader.join()
    run(rw.release_read)
