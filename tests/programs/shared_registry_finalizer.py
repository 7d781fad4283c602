"""Buggy twin of pool_finalizer_other_instance.py: the finalizers unregister from one shared
registry, under the registry's lock, and the collection can run while the thread holds that
lock (register() allocates): the finalizer then waits for a lock its own thread holds."""
import gc
import threading
import weakref


class Registry:
    def __init__(self):
        self.lock = threading.Lock()
        self.names = {}

    def register(self, obj):
        with self.lock:
            self.names[id(obj)] = type(obj).__name__
            weakref.finalize(obj, self.unregister, id(obj))

    def unregister(self, key):
        with self.lock:
            self.names.pop(key, None)


registry = Registry()
guard = threading.Lock()


class Resource:
    def __init__(self):
        self.me = self
        registry.register(self)


gc.disable()
Resource()
with guard:  # the collection runs inside some critical section of the program
    gc.collect()
Resource()
