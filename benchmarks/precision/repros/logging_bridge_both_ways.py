"""A logging library bridged with ``logging`` both ways: a sink that is a ``logging`` handler, and a
``logging`` handler that forwards into the library.

Correct and documented (loguru 0.7.2: ``logger.add(logging.StreamHandler())`` and the README's
``InterceptHandler``; seen across its test_coroutine_sink and test_interception). The library's handler
holds its own lock while it hands a record to its sink's ``Handler.handle`` (Sink._lock ->
Handler.lock); the intercepting handler runs under its own ``Handler.lock`` when it forwards into the
library (Handler.lock -> Sink._lock). The two orders never involve the same pair of instances: they
could only meet if the intercepting handler were also the library's sink, and then one record would
go round forever in one thread (loguru refuses that re-entry with a RuntimeError). Two threads can
never wait for each other.
At 0e6d16a: Sink._lock and Handler.lock are taken in opposite orders (both cores).
"""
import io
import logging
import threading


class Sink:
    """The library's handler: its own lock around the sink, here a ``logging`` handler."""

    def __init__(self, handler):
        self._lock = threading.Lock()
        self.handler = handler

    def emit(self, record):
        with self._lock:
            self.handler.handle(record)


class InterceptHandler(logging.Handler):
    """``logging`` -> the library (``emit`` runs under this handler's lock)."""

    def __init__(self, sink):
        super().__init__()
        self.sink = sink

    def emit(self, record):
        self.sink.emit(record)


to_logging = Sink(logging.StreamHandler(io.StringIO()))  # library -> logging
record = logging.LogRecord("lib", logging.INFO, __file__, 1, "to logging", None, None)
to_logging.emit(record)

std = logging.getLogger("std")
std.propagate = False
std.addHandler(InterceptHandler(Sink(logging.NullHandler())))  # logging -> library
t = threading.Thread(target=std.warning, args=("from logging",))
t.start()
t.join()
