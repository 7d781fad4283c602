"""Counting from a signal handler: the handler can interrupt the main thread
while it holds the stats lock (a plain Lock), and then waits for it forever.
(Logging from a handler is different: the logging handler's lock is an RLock,
re-entered by the interrupted holder.)"""

import os
import signal
import threading

stats_lock = threading.Lock()
stats = {"requests": 0, "reloads": 0}


def count(key):
    with stats_lock:
        stats[key] += 1


def on_hangup(signum, frame):
    count("reloads")  # takes the stats lock inside a signal handler


signal.signal(signal.SIGHUP, on_hangup)
count("requests")
os.kill(os.getpid(), signal.SIGHUP)
count("requests")
print(stats)
