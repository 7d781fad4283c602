"""tqdm 4.70.1's suite hangs without lockdep when a process pool's done-callbacks run late.

tests_tqdm.py::test_deprecated_gui leaks tqdm's global write lock: tqdm.refresh() takes it, display()
raises TqdmDeprecationWarning (gui=True), and refresh has no try/finally, so MainThread keeps both of
its locks (a multiprocessing RLock and a threading RLock) for the rest of the session.  Later,
tests_concurrent.py::test_concurrent_map[process_map] deadlocks if a future's done-callback
(pbar.update -> refresh, in the executor's manager thread) comes more than mininterval (0.1 s) after
the last print: the manager waits for the leaked lock, MainThread waits for the results.  Plain runs
finish the nine items within 0.1 s; under load, or under any tracer, they don't.

Plain run, no lockdep (hangs; passes with --deselect tests/tests_tqdm.py::test_deprecated_gui):

    cd <tqdm-4.70.1 sdist>; PYTHONPATH=<this dir> python -m pytest -p tqdm_slow_callbacks_probe \
        -o addopts= -W error tests/tests_tqdm.py tests/tests_concurrent.py -o faulthandler_timeout=20
"""
import time
import concurrent.futures._base as b

_orig = b.Future._invoke_callbacks


def _late(self):
    time.sleep(0.2)
    return _orig(self)


b.Future._invoke_callbacks = _late
