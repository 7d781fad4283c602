"""opentelemetry-api 1.24.0: every context.get_current()/attach()/detach()
goes through _load_runtime_context, which takes the module's plain
_RUNTIME_CONTEXT_LOCK. An application's gc.callbacks hook that reads the
context (to trace or measure collections) runs whenever a collection starts,
possibly inside that wrapper with the lock held: the thread waits for itself
(open-telemetry/opentelemetry-python#3381). 1.25.0 (#3763) loads the runtime
context once at import and drops the lock.

The driver uses the context API from normal code and from a gc callback; the
collection never starts inside the wrapper here, so nothing hangs.
"""
import gc

from opentelemetry import context


def on_gc(phase, info):
    if phase == "stop":
        context.get_current()  # the hook of the issue: trace the collection


context.get_current()  # first call loads the runtime context (entry points) under the lock
gc.disable()  # no automatic collection: one inside the locked wrapper would really hang
gc.callbacks.append(on_gc)
token = context.attach(context.set_value("request", "r1"))  # normal code, lock taken
gc.collect()  # the hook runs: _RUNTIME_CONTEXT_LOCK taken from a gc callback
context.detach(token)
gc.callbacks.remove(on_gc)
gc.enable()
print("opentelemetry driver: done")
