"""Futures' conditions made and dropped one after another (their addresses are reused), each nested
with the next in id order by concurrent.futures.wait: replay must give the live run's findings."""
import concurrent.futures as cf
with cf.ThreadPoolExecutor(2) as ex:
    for _ in range(200):
        fs = [ex.submit(pow, 2, i) for i in range(3)]
        cf.wait(fs)
print("ok")
