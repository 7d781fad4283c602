"""Lock-order inversion (ABBA) that never deadlocks in this run.

transfer() locks the accounts, then the audit log; audit() locks the audit
log, then the accounts.  Run one after the other they always finish; run
concurrently they can deadlock.  `python -m lockdep examples/python/bank_transfer.py`
reports the inversion from this clean run.
"""

import threading


class Bank:
    def __init__(self):
        self.accounts_lock = threading.Lock()
        self.audit_lock = threading.Lock()
        self.balance = {"alice": 100, "bob": 0}
        self.log = []

    def transfer(self, src, dst, amount):
        with self.accounts_lock:
            self.balance[src] -= amount
            self.balance[dst] += amount
            with self.audit_lock:
                self.log.append((src, dst, amount))

    def audit(self):
        with self.audit_lock:
            with self.accounts_lock:
                return sum(self.balance.values()), len(self.log)


bank = Bank()
t = threading.Thread(target=bank.transfer, args=("alice", "bob", 10))
t.start()
t.join()
a = threading.Thread(target=bank.audit)
a.start()
a.join()
print("total", bank.audit())
