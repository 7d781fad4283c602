"""An actor-style future: the outer future's condition is held while waiting on an inner
future of the same class (always outer, then inner): correct."""
import threading


class Future:
    def __init__(self):
        self._cond = threading.Condition()
        self._done = False
        self._value = None

    def set(self, value):
        with self._cond:
            self._value, self._done = value, True
            self._cond.notify_all()

    def get(self):
        with self._cond:
            while not self._done:
                self._cond.wait()
            return self._value

    def chain(self, inner):
        """Resolve this future from an inner one, holding this future's condition."""
        with self._cond:
            value = inner.get()
            self._value, self._done = value, True
            self._cond.notify_all()


for i in range(3):
    outer, inner = Future(), Future()
    t = threading.Thread(target=lambda: (inner.set(i), None))
    helper = threading.Thread(target=outer.chain, args=(inner,))
    helper.start()
    t.start()
    assert outer.get() == i
    t.join()
    helper.join()
