"""A lock taken after waiting for another thread orders what is taken under it, as an
uncontended one does.  The worker takes b, then a, which main holds (it waits: a chain
seen before, so the C core blocks and pushes without Python), then c under a; later main
takes c, then a: an inversion of a and c, which only the wait's push can show."""

import threading
import time

a = threading.Lock()
b = threading.Lock()
c = threading.Lock()

with b:  # the chain b -> a, validated once without waiting
    with a:
        pass


def worker() -> None:
    with b:
        with a:
            with c:
                pass


a.acquire()
t = threading.Thread(target=worker)
t.start()
time.sleep(0.3)  # let the worker block on a (if it has not by then, it takes a uncontended)
a.release()
t.join()

with c:
    with a:
        pass
