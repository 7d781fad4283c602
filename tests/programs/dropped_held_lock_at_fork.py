"""A lock dropped while held (``lock.acquire(); del lock``, as CPython's own lock tests do) can block
nobody: no code can reach it.  A later fork by another thread gives the child nothing it could
ever wait for.  Correct: before the fix, lockdep's held stack kept the lock alive and held by the
main thread, and the fork was ``held_lock_at_fork`` (CPython's test_threading, eleven such locks).
A lock the program still reaches is still reported (test_runtime_programs: test_fork_while_...)."""
import os
import threading


def abandon():
    lock = threading.Lock()
    lock.acquire()  # and dropped


def fork():
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)


abandon()
t = threading.Thread(target=fork)
t.start()
t.join()
print("done")
