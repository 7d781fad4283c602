"""Asking for a future's result under a lock its worker takes: a deadlock whenever the future is still
pending then.  Here it happens to be done already (the run does not hang), and it is still reported."""
import threading
from concurrent.futures import ThreadPoolExecutor

registry_lock = threading.Lock()


def load():
    with registry_lock:
        return 1


with ThreadPoolExecutor(1) as ex:
    f = ex.submit(load)
    f.result()
    with registry_lock:
        f.result()
