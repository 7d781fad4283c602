"""Two rounds of one ``threading.Barrier``: the worker holds the lock in round 1, the main thread in round 2.

Seen in loguru 0.7.2's test_locks.py::test_no_error_if_multithreading (the sink calls ``barrier.wait()``
under the handler's lock, in the worker for round 1 and in the main thread for round 2), reported under
the pure-Python core. Correct: round 1 is released by the main thread's first ``wait()``, made without
the lock; the worker then leaves the lock and waits for round 2, which the main thread completes while
holding the lock. Each round's waiter is released by an arrival of the same round, and no round's
release ever needs the lock its waiter holds: no deadlock. The wait of round 1 and the signal of
round 2 are different events of one condition (as janus' queue_join_rounds.py for ``Queue.join``).
At 0e6d16a: waiting for condition barrier._cond while holding lock, which its signaller needs (both cores;
the sleeps only make the worker arrive first in both rounds, the interleaving loguru's test produced).
"""
import threading
import time

lock = threading.Lock()
barrier = threading.Barrier(2)


def worker():
    with lock:
        barrier.wait()  # round 1: released by the main thread's lock-free arrival
    barrier.wait()  # round 2: arrives first, released by the main thread under the lock


t = threading.Thread(target=worker)
t.start()
time.sleep(0.5)  # let the worker arrive first in round 1 (it waits under the lock) ...
barrier.wait()  # round 1
time.sleep(0.5)  # ... and in round 2, so that the main thread's arrivals release it
with lock:
    barrier.wait()  # round 2
t.join()
