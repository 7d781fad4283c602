"""``concurrent.futures.wait`` / ``as_completed`` over futures submitted from two different lines.

Correct (CPython's test_concurrent_futures.test_as_completed: test_free_reference_yielded_future and
test_future_times_out mix futures made at different sites): the stdlib takes every future's condition
in one global order, sorted by ``id()`` (``_AcquireFutures``), so two threads can never take two of them
in opposite orders.  Any program that waits for the futures of two ``submit()`` lines does this.
At 641f1c3 (both cores): "possible deadlock: a.f._condition and b.f._condition are taken in opposite
orders".  A future's condition is named after the user's line that made the future (``a.f._condition``,
``b.f._condition``), so the id order between two futures of different lines is judged as an order between
two classes, and it flips as soon as the ids of a later pair fall the other way.  (Futures of one line are
one class, whose instance order is judged by instance: ``tests/programs/futures_wait_many.py`` is clean.)
"""
from concurrent.futures import ThreadPoolExecutor, wait


def fetch(i):
    return i


def parse(i):
    return -i


with ThreadPoolExecutor(2) as ex:
    for i in range(30):
        a = ex.submit(fetch, i)
        b = ex.submit(parse, i)
        wait([a, b])
