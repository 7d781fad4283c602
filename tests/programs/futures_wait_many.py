"""concurrent.futures.wait / as_completed over many futures (the stdlib nests every
future's condition, sorted by id): correct code."""
from concurrent.futures import ThreadPoolExecutor, as_completed, wait

with ThreadPoolExecutor(4) as ex:
    for _ in range(3):
        fs = [ex.submit(pow, i, 2) for i in range(8)]
        wait(fs)
        assert sorted(f.result() for f in as_completed(fs)) == [i * i for i in range(8)]
