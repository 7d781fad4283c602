"""prometheus_client 0.20.0: CollectorRegistry.register() holds the registry's
plain Lock while it asks the collector for its names (describe()); a
collector that creates its metrics lazily, registering them in the same
registry from describe(), re-enters register() and waits for itself
(prometheus/client_python#1014, seen with django-prometheus cache metrics).
0.21.0 made the registry lock an RLock.

This is a self-deadlock, so it cannot be split in two halves: the driver runs
it in a daemon thread and gives up waiting after 15 s (the buggy release
leaves that thread blocked; the fixed one finishes at once). lockdep reports
a thread waiting for a Lock it holds itself once the wait outlasts
LOCKDEP_HANG_TIMEOUT (default 10 s), since another thread could still
release it (a hand-off); the driver's wait is longer than that default.
"""
import threading

from prometheus_client import CollectorRegistry, Counter

registry = CollectorRegistry()


class LazyCollector:
    """Creates its counter the first time it is described."""

    def describe(self):
        Counter("lazy_events", "created on first use", registry=registry)  # register() again
        return []

    def collect(self):
        return []


worker = threading.Thread(target=registry.register, args=(LazyCollector(),), daemon=True)
worker.start()
worker.join(timeout=15)
print("prometheus_client registry driver: done;",
      "register() is stuck" if worker.is_alive() else "register() returned")
