"""Two delayed executors, each with a scheduler thread that waits on its own condition; shutdown() queues a
sentinel and notify_all()s under the condition, then joins the scheduler (futurist 3.5.0's
DelayedExecutorMixin: TestDelayedExecutorMixin's setUp makes one executor, test_delayed_even_with_idle_workers
and test_running_task_not_cancelled_by_cancel_futures make and shut down a second one before the cleanup shuts
the first down).  Then a Python subprocess runs (futurist's process-pool tests), which makes lockdep check the
session's merged graph at exit.

Correct: each scheduler waits only on its own condition, and shutdown signals it before joining its thread.
The outer condition's window (opened by its waiter before the inner executor existed) contains the join of the
inner scheduler, of the same thread class: (condition) -> (thread); each scheduler's exit gives (thread) ->
(condition).  The live run drops a cycle made only of events (`cycles_need_a_lock`), and reports nothing
without the subprocess; the check of the session's merged graph (runtime/history.py session_findings ->
store/check.py check_graph) does not, and reports it at exit:
at 315430d (both cores): circular_dependency: (condition)Scheduler.changed --> (thread)Scheduler.run@...:NN
[found by merged graph of the session].  Seen by hand in futurist's unittest run (not a harness suite).
"""
import subprocess
import sys
import threading
import time


class Scheduler:
    def __init__(self):
        self.changed = threading.Condition()
        self.queue = []
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while True:
            with self.changed:
                self.changed.wait_for(lambda: bool(self.queue))
                if self.queue.pop() is None:
                    return

    def shutdown(self):
        with self.changed:
            self.queue.append(None)
            self.changed.notify_all()
        self.thread.join()


if __name__ == "__main__":
    outer = Scheduler()
    time.sleep(0.1)  # its scheduler is waiting
    inner = Scheduler()
    inner.shutdown()
    outer.shutdown()
    subprocess.run([sys.executable, "-c", "pass"], check=True)
    print("ok: both schedulers stopped")
