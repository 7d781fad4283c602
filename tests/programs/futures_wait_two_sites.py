"""``concurrent.futures.wait`` over the futures of two ``submit()`` lines: the stdlib takes every
future's condition sorted by ``id()`` (``_AcquireFutures``), one global order.  A future's condition
is named after the line that made the future (``fetch.f._condition``...), so the two lines are two
classes of one family (``Future.__init__``'s condition), judged by instance order.  Correct; before
the family rule, the id order of a later pair flipped the class order (CPython's own
test_concurrent_futures: test_as_completed, test_wait)."""
from concurrent.futures import ThreadPoolExecutor, as_completed, wait


def fetch(i):
    return i


def parse(i):
    return -i


with ThreadPoolExecutor(2) as ex:
    for i in range(30):
        a = ex.submit(fetch, i)
        b = ex.submit(parse, i)
        wait([a, b])
        list(as_completed([b, a]))
