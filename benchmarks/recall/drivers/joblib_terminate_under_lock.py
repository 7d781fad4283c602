"""joblib 0.9.3: when a task raises, Parallel.retrieve() terminates the pool
while holding Parallel._lock; terminating a ThreadPool joins its result-handler
thread, which runs the batch-completion callbacks, and those dispatch the next
batch under Parallel._lock -> deadlock when a callback is running at that
moment (joblib/joblib#295, fixed by #296 in 0.9.4: the pool is terminated
outside the lock).

The driver makes the last task fail: every earlier completion callback has
finished by the time the main thread sees the failure (a result is handed out
only after its callback ran), so the join finds the handler idle.
"""
import _compat  # noqa: F401  (0.9.x predates Python 3.10)

from joblib import Parallel, delayed


def task(i):
    if i == 5:
        raise ValueError("task 5 fails")
    return i


try:
    Parallel(n_jobs=2, backend="threading")(delayed(task)(i) for i in range(6))
except Exception as exc:  # joblib wraps it in JoblibValueError
    print("joblib driver: the failure came back:", type(exc).__name__)
print("joblib driver: done")
