"""Tests of a readers-writer lock (lightswitch.py) that end with a reader still in, as
readerwriterlock's test_write_req12 does: the first reader takes the write lock under the count
lock, a second reader comes and goes, the first one leaves, and the second... never does.  One
thread shows "count lock -> write lock" (first reader) and "write lock -> count lock" (leaving
while the group still holds the write lock), and the group hold is never released: the lock is
dropped with it still held, or is still held at exit.  Correct: the counter makes the two orders
exclusive, and the release that would show it is a group's was simply never made.  Likewise a
group hold taken by a thread that ended (readerwriterlock's downgrade() has a thread take it for
the reader it returns) and never released is the group's, not a lock the thread leaked."""
import threading

from lightswitch import RWLock


def reader_left_in(rw):
    rw.acquire_read()
    rw.acquire_read()  # a second reader
    rw.release_read()  # the first one leaves; the second stays in


reader_left_in(RWLock())  # a test's lock, dropped with its readers' hold
kept = RWLock()
reader_left_in(kept)      # a module's lock, still held by its readers at exit

handed = RWLock()
t = threading.Thread(target=handed.acquire_read)  # its reader stays in after the thread ends
t.start()
t.join()
print("done")
