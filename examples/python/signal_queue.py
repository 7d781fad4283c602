"""Queueing work from a signal handler: queue.Queue guards itself with a plain
Lock (taken inside queue.py), so a handler that interrupts the main thread in
the middle of put() or get() waits for that lock forever (bpo-14976; the stdlib
answer is queue.SimpleQueue). Logging from a handler is different: the logging
handler's lock is an RLock, which the interrupted holder re-enters."""

import os
import queue
import signal

events = queue.Queue()


def on_hangup(signum, frame):
    events.put("reload")  # takes the queue's lock inside a signal handler


signal.signal(signal.SIGHUP, on_hangup)
events.put("start")
os.kill(os.getpid(), signal.SIGHUP)
print([events.get() for _ in range(2)])
