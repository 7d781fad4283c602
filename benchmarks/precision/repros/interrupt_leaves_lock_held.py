"""A KeyboardInterrupt (any exception raised by a signal handler) arriving while `with lock:` waits for a
contended Lock. Plain CPython either raises before the lock is taken or after the with-block owns it, so the
lock is always released. Under lockdep (cd8338d, both cores) the handler can run after the real lock was
taken but before lockdep's bookkeeping returns (runtime/state.py acquire_blocking), the exception leaves
__enter__, __exit__ never runs and the lock stays held for ever: the holder thread below hangs.
Seen as dask's tests/test_threaded.py::test_interrupt hanging under `pytest --lockdep` (its result queue's
mutex stays held, the worker reporting the last result blocks in queue.put()).
"""
import signal
import sys
import threading
import time

lock = threading.Lock()
main = threading.get_ident()
armed = stop = False


def on_sigint(signum, frame):
    global armed
    if armed:  # one interrupt, and only inside main's try block below
        armed = False
        raise KeyboardInterrupt


def holder():  # keeps the lock contended
    while not stop:
        with lock:
            time.sleep(0.0005)


def interrupter():
    while not stop:
        signal.pthread_kill(main, signal.SIGINT)
        time.sleep(0.002)


signal.signal(signal.SIGINT, on_sigint)
threads = [threading.Thread(target=holder, daemon=True), threading.Thread(target=interrupter, daemon=True)]
for t in threads:
    t.start()
deadline = time.monotonic() + 2
while time.monotonic() < deadline:
    try:
        armed = True
        for _ in range(100):
            with lock:
                pass
    except KeyboardInterrupt:
        pass
armed, stop = False, True
threads[0].join(3)
sys.exit("HANG: an interrupt left the lock held" if threads[0].is_alive() else 0)
