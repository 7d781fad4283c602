"""An at-fork hook that takes every lock of a registry, in the registry's iteration order, so that
the child gets them unlocked (loguru's ``_locks_machinery``, registered with ``os.register_at_fork``).
The order of two locks in loguru's shared ``WeakSet`` changes when a later registration resizes it
(here a list, reversed between the forks, makes that flip certain), so two forks take them in
opposite orders -- rounds that cannot overlap, not a lock order.  Correct.
(benchmarks/precision/repros/fork_hook_takes_registry.py flips a real WeakSet by resizing it.)"""
import os
import threading

registry = []


def make_lock():
    lock = threading.Lock()
    registry.append(lock)
    return lock


def acquire_all():
    for lock in registry:
        lock.acquire()


def release_all():
    for lock in registry:
        lock.release()


os.register_at_fork(before=acquire_all, after_in_parent=release_all, after_in_child=release_all)


def fork():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


x, y = make_lock(), make_lock()
fork()
registry.reverse()  # (a WeakSet resized by a new registration)
fork()
with x:  # normal code nests them in one order: still checked
    with y:
        pass
print("done")
