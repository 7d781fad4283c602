"""The buggy twin: transfer(a, b) locks a then b, so transfer(b, a) inverts the order."""
import threading


class Account:
    def __init__(self, ident, balance):
        self.id = ident
        self.balance = balance
        self.lock = threading.Lock()


def transfer(a, b, amount):
    with a.lock:
        with b.lock:
            a.balance -= amount
            b.balance += amount


x, y = Account(1, 100), Account(2, 100)
for src, dst in ((x, y), (y, x)):
    t = threading.Thread(target=transfer, args=(src, dst, 10))
    t.start()
    t.join()
