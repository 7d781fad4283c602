"""The buggy twin: a consumer waits on queue.get() holding a lock the producer needs.
Each half runs on its own (with another producer), so the program never hangs."""
import queue
import threading
import time

lock = threading.Lock()
q = queue.Queue()


def consumer(hold_lock):
    if hold_lock:
        with lock:
            q.get()  # the bug: waits with the lock held
    else:
        q.get()


def producer(take_lock):
    time.sleep(0.1)  # the consumer is waiting by now
    if take_lock:
        with lock:
            q.put(1)
    else:
        q.put(1)


for hold, take in ((False, True), (True, False)):
    threads = [threading.Thread(target=consumer, args=(hold,)), threading.Thread(target=producer, args=(take,))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
