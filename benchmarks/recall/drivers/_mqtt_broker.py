"""A loopback MQTT 3.1.1 peer just big enough for one client: CONNACK,
SUBACK, PUBACK for QoS 1, PINGRESP, and every PUBLISH sent back to the client
when it subscribed to that topic (QoS 0). Stands in for the network, not for
the library under test."""
import socket
import struct
import threading


def _read_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def _read_packet(conn):
    header = _read_exact(conn, 1)[0]
    length, shift = 0, 0
    while True:
        byte = _read_exact(conn, 1)[0]
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            break
    return header, _read_exact(conn, length)


def _encode(header, body):
    out, n = bytearray([header]), len(body)
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out) + body


class Broker:
    def __init__(self):
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, name="broker", daemon=True)
        self._thread.start()

    def _serve(self):
        conn, _ = self._server.accept()
        topics = set()
        try:
            while True:
                header, body = _read_packet(conn)
                kind = header & 0xF0
                if kind == 0x10:  # CONNECT
                    conn.sendall(b"\x20\x02\x00\x00")
                elif kind == 0x80:  # SUBSCRIBE: packet id, (topic, qos)
                    (tlen,) = struct.unpack("!H", body[2:4])
                    topics.add(body[4:4 + tlen].decode())
                    conn.sendall(_encode(0x90, body[:2] + b"\x00"))
                elif kind == 0x30:  # PUBLISH
                    (tlen,) = struct.unpack("!H", body[:2])
                    topic = body[2:2 + tlen]
                    qos = (header >> 1) & 3
                    rest = body[2 + tlen:]
                    if qos:
                        conn.sendall(_encode(0x40, rest[:2]))
                        rest = rest[2:]
                    if topic.decode() in topics:
                        conn.sendall(_encode(0x30, struct.pack("!H", tlen) + topic + rest))
                elif kind == 0xC0:  # PINGREQ
                    conn.sendall(b"\xd0\x00")
                elif kind == 0xE0:  # DISCONNECT
                    return
        except (EOFError, OSError):
            return
        finally:
            conn.close()
            self._server.close()
