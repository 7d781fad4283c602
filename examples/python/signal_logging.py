"""Logging from a signal handler: the handler can interrupt the main thread
while it holds the logging handler's lock, and then waits for it forever."""

import logging
import os
import signal
import sys

logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
log = logging.getLogger("service")


def on_hangup(signum, frame):
    log.info("reloading configuration")  # takes the handler's lock inside a signal handler


signal.signal(signal.SIGHUP, on_hangup)
log.info("service started")
os.kill(os.getpid(), signal.SIGHUP)
log.info("service stopped")
