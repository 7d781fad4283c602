"""urllib3's pattern: weakref.finalize(pool, close_pool, pool.queue) empties a collected pool's
queue under that queue's mutex.  Here the collection runs while the thread is inside a live
pool's critical section (same class of mutex, another instance): the dead pool's mutex is held
by nobody, so the finalizer cannot deadlock.  Correct."""
import gc
import threading
import weakref


class Queue:
    def __init__(self):
        self.mutex = threading.Lock()
        self.items = [1, 2]

    def drain(self):
        with self.mutex:
            self.items.clear()


class Pool:
    def __init__(self):
        self.queue = Queue()
        self.me = self  # a reference cycle: only the garbage collector frees a pool
        weakref.finalize(self, Queue.drain, self.queue)

    def use(self):
        with self.queue.mutex:
            gc.collect()  # a collection inside the critical section (any allocation can set one off)


gc.disable()
for _ in range(3):
    Pool()  # garbage, freed by the next collection
    live = Pool()
    live.use()
    live.queue.drain()
