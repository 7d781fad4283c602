"""APScheduler 3.5.0: BaseScheduler.shutdown(wait=True) joins the executor's
worker threads while holding _jobstores_lock; a job that asks the scheduler
for its jobs (get_job) takes _jobstores_lock in that worker -> deadlock.
Fixed in 3.5.1 (agronholm/apscheduler#268): the executors are shut down under
_executors_lock only, the job stores under _jobstores_lock afterwards.

The driver lets the job finish before shutdown() is called, so the run never
hangs: lockdep has to predict the deadlock from the two halves.
"""
import threading

import _compat  # noqa: F401  (3.5.x predates Python 3.10)

from pytz import utc
from apscheduler.schedulers.background import BackgroundScheduler

done = threading.Event()
scheduler = BackgroundScheduler(timezone=utc)


def job():
    # the real-world job: look itself up in the scheduler (takes _jobstores_lock)
    scheduler.get_job("probe")
    done.set()


scheduler.start()
scheduler.add_job(job, id="probe")
assert done.wait(10), "the job never ran"
scheduler.shutdown(wait=True)  # 3.5.0: joins the pool's worker under _jobstores_lock
print("apscheduler driver: done")
