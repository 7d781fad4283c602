"""50 threads, one lock order, queues and joins: nothing to report."""

import queue
import threading

a, b, c = threading.Lock(), threading.RLock(), threading.Lock()
results = queue.Queue()
counter = [0]


def work(n):
    for _ in range(20):
        with a:
            with b:
                with b:
                    with c:
                        counter[0] += 1
    results.put(n)


threads = [threading.Thread(target=work, args=(i,)) for i in range(50)]
for t in threads:
    t.start()
for t in threads:
    t.join()
print(sorted(results.get() for _ in range(50)) == list(range(50)), counter[0])
