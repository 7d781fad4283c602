"""asyncio.Lock order inversion between two tasks (run one after the other: never deadlocks here)."""

import asyncio

class Cache:
    def __init__(self):
        self.index_lock = asyncio.Lock()
        self.store_lock = asyncio.Lock()

async def writer(c):
    async with c.index_lock:
        await asyncio.sleep(0)
        async with c.store_lock:
            pass

async def compactor(c):
    async with c.store_lock:
        async with c.index_lock:
            pass

async def main():
    c = Cache()
    await asyncio.create_task(writer(c), name="writer")
    await asyncio.create_task(compactor(c), name="compactor")
    print("done")

asyncio.run(main())
