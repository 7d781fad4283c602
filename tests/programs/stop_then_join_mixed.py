"""Like stop_then_join.py, but the emitter threads are all started by one base class line
(watchdog's BaseThread), and the first observer's emitters never wait on a queue: the
observer joined them under its lock before any of its emitters waited.  A later observer
wakes its emitters (a notify under the lock) and then joins them: the wake-up is its own,
so the join can't be waiting on it.  Correct."""
import threading


class BaseThread:
    def __init__(self):
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self.run)  # one creation site for every emitter

    def start(self):
        self._thread.start()

    def join(self):
        self._thread.join()

    def stop(self):
        self._stopped.set()
        self.on_stop()

    def on_stop(self):
        pass

    def run(self):  # one target for every emitter (watchdog's EventEmitter.run)
        self.queue_events()


class DelayedQueue:
    def __init__(self):
        self._lock = threading.Lock()
        self._not_empty = threading.Condition(self._lock)
        self._closed = False

    def close(self):
        with self._lock:
            self._closed = True
            self._not_empty.notify()

    def get(self):
        with self._not_empty:
            while not self._closed:
                self._not_empty.wait()


class IdleEmitter(BaseThread):
    def queue_events(self):
        self._stopped.wait()


class QueueEmitter(BaseThread):
    def __init__(self):
        super().__init__()
        self.q = DelayedQueue()

    def queue_events(self):
        self.q.get()

    def on_stop(self):
        self.q.close()


class Observer:
    def __init__(self, kind):
        self._lock = threading.RLock()
        self.emitters = [kind() for _ in range(3)]

    def start(self):
        for e in self.emitters:
            e.start()

    def stop(self):
        with self._lock:
            for e in self.emitters:
                e.stop()
                e.join()


for kind in (IdleEmitter, QueueEmitter, QueueEmitter):
    o = Observer(kind)
    o.start()
    o.stop()
