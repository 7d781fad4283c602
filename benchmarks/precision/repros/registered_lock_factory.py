"""A lock factory that registers every lock it makes (for an at-fork hook) before returning it.

Correct (loguru 0.7.2's ``create_handler_lock()``, used for ``Handler._lock`` and ``Handler._queue_lock``):
``stop()`` holds the handler's ``_lock`` while it joins its writer thread; the writer only ever takes
``_queue_lock``, another lock made by the same factory for another attribute. The join can never wait
for a thread that needs ``_lock``: no deadlock. The factory is ``lock = Lock(); registry.add(lock);
return lock``, not ``return Lock()``, so both attributes get the factory's class.
At 0e6d16a: waiting for the thread running Handler.writer() while holding make_lock.lock, which its
signaller needs (both cores).
"""
import queue
import threading
import weakref

registry = weakref.WeakSet()  # loguru takes all of them around os.fork()


def make_lock():
    lock = threading.Lock()
    registry.add(lock)
    return lock


class Handler:
    def __init__(self):
        self._lock = make_lock()  # guards emit() and stop()
        self._queue_lock = make_lock()  # guards the sink against a fork, taken by the writer only
        self._queue = queue.SimpleQueue()
        self._thread = threading.Thread(target=self.writer, daemon=True)
        self._thread.start()

    def writer(self):
        while (message := self._queue.get()) is not None:
            with self._queue_lock:
                self.written = message

    def emit(self, message):
        with self._lock:
            self._queue.put(message)

    def stop(self):
        with self._lock:
            self._queue.put(None)
            self._thread.join()


h = Handler()
h.emit("hello")
h.stop()
