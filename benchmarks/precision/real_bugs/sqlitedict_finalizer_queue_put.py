"""sqlitedict 2.1.0: ``SqliteDict.__del__`` -> ``close(force=True)`` -> ``SqliteMultithread.close(force=True)``
puts a close request on ``self.reqs``, a ``queue.Queue`` whose ``mutex`` is a plain Lock; the connection's
worker thread takes that mutex in ``reqs.get()``. When a SqliteDict in a reference cycle is collected by the
cyclic GC in its own worker thread while the worker is inside ``reqs.get()`` (going idle, ``Condition.wait()``
allocates its waiter lock, a GC-tracked object, under the mutex), the finalizer blocks on the mutex its own
thread holds: the worker hangs for ever and the requests still queued (autocommit writes) are lost.
(The recall benchmark's sentry_queue_finalizer is the same bug in sentry-sdk 0.17.4.) A fix: make
``reqs`` a ``queue.SimpleQueue``, whose ``put()`` is documented as safe from ``__del__``.

Standalone (stdlib only, one thread standing for the worker): a cyclic-garbage owner whose ``__del__`` puts
on the queue, and a collection made due exactly at the allocation inside ``get()``. Each offset runs in a
child process; one of them hangs with the mutex held (checked on CPython 3.11.7: offsets 5 and 6).
"""
import gc
import queue
import subprocess
import sys


def child(offset: int) -> None:
    reqs = queue.Queue()

    class Dict:  # SqliteDict: its finalizer closes the connection through the request queue
        def __del__(self):
            print(f"offset {offset}: __del__ runs with reqs.mutex held: {reqs.mutex.locked()}", flush=True)
            reqs.put("--close--")

    gc.collect()
    gc.disable()
    d = Dict()
    d.cycle = d  # only the cyclic GC can collect it, on whichever thread allocates next
    del d
    gc.set_threshold(gc.get_count()[0] + offset)
    gc.enable()
    try:
        reqs.get(timeout=0.2)  # the worker going idle on an empty queue
    except queue.Empty:
        pass


if __name__ == "__main__":
    if len(sys.argv) > 1:
        child(int(sys.argv[1]))
        sys.exit(0)
    hung = []
    for offset in range(12):
        try:
            subprocess.run([sys.executable, __file__, str(offset)], timeout=3)
        except subprocess.TimeoutExpired:
            hung.append(offset)
    print("hung (finalizer inside Queue.get, self-deadlock) at offsets:", hung)
    sys.exit(1 if hung else 0)
