"""A lock dropped while held: nobody can ever take it again, yet it stays held for ever.

Correct: ``abandon()`` takes a connection's lock and drops the connection (as CPython's lock tests do,
``lock.acquire(); del lock``; or a request whose "busy" lock is abandoned with the request).  The lock
is unreachable: it can block nobody.  Later the thread takes ``registry`` alone, then ``registry`` and
another connection's lock, always in that order.
At 743eeb1 (both cores): "Conn.lock and registry are taken in opposite orders": lockdep's held stack
keeps the dropped lock alive (plain Python frees it; here ``ref()`` stays alive) and held by the thread,
so every later acquisition on the thread is ordered after it (Conn.lock -> registry).  In CPython's
test_threading the same stale holds give a held_lock_at_fork listing eleven locks the tests dropped.
"""
import gc
import threading
import weakref


class Conn:
    def __init__(self):
        self.lock = threading.Lock()


registry = threading.Lock()


def abandon():
    conn = Conn()
    conn.lock.acquire()
    return weakref.ref(conn.lock)


ref = abandon()
gc.collect()
with registry:
    pass
other = Conn()
with registry:
    with other.lock:
        pass
