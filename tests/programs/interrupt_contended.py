"""A KeyboardInterrupt raised by a signal handler while `with lock:` waits for a contended Lock:
the lock must never stay held (found by the precision harness as dask's test_interrupt hanging).
Copied from benchmarks/precision/repros/interrupt_leaves_lock_held.py."""
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
