"""A shutdown path holds the observer's lock, wakes each emitter (a sentinel on its queue)
and joins it while still holding the lock; the emitters never take that lock: correct."""
import queue
import threading


class Emitter(threading.Thread):
    def __init__(self, out):
        super().__init__()
        self.q = queue.Queue()
        self.out = out

    def run(self):
        while True:
            item = self.q.get()
            if item is None:
                return
            self.out.append(item)

    def stop(self):
        self.q.put(None)


class Observer:
    def __init__(self):
        self._lock = threading.Lock()
        self.events = []
        self.emitters = [Emitter(self.events) for _ in range(5)]

    def start(self):
        with self._lock:
            for e in self.emitters:
                e.start()
                e.q.put("hello")

    def stop(self):
        with self._lock:
            for e in self.emitters:
                e.stop()
                e.join()


o = Observer()
o.start()
o.stop()
assert len(o.events) == 5
