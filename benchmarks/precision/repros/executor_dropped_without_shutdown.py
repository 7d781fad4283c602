"""A ThreadPoolExecutor dropped without shutdown() stops its workers while its futures live on (a hang).

Correct (CPython's test_concurrent_futures.test_shutdown::test_del_shutdown): the executor's last
reference goes, the weakref callback it gave its workers wakes them (a None in the work queue), and they
exit; the caller joins them and then reads the results of ``map``, whose futures it still holds.
At 0f92aa8, under ``python -m lockdep`` (hang watchdog on): every submitted future referred to its
executor (for the watchdog's wait-for graph), so the futures kept the executor alive, its callback never
ran, and the join hung for ever (test_del_shutdown timed out; both cores). This script exits 1 then,
after a 10 s join timeout.
"""
import sys
from concurrent.futures import ThreadPoolExecutor

executor = ThreadPoolExecutor(max_workers=2)
results = executor.map(abs, range(-5, 5))
threads = list(executor._threads)
del executor
for t in threads:
    t.join(10)
    if t.is_alive():
        sys.exit(f"{t.name} still waiting for work: the dropped executor was never collected")
assert list(results) == [abs(v) for v in range(-5, 5)]
