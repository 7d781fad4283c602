"""Buggy twin of benchmarks/precision/repros/wait_futures_of_two_submit_sites.py: the mutexes of
two queues made at two lines (two classes of one family, ``Queue.__init__``'s mutex) are nested
by the user's code in both orders, by two threads, one after the other (so this run does not
hang).  Had they run together, each would hold one mutex and wait for the other."""
import queue
import threading

inbox = queue.Queue()
outbox = queue.Queue()


def move(src, dst):
    with src.mutex:
        with dst.mutex:
            dst.queue.extend(src.queue)
            src.queue.clear()


for args in ((inbox, outbox), (outbox, inbox)):
    t = threading.Thread(target=move, args=args)
    t.start()
    t.join()
