"""prometheus_client 0.5.0: the default GCCollector registers a gc.callbacks
hook that observes Histograms (labels() and MutexValue.inc take the metric's
plain Lock). A collection can start anywhere, e.g. inside MutexValue.get()
while a scrape holds that lock: the callback then waits for its own thread
(prometheus/client_python#363). Fixed in 0.6.0 (#371): no callback any more,
the collector reads gc.get_stats() at scrape time.

The driver scrapes (locks taken by normal code) and, separately, forces a
collection (the callback takes the same locks); the collection never starts
inside the scrape here, so nothing hangs.
"""
import gc

from prometheus_client import REGISTRY, generate_latest

gc.collect()  # the callback observes python_gc_* histograms
generate_latest(REGISTRY)  # the scrape: MutexValue.get() under each value's lock
gc.collect()
print("prometheus_client driver: done")
