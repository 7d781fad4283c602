"""Producer/consumer rounds with Queue.join(): each round starts two workers, puts a batch, join()s, stops them.

Correct stdlib usage: a worker only calls task_done() for an item it got, and join() only waits while an
item is outstanding, so the workers' waits on not_empty can never hold up all_tasks_done.
At c38db9d (every run with 20 rounds on an idle machine; one set of workers for all rounds is clean):
circular dependency (condition)q.all_tasks_done <-> (condition)q.not_empty. Likely cause: a new worker's
first wait on not_empty, before the round's join() began, is counted inside join()'s window: a window must
open with each first waiter and close when its waiters are gone, and a thread started later must not inherit
an open window (issue #7, section 5).
Seen in janus' tests/test_sync.py::test_queue_join (janus.Queue implements the same protocol).
"""
import queue
import threading


def worker(q):
    while q.get() is not None:
        q.task_done()
    q.task_done()


q = queue.Queue()
for round_ in range(20):
    workers = [threading.Thread(target=worker, args=(q,)) for _ in range(2)]
    for t in workers:
        t.start()
    for i in range(100):
        q.put(i)
    q.join()
    for t in workers:
        q.put(None)
    q.join()
