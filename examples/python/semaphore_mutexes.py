"""Semaphores with one slot used as mutexes, taken in opposite orders (plus a signalling
semaphore and a counting pool, which are not locks and are not reported)."""

import threading
printer = threading.BoundedSemaphore(1)
scanner = threading.Semaphore(1)
pool = threading.Semaphore(4)
def copy():
    with printer:
        with scanner:
            pass
def scan_and_print():
    with scanner:
        with printer:
            pass
def signaller(ready):
    ready.release()
t = threading.Thread(target=copy); t.start(); t.join()
t = threading.Thread(target=scan_and_print); t.start(); t.join()
ready = threading.Semaphore(0)
t = threading.Thread(target=signaller, args=(ready,)); t.start()
ready.acquire(); t.join()
with pool:
    with pool:
        pass
print("ok")
