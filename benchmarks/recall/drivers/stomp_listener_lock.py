"""stomp.py 4.1.20: the receiver thread calls the listeners' on_message while
holding the transport's __listeners_change_condition, and every send() takes
that condition too (to call on_send listeners). An application that sends
under its own lock and takes that lock in on_message deadlocks: main holds
the app lock and waits for the condition, the receiver holds the condition
and waits for the app lock (jasonrbriggs/stomp.py#197). 4.1.21 copies the
listener list under the condition and calls the listeners after releasing it.

The driver sends under the application lock first; only then does the broker
deliver a message, so the two orders never overlap in time.
"""
import threading

import stomp

from _stomp_broker import Broker

broker = Broker()
app_lock = threading.RLock()  # the application's own lock (an RLock in the report)
received = threading.Event()


class App(stomp.ConnectionListener):
    def on_message(self, headers, body):
        with app_lock:  # update the application's state
            received.set()


conn = stomp.Connection([("127.0.0.1", broker.port)])
conn.set_listener("app", App())
conn.start()
conn.connect(wait=True)
conn.subscribe("/queue/in", id=1)
with app_lock:
    conn.send("/queue/out", "status")  # app lock -> __listeners_change_condition
conn.send("/queue/in", "ping")  # comes back: on_message under the condition -> app lock
assert received.wait(10), "no MESSAGE"
conn.disconnect()
print("stomp.py driver: done")
