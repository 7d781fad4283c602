"""Buggy twin of benchmarks/precision/repros/barrier_rounds_under_lock.py: round 1 of two barriers
of one class (made by one line).  At the first barrier the worker waits holding ``lock``; at the second, the main
thread takes ``lock`` before it arrives.  Were the two paths to meet at one barrier (the same round:
a round is released only by an arrival of that round), the arrival would wait for the lock and the
lock's holder for the arrival.  Each barrier here completes: the first run is the lock-free arrival,
the second the worker's."""
import threading
import time

lock = threading.Lock()
barriers = [threading.Barrier(2) for _ in range(2)]


def worker_holds_lock(barrier):
    def worker():
        with lock:
            barrier.wait()  # round 1, under the lock

    t = threading.Thread(target=worker)
    t.start()
    while barrier.n_waiting == 0:
        time.sleep(0.01)
    barrier.wait()  # round 1, without it
    t.join()


def main_takes_lock(barrier):
    t = threading.Thread(target=barrier.wait)  # round 1, nothing held
    t.start()
    while barrier.n_waiting == 0:
        time.sleep(0.01)
    with lock:  # taken while the worker waits: the arrival needs the lock
        barrier.wait()  # round 1
    t.join()


worker_holds_lock(barriers[0])
main_takes_lock(barriers[1])
print("done")
