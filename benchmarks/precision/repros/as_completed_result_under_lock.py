"""Results of the futures ``as_completed()`` yields, read under a lock the workers take too.

Correct (workers count their progress under a lock; the main thread stores each result under it as it
arrives): ``as_completed()`` yields a future only once it is done, so its ``result()`` returns at once,
in every run.  Likewise the ``done`` set that ``wait()`` returns.
At 743eeb1 (both cores): "waiting for the result of work() while holding lock" (a wait for the future's
event under the lock its worker takes before it finishes).  Clean since: a future that ``wait()`` or
``as_completed()`` gave the program as done is no wait.  A future asked under the lock without being seen
done first is still reported (tests/programs/done_future_result_under_lock.py).
"""
import threading
from concurrent.futures import ThreadPoolExecutor, as_completed, wait

lock = threading.Lock()
progress = [0]
results = []


def work(i):
    with lock:
        progress[0] += 1
    return i


with ThreadPoolExecutor(4) as ex:
    for f in as_completed([ex.submit(work, i) for i in range(20)]):
        with lock:
            results.append(f.result())
    done, _ = wait([ex.submit(work, i) for i in range(20)])
    with lock:
        results.extend(f.result() for f in done)
assert sorted(results) == sorted(list(range(20)) * 2)
