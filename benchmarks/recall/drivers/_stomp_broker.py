"""A loopback STOMP 1.1 peer just big enough for one client: CONNECTED,
RECEIPT for any frame that asks for one, and every SEND delivered back as a
MESSAGE when the client subscribed to that destination. Stands in for the
network, not for the library under test."""
import socket
import threading


def _frames(conn):
    buf = b""
    while True:
        while b"\x00" not in buf:
            chunk = conn.recv(4096)
            if not chunk:
                return
            buf += chunk
        raw, buf = buf.split(b"\x00", 1)
        raw = raw.lstrip(b"\r\n")
        if not raw:
            continue  # heart-beat end of lines
        head, _, body = raw.partition(b"\n\n")
        command, *lines = head.decode().split("\n")
        headers = dict(line.split(":", 1) for line in lines if ":" in line)
        yield command, headers, body


def _frame(command, headers, body=b""):
    head = "".join(f"{k}:{v}\n" for k, v in headers.items())
    return f"{command}\n{head}\n".encode() + body + b"\x00"


class Broker:
    def __init__(self):
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        threading.Thread(target=self._serve, name="broker", daemon=True).start()

    def _serve(self):
        conn, _ = self._server.accept()
        subscriptions, seq = {}, 0
        try:
            for command, headers, body in _frames(conn):
                if command in ("CONNECT", "STOMP"):
                    conn.sendall(_frame("CONNECTED", {"version": "1.1"}))
                elif command == "SUBSCRIBE":
                    subscriptions[headers["destination"]] = headers.get("id", "1")
                elif command == "SEND" and headers["destination"] in subscriptions:
                    seq += 1
                    conn.sendall(_frame("MESSAGE", {
                        "destination": headers["destination"], "message-id": str(seq),
                        "subscription": subscriptions[headers["destination"]]}, body))
                if "receipt" in headers:
                    conn.sendall(_frame("RECEIPT", {"receipt-id": headers["receipt"]}))
                if command == "DISCONNECT":
                    return
        except OSError:
            return
        finally:
            conn.close()
            self._server.close()
