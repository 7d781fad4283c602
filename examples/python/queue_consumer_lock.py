"""A queue consumer that blocks in get() while holding a lock the producer needs."""

import queue
import threading
import time

state_lock = threading.Lock()
jobs = queue.Queue()
stats = {"produced": 0}


def producer():
    for i in range(3):
        time.sleep(0.2)
        if i == 1:
            with state_lock:  # the producer needs the consumer's lock now and then
                stats["produced"] = i
        jobs.put(i)


threading.Thread(target=producer, name="producer").start()
with state_lock:
    first = jobs.get()  # blocks holding state_lock: fine only while the producer needs no lock
second = jobs.get()
third = jobs.get()
print("got", first, second, third)
