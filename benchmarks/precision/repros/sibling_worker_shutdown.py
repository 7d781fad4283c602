"""Stopping sibling workers one by one: each worker has its own inbox (one creation site, so one class).

Correct and common (pykka actors, per-worker queues): put a stop message into worker 0's inbox, join
worker 0, then the same for worker 1. Worker 1 idles on *its own* inbox while the main thread joins
worker 0; that join can never block the put into inbox 1, because worker 0 only waits on inbox 0.
At c38db9d: circular dependency (condition)Worker.inbox.not_empty <-> (thread)Thread-1: the wait windows of
two inbox instances merge in one class.
"""
import queue
import threading


class Worker:
    def __init__(self):
        self.inbox = queue.Queue()
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self):
        while self.inbox.get() is not None:
            pass


workers = [Worker(), Worker()]
for w in workers:
    w.inbox.put("job")
for w in workers:
    w.inbox.put(None)
    w.thread.join()
