"""Buggy twin of handoff_done_flag.py: the main thread waits for a worker's "done" flag (a Lock
the worker releases) while holding the state lock, and workers take the state lock before they
release the flag.  Had the main thread taken the state lock first, neither could go on."""
import threading
import time

state_lock = threading.Lock()


def job(done, first_sleep, then_sleep):
    time.sleep(first_sleep)
    with state_lock:  # a worker needs the state lock before it can say it is done
        pass
    time.sleep(then_sleep)
    done.release()


def round_(first_sleep, then_sleep, main_sleep, under_lock):
    done = threading.Lock()
    done.acquire()
    worker = threading.Thread(target=job, args=(done, first_sleep, then_sleep))
    worker.start()
    time.sleep(main_sleep)
    if under_lock:
        with state_lock:
            done.acquire()  # the bug: waits for the worker holding what the worker needs
    else:
        done.acquire()
    worker.join()


round_(0, 0, 0.1, False)      # the flag is seen handed off (released by the worker)
round_(0.1, 0, 0, False)      # the worker takes the state lock while the main thread waits for it
round_(0, 0.2, 0.1, True)     # the main thread waits for it holding the state lock (no hang: too late)
