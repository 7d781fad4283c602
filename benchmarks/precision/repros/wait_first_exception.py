"""``concurrent.futures.wait(..., FIRST_EXCEPTION)`` asks a done future for its exception under its condition.

Correct (CPython's test_concurrent_futures.test_wait::test_first_exception_some_already_complete): the
stdlib's ``wait()`` takes every future's condition and calls ``exception()`` on the futures already done;
a done future cannot change state while its condition is held, so that call returns at once.  The worker
that finished the future took the same condition to store the exception, long before.
At 0f92aa8: "possible deadlock: waiting for the result of divmod() while holding failing.f._condition"
(the call was taken for a wait on the future's event, the worker's set_exception for the opposite order;
both cores).  Clean since: a done future asked under its own condition is no wait.
"""
import time
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait

with ThreadPoolExecutor(2) as ex:
    failing = ex.submit(divmod, 1, 0)
    slow = ex.submit(time.sleep, 0.5)
    time.sleep(0.1)  # the failure is in before wait() looks
    done, pending = wait([failing, slow], return_when=FIRST_EXCEPTION)
    assert failing in done
