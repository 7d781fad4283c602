"""The catalogue of historical lock bugs in PyPI libraries that benchmarks/recall replays.

Each entry names the library, the release that has the bug and the release that
fixed it, where the bug was reported and fixed, and the driver that runs the
library's own code paths. A buggy release must get a finding of one of
`expected` kinds that names the `witness` lock; a fixed release must get no
finding at all.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Bug:
    name: str
    package: str  # the PyPI distribution
    buggy: str  # version with the bug
    fixed: str  # first version with the fix
    url: str  # issue / pull request as found
    summary: str
    expected: tuple[str, ...]  # finding kinds that count as "reported"
    witness: str  # a class name of a correct report contains this (the lock the bug is about)
    extra: tuple[str, ...] = field(default=())  # further requirements (pins) for both venvs

    @property
    def driver(self) -> str:
        return f"drivers/{self.name}.py"

    def version(self, variant: str) -> str:
        """The release of `variant` ("buggy" or "fixed")."""
        return self.buggy if variant == "buggy" else self.fixed


BUGS: tuple[Bug, ...] = (
    Bug(
        name="apscheduler_shutdown_join",
        package="APScheduler",
        buggy="3.5.0",
        fixed="3.5.1",
        url="https://github.com/agronholm/apscheduler/pull/268",
        summary="shutdown(wait=True) joins the executor's worker threads while holding "
        "_jobstores_lock; a job calling scheduler.get_job() needs that lock",
        expected=("circular_dependency",),
        witness="_jobstores_lock",
        extra=("pytz", "tzlocal<3", "setuptools<70"),
    ),
    Bug(
        name="tqdm_del_monitor",
        package="tqdm",
        buggy="4.19.2",
        fixed="4.19.4",
        url="https://github.com/tqdm/tqdm/issues/469",
        summary="tqdm.__del__ (close -> _decr_instances) takes the write lock, a plain Lock, "
        "that TMonitor.run holds while it walks _instances, whose iteration can finalize a bar",
        expected=("inconsistent_lock_state",),
        witness="th_lock",
    ),
    Bug(
        name="prometheus_gc_callback",
        package="prometheus_client",
        buggy="0.5.0",
        fixed="0.6.0",
        url="https://github.com/prometheus/client_python/issues/363",
        summary="the GCCollector's gc.callbacks hook observes histograms, taking the "
        "metric locks a scrape (MutexValue.get) may be holding when the collection starts",
        expected=("inconsistent_lock_state",),
        witness="_lock",
    ),
    Bug(
        name="paho_callback_publish",
        package="paho-mqtt",
        buggy="1.5.1",
        fixed="1.6.0",
        url="https://github.com/eclipse/paho.mqtt.python/issues/354",
        summary="on_message runs under _callback_mutex and publishing from it takes "
        "_out_message_mutex; publish() elsewhere takes _out_message_mutex then "
        "_callback_mutex (socket register-write callback)",
        expected=("circular_dependency",),
        witness="_callback_mutex",
    ),
    Bug(
        name="prometheus_registry_reentry",
        package="prometheus_client",
        buggy="0.20.0",
        fixed="0.21.0",
        url="https://github.com/prometheus/client_python/pull/1014",
        summary="register() holds the registry Lock while calling collector.describe(); "
        "a collector that registers a metric from describe() re-enters register()",
        expected=("recursive_locking",),
        witness="CollectorRegistry._lock",
    ),
    Bug(
        name="sentry_queue_finalizer",
        package="sentry-sdk",
        buggy="0.17.4",
        fixed="0.17.5",
        url="https://github.com/getsentry/sentry-python/pull/814",
        summary="a finalizer run by the GC inside Queue.put reports to Sentry and re-enters "
        "put() on the worker's stdlib queue (plain Lock mutex)",
        expected=("inconsistent_lock_state",),
        witness="mutex",
        extra=("urllib3<2",),
    ),
    Bug(
        name="otel_context_gc_callback",
        package="opentelemetry-api",
        buggy="1.24.0",
        fixed="1.25.0",
        url="https://github.com/open-telemetry/opentelemetry-python/issues/3381",
        summary="context.get_current/attach/detach take _RUNTIME_CONTEXT_LOCK (plain Lock) on "
        "every call; a gc.callbacks hook using the context API re-enters it",
        expected=("inconsistent_lock_state",),
        witness="_RUNTIME_CONTEXT_LOCK",
    ),
    Bug(
        name="joblib_terminate_under_lock",
        package="joblib",
        buggy="0.9.3",
        fixed="0.9.4",
        url="https://github.com/joblib/joblib/pull/296",
        summary="on a task failure Parallel.retrieve() terminates the pool (joins its "
        "result-handler thread) under Parallel._lock; completion callbacks on that thread "
        "take Parallel._lock to dispatch the next batch",
        expected=("circular_dependency",),
        witness="Parallel._lock",
    ),
    Bug(
        name="stomp_listener_lock",
        package="stomp.py",
        buggy="4.1.20",
        fixed="4.1.21",
        url="https://github.com/jasonrbriggs/stomp.py/issues/197",
        summary="listeners run under the transport's __listeners_change_condition, which "
        "send() also takes; an application lock taken around send() and in on_message "
        "closes an ABBA",
        expected=("circular_dependency",),
        witness="app_lock",
    ),
    Bug(
        name="more_executors_shutdown_join",
        package="more-executors",
        buggy="1.14.0",
        fixed="1.15.0",
        url="https://github.com/rohanpm/more-executors/issues/98",
        summary="CancelOnShutdownExecutor.shutdown() joins the delegate's workers (delegate "
        "shutdown(wait=True)) under _lock; a task submitting follow-up work needs _lock",
        expected=("circular_dependency",),
        witness="CancelOnShutdownExecutor._lock",
    ),
)
