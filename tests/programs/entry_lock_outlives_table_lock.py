"""A per-entry lock taken under the table lock, kept after the table lock is released, then the
table lock taken while holding the entry lock, and the entry lock released on its own.  Thread A
in checkout() holds the table lock and waits for the entry lock; thread B, between checkout() and
checkin() of that entry, waits for the table lock in touch(): a deadlock.  The shape of the
readers' group hold (lightswitch.py) up to the release, which here is not made under the table
lock: a lock-order bug, reported."""
import threading

table_lock = threading.Lock()


class Entry:
    def __init__(self):
        self.lock = threading.Lock()
        self.uses = 0


def checkout(entry):
    with table_lock:
        entry.lock.acquire()


def touch(entry):
    with table_lock:  # bookkeeping, while the entry is checked out
        entry.uses += 1


def checkin(entry):
    entry.lock.release()


e = Entry()
checkout(e)
touch(e)
checkin(e)
print("done")
