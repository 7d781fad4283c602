"""The buggy twin: the main thread joins a worker while holding a lock the worker takes.
The worker that takes the lock runs first, on its own, so nothing hangs."""
import threading

state_lock = threading.Lock()
state = []


def worker(take_lock):
    if take_lock:
        with state_lock:
            state.append(1)


for take in (True, False):
    t = threading.Thread(target=worker, args=(take,))
    if take:
        t.start()
        t.join()
    else:
        with state_lock:
            t.start()
            t.join()  # the bug: a worker of this kind takes state_lock
