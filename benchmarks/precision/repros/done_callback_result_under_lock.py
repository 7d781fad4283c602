"""A future's done callback reads its result under a lock that the other callbacks take too.

Correct (the usual way to gather results: ``f.add_done_callback(cb)`` with ``cb`` appending
``f.result()`` to a list under a lock): a done callback runs once its future is done, so ``result()``
there returns at once; it runs on the worker (inside the work item) or, for a future already done, at
once in the thread that adds it.
At 743eeb1 (both cores): "waiting for the result of pow() while holding lock, which its signaller needs"
(the worker takes the lock in the callback of one future before it finishes, the main thread asks the
result of another, done, future under the lock).  Clean since: ``result()`` of a done future inside one of
its own done callbacks is no wait.
"""
import threading
from concurrent.futures import ThreadPoolExecutor, wait

lock = threading.Lock()
results = []


def collect(future):
    with lock:
        results.append(future.result())


with ThreadPoolExecutor(4) as ex:
    futures = []
    for i in range(50):
        f = ex.submit(pow, i, 2)
        f.add_done_callback(collect)
        futures.append(f)
    wait(futures)
assert sorted(results) == [i * i for i in range(50)]
