"""An at-fork hook that takes every lock of a registry, in the registry's iteration order.

Seen in loguru 0.7.2 (``_locks_machinery.acquire_locks``, registered with ``os.register_at_fork``; its
test_multiprocessing forks many times while loggers come and go). Each round takes all the registered
locks in the order the shared ``WeakSet`` iterates them and releases them all. The order of two locks
changes only when the set is resized by a later registration, so every thread that iterates the
registry at the same time takes the locks in the same order; opposite orders are only ever seen
in rounds that cannot overlap. (The one interleaving that could deadlock needs two threads forking at
once and a third registering a new lock that resizes the set in the instant between one forking
thread's ``next()`` and its ``acquire()``: not a bug a maintainer would be asked to fix.)
This script makes the flip deterministic in one thread: it registers locks until two of
sixteen survivors change places, then forks again.
At 0e6d16a: two or three make_lock.lock objects (it depends on the ids, so on the run and the core) are
taken in a cycle.
"""
import os
import threading
import weakref

registry = weakref.WeakSet()


def make_lock():
    lock = threading.Lock()
    registry.add(lock)
    return lock


def before_fork():  # loguru: os.register_at_fork(before=..., after_in_parent=..., after_in_child=...)
    for lock in registry:
        lock.acquire()


def after_fork():
    for lock in registry:
        lock.release()


os.register_at_fork(before=before_fork, after_in_parent=after_fork, after_in_child=after_fork)


def fork_round():  # loguru's test_multiprocessing forks (its hook runs from os.fork)
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


survivors = [make_lock() for _ in range(16)]
ids = {id(lock) for lock in survivors}
fork_round()
first = [id(lock) for lock in registry if id(lock) in ids]
keep = []
for _ in range(256):  # register until a resize reorders two survivors (bounded: it may never)
    keep += [make_lock() for _ in range(16)]
    if [id(lock) for lock in registry if id(lock) in ids] != first:
        break
fork_round()
