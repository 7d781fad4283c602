"""sentry-sdk 0.17.4: BackgroundWorker queues events on a stdlib queue.Queue,
whose mutex is a plain Lock. When the garbage collector finalizes an object
inside Queue.put (mutex held) and the finalizer reports to Sentry (an event,
or a log record through the logging integration), put() is entered again on
the same thread and waits for itself (getsentry/sentry-python#803). 0.17.5
(#814) vendors the queue with an RLock as its mutex.

The driver captures one message from normal code and one from a finalizer;
the finalizer does not run inside put() here, so nothing hangs.
"""
import sentry_sdk

import _compat  # noqa: F401  (0.17.x predates Python 3.10)

# port 9 (discard) refuses the connection at once: events fail to send, fine
sentry_sdk.init("http://public@127.0.0.1:9/1", default_integrations=False, shutdown_timeout=0)


class Resource:
    def __del__(self):
        sentry_sdk.capture_message("resource was never closed")  # BackgroundWorker.submit


sentry_sdk.capture_message("from normal code")  # Queue.put_nowait under the queue's mutex
resource = Resource()
del resource  # the finalizer reports too: the same mutex, taken from a finalizer
sentry_sdk.flush(timeout=5)
print("sentry-sdk driver: done")
