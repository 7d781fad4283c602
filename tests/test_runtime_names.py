"""Names that keep different things apart, interrupting contexts and thread
identity: small programs run under ``python -m lockdep``; each correct program
is clean and its buggy twin is still reported, under the names a user reads."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

from runtime_helpers import EXAMPLES, kinds, lockdep_json, run


def lockdep_run(tmp_path: Path, files: dict[str, str], main: str = "main.py") -> tuple[list, dict, set]:
    """Write ``files``, run ``main`` under lockdep with a trace (which must replay to the same
    findings); return the findings, the lock classes by name (with their creation sites) and
    the events waited for or signalled."""
    for name, text in files.items():
        (tmp_path / name).write_text(textwrap.dedent(text))
    out, trace = tmp_path / "findings.json", tmp_path / "trace.jsonl"
    p = run(["-m", "lockdep", "--json", str(out), "--trace", str(trace), str(tmp_path / main)], cwd=tmp_path)
    assert p.returncode == 0 and "ok" in p.stdout, p.stdout + p.stderr
    events = [json.loads(line) for line in trace.read_text().splitlines()]
    classes = {e["class"]: e["site"] for e in events if e["op"] == "lock_init"}
    waited = {e["event"] for e in events if e["op"] in ("wait", "signal")}
    found = json.loads(out.read_text())["findings"]
    replayed = run(["-m", "lockdep", "replay", "--json", str(trace)])
    assert kinds(json.loads(replayed.stdout)["findings"]) == kinds(found), replayed.stderr
    return found, classes, waited


# ---------------------------------------------------------------------------------- names
JOB = """
    import threading
    class Job:
        def __init__(self):
            self.done = threading.Event()
"""

JOBS_MAIN = """
    import threading
    import {a}, {b}
    state_lock = threading.Lock()

    def finish(job, take_lock):
        while not job.done._cond._waiters:  # until the main thread waits
            threading.Event().wait(0.001)
        if take_lock:
            with state_lock:
                pass
        job.done.set()

    # b's job is finished by a thread that takes state_lock, with nothing held by its waiter
    jb = {b}.Job()
    t = threading.Thread(target=finish, args=(jb, True)); t.start()
    jb.done.wait(); t.join()
    # a's job is waited for under state_lock; its finisher never takes it
    ja = {a}.Job()
    t = threading.Thread(target=finish, args=(ja, False)); t.start()
    with state_lock:
        ja.done.wait()
    t.join()
    print("ok")
"""


def test_events_of_two_modules_with_one_class_name_stay_apart(tmp_path):
    found, _, events = lockdep_run(tmp_path, {"jobs_a.py": JOB, "jobs_b.py": JOB,
                                              "main.py": JOBS_MAIN.format(a="jobs_a", b="jobs_b")})
    assert found == []
    assert {"(condition)Job.done._cond", "(condition)Job.done._cond#2"} <= events


def test_one_event_class_waited_under_a_lock_its_setter_takes_is_reported(tmp_path):
    found, _, _ = lockdep_run(tmp_path, {"jobs_a.py": JOB, "main.py": JOBS_MAIN.format(a="jobs_a", b="jobs_a")})
    assert kinds(found) == [("circular_dependency", ["(condition)Job.done._cond", "main.state_lock"])]


def test_primitives_created_on_one_line_get_their_own_names(tmp_path):
    found, classes, _ = lockdep_run(tmp_path, {"main.py": """
        import threading
        class Item:
            def __init__(self, i):
                self.id = i; self.lock = threading.Lock()
                self.pair = (threading.Lock(), threading.RLock())
        a = threading.Lock(); b = threading.Lock()
        x, y = threading.Lock(), threading.Condition()
        locks = {"read": threading.Lock(), "write": threading.Lock()}
        item = Item(1)
        for lock in (item.lock, *item.pair, x, y, *locks.values()):
            with lock:
                pass
        with a:
            with b:       # a -> b, then b -> a: two classes, an inversion
                pass
        with b:
            with a:
                pass
        print("ok")
    """})
    assert {"Item.lock", "Item.pair[0]", "Item.pair[1]", "main.a", "main.b", "main.x", "main.y",
            "main.locks['read']", "main.locks['write']"} <= set(classes)
    assert kinds(found) == [("circular_dependency", ["main.a", "main.b"])]


def test_names_survive_a_parse_that_cpython_311_fails_when_two_threads_parse_at_once(tmp_path):
    # CPython before 3.12.3 (gh-106905) can fail ``ast.parse`` with a SystemError when another
    # thread parses at the same moment; lockdep's naming parses the creating file again.
    found, classes, _ = lockdep_run(tmp_path, {"main.py": """
        import ast, threading
        real_parse, failures = ast.parse, [1, 1]
        def racy_parse(*args, **kwargs):
            if failures:
                failures.pop()
                raise SystemError("AST constructor recursion depth mismatch (before=147, after=76)")
            return real_parse(*args, **kwargs)
        ast.parse = racy_parse
        a = threading.Lock(); b = threading.Lock()
        with a:
            with b:
                pass
        with b:
            with a:
                pass
        print("ok")
    """})
    assert kinds(found) == [("circular_dependency", ["main.a", "main.b"])]


COMPREHENSIONS = """
    import threading
    class Pool:
        def __init__(self, n):
            self.locks = [threading.Lock() for _ in range(n)]
            self.slots = {i: threading.RLock() for i in range(n)}
    shards = [threading.Lock() for _ in range(2)]
    pool = Pool(2)
    with shards[0]:
        with pool.locks[0]:
            pass
    with pool.slots[1]:
        pass
    with INNER:
        with shards[1]:
            pass
    print("ok")
"""


def test_a_lock_made_in_a_comprehension_is_named_after_its_target(tmp_path):
    """3.11 runs a comprehension in a frame of its own; 3.12 inlines it: one name on both."""
    found, classes, _ = lockdep_run(tmp_path, {"main.py": COMPREHENSIONS.replace("INNER", "pool.slots[0]")})
    assert found == []
    assert {"main.shards[]", "Pool.locks[]", "Pool.slots[]"} <= set(classes)
    assert not [c for c in classes if "<" in c]


def test_comprehension_locks_taken_in_both_orders_are_reported_by_their_names(tmp_path):
    found, _, _ = lockdep_run(tmp_path, {"main.py": COMPREHENSIONS.replace("INNER", "pool.locks[1]")})
    assert kinds(found) == [("circular_dependency", ["main.shards[]", "Pool.locks[]"])]


def test_asyncio_primitives_are_named_after_the_users_lines(tmp_path):
    """Futures, executors and threads that asyncio builds for a call are named after that call."""
    found, classes, _ = lockdep_run(tmp_path, {"main.py": """
        import asyncio
        class Service:
            def __init__(self):
                self.lock = asyncio.Lock()
                self.cond = asyncio.Condition()
                self.ready = asyncio.Event()
                self.slots = asyncio.Semaphore(2)
        async def work(svc):
            mine = asyncio.Lock()            # created inside a task
            async with mine:
                pass
            async with svc.lock:
                async with svc.cond:
                    svc.cond.notify_all()
            async with svc.slots:
                svc.ready.set()
        async def main():
            svc = Service()
            await asyncio.gather(work(svc), asyncio.create_task(work(svc)))
            loop = asyncio.get_running_loop()
            answer = await loop.run_in_executor(None, lambda: 42)
            fut = asyncio.run_coroutine_threadsafe(asyncio.sleep(0), loop)
            await asyncio.to_thread(print, answer)
        asyncio.run(main())
        print("ok")
    """})
    assert found == []
    assert {"Service.lock", "Service.cond.lock", "work.mine", "main.fut.future._condition"} <= set(classes)
    assert all(site.startswith("main.py:") for site in classes.values()), classes


FACTORY = """
    import threading
    class BaseScheduler:
        def __init__(self):
            self._executors_lock = self._create_lock()
            self._jobstores_lock = self._create_lock()
        def _create_lock(self):
            return threading.RLock()
        def add_job(self):
            with self._jobstores_lock:
                with self._executors_lock:
                    pass
        def shutdown(self):
            with {first}:
                with {second}:
                    pass
    s = BaseScheduler()
    s.add_job()
    s.shutdown()
    print("ok")
"""


def test_factory_made_locks_are_named_by_the_attribute_they_are_assigned_to(tmp_path):
    """APScheduler 3.x: one ``_create_lock()`` line makes every lock of the scheduler."""
    found, classes, _ = lockdep_run(tmp_path, {"main.py": FACTORY.format(
        first="self._jobstores_lock", second="self._executors_lock")})
    assert found == []
    assert classes == {"BaseScheduler._executors_lock": "main.py:5", "BaseScheduler._jobstores_lock": "main.py:6"}


def test_a_factory_that_registers_its_lock_before_returning_it_is_a_factory(tmp_path):
    """loguru's ``create_handler_lock()``: ``lock = Lock(); registry.add(lock); return lock``."""
    found, classes, _ = lockdep_run(tmp_path, {"main.py": """
        import threading, weakref
        registry = weakref.WeakSet()
        def make_lock():
            lock = threading.Lock()
            registry.add(lock)
            return lock
        class Handler:
            def __init__(self):
                self._lock = make_lock()
                self._queue_lock = make_lock()
        h = Handler()
        with make_lock():  # nobody assigns it: the factory's own name
            pass
        with h._lock:
            with h._queue_lock:
                pass
        with h._queue_lock:
            with h._lock:
                pass
        print("ok")
    """})
    assert {"Handler._lock", "Handler._queue_lock", "make_lock.lock"} <= set(classes)
    assert kinds(found) == [("circular_dependency", ["Handler._lock", "Handler._queue_lock"])]


def test_factory_made_locks_taken_in_both_orders_are_an_inversion(tmp_path):
    found, _, _ = lockdep_run(tmp_path, {"main.py": FACTORY.format(
        first="self._executors_lock", second="self._jobstores_lock")})
    assert kinds(found) == [("circular_dependency", ["BaseScheduler._jobstores_lock",
                                                     "BaseScheduler._executors_lock"])]


SUBCLASSES = """
    import threading
    class Base:
        def __init__(self):
            self._lock = threading.Lock()
    class Forwarder(Base):
        pass
    class Writer(Base):
        pass
    registry_lock = threading.Lock()
    first, second = Forwarder(), SECOND()
    with Base()._lock:
        pass
    with first._lock:          # a forwarder's lock comes before the registry's
        with registry_lock:
            pass
    with registry_lock:
        with second._lock:
            pass
    print("ok")
"""


def test_a_lock_a_base_class_makes_has_one_class_per_subclass(tmp_path):
    """logging.Handler's ``self.lock``: a handler that forwards into a library and one the library
    writes to are ordered apart (loguru's logging bridge, both ways)."""
    found, classes, _ = lockdep_run(tmp_path, {"main.py": SUBCLASSES.replace("SECOND", "Writer")})
    assert found == []
    assert {"Forwarder._lock", "Writer._lock", "Base._lock"} <= set(classes)
    assert classes["Forwarder._lock"] == classes["Base._lock"] == "main.py:5"  # (one creation line)


def test_two_instances_of_one_subclass_in_both_orders_are_an_inversion(tmp_path):
    found, _, _ = lockdep_run(tmp_path, {"main.py": SUBCLASSES.replace("SECOND", "Forwarder")})
    assert kinds(found) == [("circular_dependency", ["Forwarder._lock", "main.registry_lock"])]


ACCOUNTS = """
    import threading
    class Account:
        def __init__(self, ident):
            self.id = ident
            self.lock = threading.Lock()
    class Checking(Account):
        pass
    class Savings(Account):
        pass
    def transfer(a, b):
        first, second = ORDER
        with first.lock:
            with second.lock:
                pass
    c1, s2, c3 = Checking(1), Savings(2), Checking(3)
    for a, b in ((c1, s2), (s2, c1), (s2, c3), (c3, c1)):
        transfer(a, b)
    print("ok")
"""


def test_the_subclasses_of_a_base_class_lock_are_judged_by_instance_order(tmp_path):
    """Accounts of two subclasses, always locked in id order: the classes ``Checking.lock`` and
    ``Savings.lock`` are taken both ways round, the instances never."""
    found, classes, _ = lockdep_run(tmp_path, {"main.py": ACCOUNTS.replace(
        "ORDER", "sorted((a, b), key=lambda acc: acc.id)")})
    assert found == []
    assert {"Checking.lock", "Savings.lock"} <= set(classes)
    found, _, _ = lockdep_run(tmp_path, {"main.py": ACCOUNTS.replace("ORDER", "a, b")})
    assert kinds(found) == [("circular_dependency", ["Checking.lock", "Savings.lock"])]
    assert [i.split(" of ")[0] for i in found[0]["instances"]] == ["Checking.lock", "Savings.lock"]


# -------------------------------------------------------------- interrupting contexts
REENTERED = """
    import logging, os, signal, sys, threading
    logging.basicConfig(stream=sys.stdout, format="%(message)s", level=logging.INFO)
    log = logging.getLogger("svc")
    registry_lock = threading.KIND()
    class Conn:
        def __del__(self):
            with registry_lock:      # a finalizer run while its thread holds the lock re-enters it
                pass
    def on_hangup(signum, frame):
        log.info("reload")           # logging's handler lock is an RLock
        with registry_lock:
            pass
    signal.signal(signal.SIGHUP, on_hangup)
    log.info("start")
    with registry_lock:              # normal context
        pass
    with HOLD:
        c = Conn()
        del c
        os.kill(os.getpid(), signal.SIGHUP)
    print("ok")
"""


def test_an_rlock_reentered_from_a_finalizer_or_a_signal_handler_is_clean(tmp_path):
    found, _, _ = lockdep_run(tmp_path, {"main.py": REENTERED.replace("KIND", "RLock").replace(
        "HOLD", "registry_lock")})
    assert found == []


def test_a_plain_lock_taken_in_a_finalizer_and_by_normal_code_is_still_reported(tmp_path):
    """The same program with a Lock would really hang: it is reported (and run without the re-entry)."""
    found, _, _ = lockdep_run(tmp_path, {"main.py": REENTERED.replace("KIND", "Lock").replace(
        "HOLD", "threading.Lock()")})
    assert kinds(found) == [("inconsistent_lock_state", ["main.registry_lock"])]
    assert found[0]["state"] == "HANDLER"


GC_METRICS = """
    import collections, gc, threading, time
    class Histogram:                       # prometheus_client style: one lock per metric
        def __init__(self):
            self._lock = threading.Lock()
            self._buckets = [0] * 4
        def observe(self, seconds):
            with self._lock:
                self._buckets[min(int(seconds * 1000), 3)] += 1
        def collect(self):                 # a scrape
            with self._lock:
                return list(self._buckets)
    gc_seconds = Histogram()
    pending = collections.deque()
    started = []
    def on_gc(phase, info):                # runs wherever a collection starts: maybe inside collect()
        if phase == "start":
            started.append(time.perf_counter())
        elif started:
            RECORD(time.perf_counter() - started.pop())
    gc.callbacks.append(on_gc)
    gc_seconds.collect()
    gc.collect()
    while pending:
        gc_seconds.observe(pending.popleft())
    assert gc.callbacks[-2] is on_gc       # lockdep's hooks stay first and last
    print("ok")
"""


def test_a_gc_callback_that_takes_a_metric_lock_a_scrape_holds_is_reported(tmp_path):
    found, _, _ = lockdep_run(tmp_path, {"main.py": GC_METRICS.replace("RECORD", "gc_seconds.observe")})
    assert kinds(found) == [("inconsistent_lock_state", ["Histogram._lock"])]
    assert found[0]["state"] == "HANDLER" and "on_gc" in json.dumps(found[0])


def test_a_gc_callback_that_only_queues_is_clean(tmp_path):
    found, _, _ = lockdep_run(tmp_path, {"main.py": GC_METRICS.replace("RECORD", "pending.append")})
    assert found == []


WEAKREF_CALLBACKS = """
    import copy, threading, weakref
    cache_lock = threading.Lock()
    io_lock = threading.Lock()
    cache = {}
    class Session:
        pass
    class KeyedRef(weakref.ref):
        __slots__ = ("key",)
        def __new__(cls, ob, callback, key):
            self = super().__new__(cls, ob, callback)
            self.key = key
            return self
        def __init__(self, ob, callback, key):
            super().__init__(ob, callback)
    def drop(key):
        with cache_lock:
            cache.pop(key, None)
    s = Session()
    with cache_lock:
        cache["s"] = "session"
    HOOK
    r = weakref.ref(s)
    assert r is weakref.ref(s) and type(r) is weakref.ReferenceType and isinstance(r, weakref.ref)
    k = KeyedRef(s, None, "k")
    assert isinstance(k, weakref.ref) and isinstance(k, KeyedRef) and issubclass(KeyedRef, weakref.ReferenceType)
    assert copy.deepcopy(r) is r and copy.copy(r) is r
    with io_lock:
        del s                             # the callback interrupts a critical section: HANDLER
    assert "s" not in cache               # every hook dropped the entry
    print("ok")
"""

HOOKS = {
    "finalize": 'weakref.finalize(s, drop, "s")',
    "ref": 'keep = weakref.ref(s, lambda ref: drop("s"))',
    "subclass": 'keep = KeyedRef(s, lambda ref: drop(ref.key), "s")',
    "explicit": 'weakref.finalize(s, drop, "s")()  # called by the program, not by the object going',
}


def test_weakref_callbacks_run_in_the_handler_context(tmp_path):
    for hook in ("finalize", "ref", "subclass"):
        found, _, _ = lockdep_run(tmp_path, {"main.py": WEAKREF_CALLBACKS.replace("HOOK", HOOKS[hook])})
        assert kinds(found) == [("inconsistent_lock_state", ["main.cache_lock"])], hook
        assert found[0]["state"] == "HANDLER"


def test_a_finalizer_called_by_the_program_itself_is_normal_context(tmp_path):
    found, _, _ = lockdep_run(tmp_path, {"main.py": WEAKREF_CALLBACKS.replace("HOOK", HOOKS["explicit"])})
    assert found == []


def test_a_weakref_callback_that_interrupts_no_critical_section_is_normal_context(tmp_path):
    """A pool's finalizer runs when the pool goes; a thread inside the pool's critical section
    still refers to it, so a callback run outside any critical section blames nobody."""
    program = WEAKREF_CALLBACKS.replace("    with io_lock:\n        del s", "    if True:\n        del s")
    for hook in ("finalize", "ref"):
        found, _, _ = lockdep_run(tmp_path, {"main.py": program.replace("HOOK", HOOKS[hook])})
        assert found == [], hook


# ------------------------------------------------------------------------ thread identity
AFTER_EXIT = """
    import threading
    fin_lock, a_lock, b_lock = threading.Lock(), threading.Lock(), threading.Lock()
    class Resource:
        def __del__(self):
            with fin_lock:                 # runs after the thread's exit bookkeeping
                pass
    local = threading.local()
    def first():
        local.resource = Resource()
    def second(exited_ident):
        if threading.get_ident() == exited_ident:
            with a_lock:
                with b_lock:
                    pass
    for _ in range(50):                    # until a new thread gets the exited one's ident
        t = threading.Thread(target=first, name="first"); t.start(); t.join()
        u = threading.Thread(target=second, args=(t.ident,), name="second"); u.start(); u.join()
        if u.ident == t.ident:
            break
    else:
        raise SystemExit("no thread ident was reused")
    with b_lock:
        with a_lock:
            pass
    print("ok")
"""


def test_a_new_thread_never_inherits_the_state_of_an_exited_one(tmp_path):
    found, _, _ = lockdep_run(tmp_path, {"main.py": AFTER_EXIT})
    assert kinds(found) == [("circular_dependency", ["main.a_lock", "main.b_lock"])]
    text = json.dumps(found)
    assert '"second"' in text and "thread-" not in text
    trace = [json.loads(line) for line in (tmp_path / "trace.jsonl").read_text().splitlines()]
    finalizer_tasks = {e["task"] for e in trace if e["op"] == "acquire" and e["lock"].startswith("main.fin_lock")}
    # the exiting thread, by its name (with its ident when a newer "first" already runs)
    assert finalizer_tasks and all(t.split("/")[0] == "first" for t in finalizer_tasks), finalizer_tasks


def test_a_queue_put_from_a_signal_handler_is_reported_at_the_users_call(tmp_path):
    """queue.Queue takes its plain Lock inside queue.py (bpo-14976): the finding is at the user's put()."""
    p, found = lockdep_json(EXAMPLES / "signal_queue.py", tmp_path)
    assert p.returncode == 0 and "['start', 'reload']" in p.stdout, p.stderr
    assert kinds(found) == [("inconsistent_lock_state", ["signal_queue.events.mutex"])]
    assert found[0]["state"] == "HANDLER" and "on_hangup" in json.dumps(found[0])
