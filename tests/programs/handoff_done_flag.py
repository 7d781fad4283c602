"""A plain Lock used as a binary semaphore: the main thread takes it, a worker releases it
when done, and the main thread acquires it again to wait for that: correct."""
import threading
import time

results = []
log_lock = threading.Lock()


def job(done):
    with log_lock:
        results.append("work")
    time.sleep(0.05)
    done.release()  # hand the lock back: "done"


for _ in range(3):
    done = threading.Lock()
    done.acquire()
    threading.Thread(target=job, args=(done,)).start()
    with log_lock:
        results.append("started")
    done.acquire()  # wait for the worker's release
    done.release()
    with log_lock:
        results.append("after")
assert results.count("work") == 3
