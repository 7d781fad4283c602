"""tqdm 4.19.2: the TMonitor thread holds tqdm's write lock (a plain
threading.Lock) while it walks tqdm._instances; a bar that was never closed is
finalized (tqdm.__del__ -> close -> _decr_instances) and takes the same lock
again from inside that walk -> the thread waits for itself (tqdm/tqdm#469).
Fixed in 4.19.4: the write locks became RLocks.

The driver takes the lock from normal code (bar creation, one monitor pass)
and, separately, lets an unclosed bar be finalized: the finalizer does not
run while the lock is held, so nothing hangs; lockdep must see that the lock
is taken in both contexts.
"""
import gc
import io
import time

from tqdm import tqdm

tqdm.monitor_interval = 0.05  # default 10 s: one monitor pass soon

bar = tqdm(total=3, file=io.StringIO(), mininterval=0)  # __new__: `with cls._lock`, starts TMonitor
time.sleep(0.3)  # TMonitor.run: `with self.tqdm_cls.get_lock(): for instance in _instances`
bar.update(1)
# The monitor's frame keeps the last bar it looked at (`for instance in
# _instances`): dropping that reference inside the next walk is the real
# deadlock. Stop the monitor first, so the finalizer runs here, lock not held.
monitor = tqdm.monitor
monitor.exit()
monitor.join()
del monitor
del bar  # never closed: __del__ -> close() -> _decr_instances(): `with cls._lock`
gc.collect()
print("tqdm driver: done")
