"""A registry of named locks in a WeakValueDictionary: an entry lives as long as some thread uses its lock
(oslo.concurrency's lockutils.Semaphores: `lock('name')` takes `_semaphores.get(name)`, a threading.Semaphore,
and the entry goes away with the last user; oslo's own test checks that no semaphore leaks).

Plain python: once every thread has released the lock and dropped its reference, the registry is empty.
Under lockdep (C and Python core, at 315430d), the record of a thread's latest acquisition of each class
(`TaskState.last_acq[node]`, a HeldLock whose `.lock` is the primitive itself) keeps the last instance alive:
for the main thread until it takes another instance of that class, and for threads that have ended until some
other thread's next lock event (their states stay reachable after they exit; `gc.collect()` does not help).
The registry keeps the entry, and oslo.concurrency's LockTestCase::test_lock_internally fails ("Semaphore leak
detected": 1 != 2) on every run, both cores.  The script exits 1 under lockdep (AssertionError), 0 plain.
"""
import gc
import threading
import weakref

registry = weakref.WeakValueDictionary()
registry_lock = threading.Lock()


def get(name):
    with registry_lock:
        try:
            return registry[name]
        except KeyError:
            sem = registry[name] = threading.Semaphore()
            return sem


def work(name):
    with get(name):
        pass


leaked = []
threads = [threading.Thread(target=work, args=("by-threads",)) for _ in range(10)]
for t in threads:
    t.start()
for t in threads:
    t.join()
gc.collect()
leaked += list(registry)  # the ten threads have ended: nothing uses the lock any more
work("by-main")
gc.collect()
leaked += [name for name in registry if name not in leaked]
assert not leaked, f"released locks still alive: {leaked}"
print("ok: every released lock was freed")
