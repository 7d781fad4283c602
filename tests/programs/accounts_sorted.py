"""Two locks of one class, always taken in a fixed order (by account id): correct."""
import threading


class Account:
    def __init__(self, ident, balance):
        self.id = ident
        self.balance = balance
        self.lock = threading.Lock()


def transfer(a, b, amount):
    first, second = sorted((a, b), key=lambda acc: acc.id)
    with first.lock:
        with second.lock:
            a.balance -= amount
            b.balance += amount


x, y, z = Account(1, 100), Account(2, 100), Account(3, 100)
for src, dst in ((x, y), (y, x), (z, x), (y, z)):
    t = threading.Thread(target=transfer, args=(src, dst, 10))
    t.start()
    t.join()
