"""A lock created lazily, without a guard, relying on the GIL: threading.Lock() is one C call in CPython,
so no thread switch can happen between the check and the assignment (SQLAlchemy's
event/attr.py _get_exec_once_mutex() does this on GIL builds, where its mini_gil is a nullcontext).

Plain python: exactly one mutex per listener, so the "first connect" hook runs once per trial.
Under lockdep (C and Python core, before and after 4b41c2a), Lock() runs Python code (site naming), the
GIL switches inside it, two threads install two different mutexes and the hook runs twice: this is how
sqlalchemy's PoolFirstConnectSyncTest::test_sync fails under `pytest --lockdep` (6 of 8 runs at 4b41c2a).
"""
import threading
import time


class Listener:
    mutex = None
    done = False


def first_connect(obj, ran):
    if obj.mutex is None:
        obj.mutex = threading.Lock()
    with obj.mutex:
        if not obj.done:
            time.sleep(0.01)
            ran.append(1)
            obj.done = True


for trial in range(20):
    obj, ran, barrier = Listener(), [], threading.Barrier(5)
    threads = [threading.Thread(target=lambda: (barrier.wait(), first_connect(obj, ran))) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(ran) == 1, f"trial {trial}: the first-connect hook ran {len(ran)} times"
print("ok: the hook ran once in every trial")
