"""``as_completed`` keeps no reference to a future it has yielded (a changed test result, not a finding).

Correct (CPython's test_concurrent_futures.test_as_completed::test_free_reference_yielded_future, gh-14406):
the stdlib generator drops each future from its own sets before yielding it, so once the caller drops the
future too, it is freed while the loop goes on (a caller iterating over thousands of results relies on it).
At 0f92aa8, under ``python -m lockdep`` (hang watchdog on): every yielded future stays alive until the
loop ends, held by lockdep's watching wrapper (the list of all futures and its own local), and the test's
``assertIsNone(wr())`` fails in all four executors' variants (both cores). This script exits 1 then.
"""
import gc
import sys
import weakref
from concurrent.futures import Future, as_completed

futures = [Future() for _ in range(3)]
futures[0].set_result("first")
kept = 0
for future in as_completed(futures):
    futures.remove(future)
    ref = weakref.ref(future)
    del future
    gc.collect()
    kept += ref() is not None
    if futures:
        futures[0].set_result("next")  # the generator is still running: it waits for this one
if kept:
    sys.exit(f"{kept} yielded futures still alive")
