"""Thread.join() while holding a lock the thread needs.

The worker updates the cache under cache_lock.  The main thread, holding
cache_lock, joins the worker: if the worker had not yet taken the lock, both
would wait forever.  Here the worker is always done first, so the run ends.
"""

import threading

cache_lock = threading.Lock()
cache = {}
updated = threading.Event()


def refresh():
    with cache_lock:
        cache["config"] = {"retries": 3}
    updated.set()


worker = threading.Thread(target=refresh, name="refresher")
worker.start()
updated.wait()
with cache_lock:
    worker.join()  # deadlocks whenever the worker is still before its `with cache_lock`
print(cache)
