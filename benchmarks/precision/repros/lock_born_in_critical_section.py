"""A lock taken in its owner's __init__, where the object is still private, inside a logging handler.

Correct (opentelemetry-sdk's BoundedAttributes with its LoggingHandler): ``Attributes.__init__`` fills
itself under its own lock and logs a warning for a dropped attribute (Attributes._lock -> Handler.lock);
the handler's ``emit`` builds a new ``Attributes`` for the record (Handler.lock -> Attributes._lock). The
inner lock in the second order always belongs to an object created inside the handler's critical section,
which no other thread can have seen, let alone hold: no two threads can ever wait for each other.
At 69205bb: Attributes._lock and Handler.lock are taken in opposite orders (one class for every instance,
so the private instance of emit() stands for the shared ones).
Clean since 22a58b3: a lock taken in its owner's __init__ on its creating thread is private.
"""
import logging
import threading

log = logging.getLogger("attrs")


class Attributes:
    def __init__(self, items):
        self._lock = threading.Lock()
        self._data = {}
        with self._lock:
            for key, value in items.items():
                if value is None:
                    log.warning("attribute %s dropped", key)
                else:
                    self._data[key] = value


class ExportingHandler(logging.Handler):
    def emit(self, record):
        self.last = Attributes({"message": record.getMessage()})


logging.getLogger().addHandler(ExportingHandler())
t = threading.Thread(target=Attributes, args=({"user": None},))
t.start()
t.join()
logging.getLogger("app").warning("hello")
