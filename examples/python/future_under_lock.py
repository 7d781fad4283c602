"""Future.result() under a lock the work item takes (a thread-pool deadlock)."""

import threading
from concurrent.futures import ThreadPoolExecutor

registry_lock = threading.Lock()
registry = {}


def load(name):
    with registry_lock:
        registry[name] = len(name)
        return registry[name]


with ThreadPoolExecutor(max_workers=2) as pool:
    fut = pool.submit(load, "plugins")
    fut.result()  # let it finish: this run never deadlocks
    with registry_lock:
        print("loaded", fut.result())  # would deadlock if load() had not finished yet
