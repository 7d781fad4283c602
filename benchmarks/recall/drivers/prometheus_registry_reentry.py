"""prometheus_client 0.20.0: CollectorRegistry.register() holds the registry's
plain Lock while it asks the collector for its names (describe()); a
collector that creates its metrics lazily, registering them in the same
registry from describe(), re-enters register() and waits for itself
(prometheus/client_python#1014, seen with django-prometheus cache metrics).
0.21.0 made the registry lock an RLock.

This is a self-deadlock, so it cannot be split in two halves: the driver runs
it in a daemon thread and gives up waiting after a few seconds (the buggy
release leaves that thread blocked; the fixed one finishes).
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
worker.join(timeout=5)
print("prometheus_client registry driver: done;",
      "register() is stuck" if worker.is_alive() else "register() returned")
