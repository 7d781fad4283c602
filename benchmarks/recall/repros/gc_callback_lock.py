"""MISSED today: a lock taken in a gc.callbacks hook and by normal code.

Expected: inconsistent_lock_state on `gc_callback_lock.metric_lock` (a
collection can start while normal code holds the lock; the hook then waits
for its own thread). Seen: no finding, because gc.callbacks hooks run in the
normal (process) context: only __del__ and signal handlers are wrapped as
interrupting contexts. Same cause for prometheus_gc_callback and
otel_context_gc_callback.

    python -m lockdep benchmarks/recall/repros/gc_callback_lock.py
"""
import gc
import threading

metric_lock = threading.Lock()
collections = 0


def on_gc(phase, info):
    global collections
    with metric_lock:  # as prometheus_client 0.5.0's Histogram.observe
        collections += 1


with metric_lock:  # a scrape: no collection starts in here (in this run)
    pass
gc.callbacks.append(on_gc)
gc.collect()
gc.callbacks.remove(on_gc)
