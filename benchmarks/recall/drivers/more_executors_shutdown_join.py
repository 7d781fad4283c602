"""more-executors 1.14.0: CancelOnShutdownExecutor.shutdown() holds its _lock
for the whole shutdown, including the delegate's shutdown(wait=True), which
joins the delegate's worker threads; a task running there that submits
follow-up work to the same CancelOnShutdownExecutor needs _lock in submit()
-> deadlock (rohanpm/more-executors#98). 1.15.0 only copies the futures
under the lock and cancels and shuts down the delegate after releasing it.

The driver lets the task and its follow-up finish before shutdown() is
called, so the join finds nothing running.
"""
from concurrent.futures import ThreadPoolExecutor

from more_executors.cancel_on_shutdown import CancelOnShutdownExecutor

executor = CancelOnShutdownExecutor(ThreadPoolExecutor(max_workers=2))


def step(n):
    """A task that schedules its own follow-up on the same executor."""
    if n:
        return executor.submit(step, n - 1)  # submit(): `with self._lock` in a worker thread
    return None


follow_up = executor.submit(step, 1).result()
follow_up.result()
executor.shutdown(wait=True)  # 1.14.0: `with self._lock: ... self._delegate.shutdown(wait)`
print("more-executors driver: done")
