"""readerwriterlock's downgrade (RWLockReadD): a writer starts a thread that asks for a read
hold (it takes the count lock, then waits for the write lock), then releases its write hold;
the thread's read hold goes on, released later by the main thread.  The main thread took the
count lock of another instance (a read hold on it) just before it took the write lock, and
nothing else in between.  Correct: the writer's release needs no count lock.  At b10c68f the C
core reported it (a window of the release began at the seq of the count lock's acquisition)."""
import threading
import time

import lightswitch


class RWLock(lightswitch.RWLock):
    def downgrade(self):
        t = threading.Thread(target=self.acquire_read)
        t.start()
        time.sleep(0.2)  # the thread now waits for the write lock, holding the count lock
        self.release_write()
        t.join()


for _ in range(3):
    rw1, rw2 = RWLock(), RWLock()
    rw1.acquire_read()
    rw2.acquire_write()
    rw2.downgrade()
    rw1.release_read()
    rw2.release_read()  # the last reader: the thread's hold, released by the main thread
print("done")
