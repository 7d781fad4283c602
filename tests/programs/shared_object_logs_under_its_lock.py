"""Buggy twin of benchmarks/precision/repros/lock_born_in_critical_section.py: the object is shared.  ``Attributes.set`` logs
under the object's lock (Attributes._lock -> Handler.lock) and the handler's ``emit`` reads the same
shared object (Handler.lock -> Attributes._lock): a thread logging while another sets an attribute
can deadlock."""
import logging
import threading

log = logging.getLogger("attrs")


class Attributes:
    def __init__(self):
        self._lock = threading.Lock()
        self._data = {}

    def set(self, key, value):
        with self._lock:
            if value is None:
                log.warning("attribute %s dropped", key)
            else:
                self._data[key] = value

    def snapshot(self):
        with self._lock:
            return dict(self._data)


shared = Attributes()


class ExportingHandler(logging.Handler):
    def emit(self, record):
        if record.name == "app":  # (the attributes' own warnings are only counted)
            self.last = shared.snapshot()


logging.getLogger().addHandler(ExportingHandler())
t = threading.Thread(target=shared.set, args=("user", None))
t.start()
t.join()
logging.getLogger("app").warning("hello")
