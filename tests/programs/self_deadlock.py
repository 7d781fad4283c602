"""The buggy twin of the hand-off: a thread takes a Lock twice and nobody else ever
releases it (the thread is a daemon, so the program still ends)."""
import threading

lock = threading.Lock()


def worker():
    with lock:
        lock.acquire()  # waits for itself forever


t = threading.Thread(target=worker, daemon=True)
t.start()
t.join(3)
