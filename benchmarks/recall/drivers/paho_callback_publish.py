"""paho-mqtt 1.5.1: the network thread calls on_message while holding
Client._callback_mutex; a handler that publishes takes _out_message_mutex.
Another thread's publish() holds _out_message_mutex and, queueing the packet,
calls _call_socket_register_write(), which takes _callback_mutex: ABBA
(eclipse/paho.mqtt.python#354, also #603). 1.6.0 calls the user callbacks
after releasing _callback_mutex.

The driver publishes from the main thread first; only then does the broker
echo the message back and the handler publish its reply, so the two orders
never overlap in time.
"""
import threading

import paho.mqtt.client as mqtt

from _mqtt_broker import Broker

broker = Broker()
client = mqtt.Client(client_id="recall")
subscribed, replied = threading.Event(), threading.Event()


def on_subscribe(c, userdata, mid, granted_qos):
    subscribed.set()


def on_message(c, userdata, msg):
    if msg.topic == "request":
        c.publish("reply", b"pong", qos=1)  # under _callback_mutex in 1.5.1
        replied.set()


client.on_subscribe = on_subscribe
client.on_message = on_message
client.connect("127.0.0.1", broker.port)
client.loop_start()
client.subscribe("request")
assert subscribed.wait(10), "no SUBACK"
client.publish("request", b"ping", qos=1).wait_for_publish()  # _out_message_mutex -> _callback_mutex
assert replied.wait(10), "the handler never ran"
client.disconnect()
client.loop_stop()
print("paho-mqtt driver: done")
