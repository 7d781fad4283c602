"""CPython gh-125451 (fixed in 3.12.8 / 3.13.1): the manager thread of a broken ProcessPoolExecutor holds
_shutdown_lock and joins the call queue's feeder thread, and the feeder, on a task it cannot pickle,
takes _shutdown_lock to wake the manager."""
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool


class Unpicklable:
    def __reduce__(self):
        raise RuntimeError("cannot pickle")


def executor():
    return ProcessPoolExecutor(1)


if __name__ == "__main__":
    ex = executor()
    try:
        ex.submit(id, Unpicklable()).result()
    except RuntimeError:
        pass
    ex.shutdown()
    ex = executor()
    try:
        ex.submit(os._exit, 1).result()
    except BrokenProcessPool:
        pass
    ex.shutdown()
