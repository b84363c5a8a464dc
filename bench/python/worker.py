"""Benchmark worker on CPython's socket module, blocking, as the tutorial writes it.

Usage: python3 bench/python/worker.py <role> <workload> <port> <seconds> <count>
Prints one JSON object per line on stdout, like the Deno and Node workers.
"""

import json
import selectors
import signal
import socket
import socketserver
import sys
import time

HOST = "127.0.0.1"
BULK_CHUNK = 65536
MESSAGE_SIZE = 64
WARMUP_SHARE = 0.1
MAX_LIFETIME_S = 180
STOP = b"STOP"


def emit(value):
    print(json.dumps(value), flush=True)


def payload(size):
    return bytes(97 + (i % 26) for i in range(size))


def listener(backlog=128):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind((HOST, 0))
    s.listen(backlog)
    emit({"port": s.getsockname()[1]})
    return s


def timed_loop(seconds, count, step):
    warmup_end = time.perf_counter() + seconds * WARMUP_SHARE
    while time.perf_counter() < warmup_end:
        step()
    start = time.perf_counter()
    deadline = start + seconds
    n = 0
    while n < count and time.perf_counter() < deadline:
        step()
        n += 1
    return n, time.perf_counter() - start


def bulk_server(args):
    with listener() as s:
        conn, _ = s.accept()
        with conn:
            total = 0
            start = 0.0
            while True:
                data = conn.recv(BULK_CHUNK)
                if not data:
                    break
                if total == 0:
                    start = time.perf_counter()
                total += len(data)
            secs = time.perf_counter() - start
    emit({"bytes": total, "seconds": secs, "value": total / 1e6 / secs, "unit": "MB/s"})


def bulk_client(args):
    chunk = payload(BULK_CHUNK)
    with socket.create_connection((HOST, args["port"])) as s:
        deadline = time.perf_counter() + args["seconds"]
        sent = 0
        i = 0
        while i < args["count"] and time.perf_counter() < deadline:
            s.sendall(chunk)
            sent += len(chunk)
            i += 1
    emit({"sent": sent})


def pingpong_server(args):
    with listener() as s:
        conn, _ = s.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        echoed = 0
        with conn:
            while True:
                data = conn.recv(BULK_CHUNK)
                if not data:
                    break
                conn.sendall(data)
                echoed += len(data)
    emit({"echoed": echoed})


def pingpong_client(args):
    message = payload(MESSAGE_SIZE)
    with socket.create_connection((HOST, args["port"])) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def step():
            s.sendall(message)
            got = 0
            while got < MESSAGE_SIZE:
                data = s.recv(MESSAGE_SIZE - got)
                if not data:
                    raise ConnectionError("server closed the connection")
                got += len(data)

        n, secs = timed_loop(args["seconds"], args["count"], step)
    emit({"count": n, "seconds": secs, "value": n / secs, "unit": "rt/s"})


def udp_server(args):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        emit({"port": s.getsockname()[1]})
        echoed = 0
        while True:
            data, addr = s.recvfrom(BULK_CHUNK)
            if data == STOP:
                break
            s.sendto(data, addr)
            echoed += 1
    emit({"echoed": echoed})


def udp_client(args):
    message = payload(MESSAGE_SIZE)
    server = (HOST, args["port"])
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((HOST, 0))
        s.settimeout(5)

        def step():
            s.sendto(message, server)
            s.recvfrom(BULK_CHUNK)

        n, secs = timed_loop(args["seconds"], args["count"], step)
        for _ in range(3):
            s.sendto(STOP, server)
    emit({"count": n, "seconds": secs, "value": n / secs, "unit": "rt/s"})


def conns_server(args):
    # An idle connection in a server is one waiting for data: register each
    # accepted socket with a selector, the tutorial's way to serve many.
    sel = selectors.DefaultSelector()
    s = listener(4096)
    sel.register(s, selectors.EVENT_READ)
    held = []
    while True:
        for key, _ in sel.select():
            if key.fileobj is s:
                conn, _ = s.accept()
                held.append(conn)
                sel.register(conn, selectors.EVENT_READ)
                if len(held) == args["count"]:
                    emit({"accepted": len(held)})
            else:
                if not key.fileobj.recv(1024):
                    sel.unregister(key.fileobj)
                    key.fileobj.close()


def conns_client(args):
    held = []
    for _ in range(int(args["count"])):
        held.append(socket.create_connection((HOST, args["port"])))
    emit({"opened": len(held)})
    time.sleep(args["seconds"])


def startup_server(args):
    sel = selectors.DefaultSelector()
    s = listener()
    print(f"listening on {HOST}:{s.getsockname()[1]}", file=sys.stderr, flush=True)
    sel.register(s, selectors.EVENT_READ)
    while True:
        for key, _ in sel.select():
            if key.fileobj is s:
                conn, _ = s.accept()
                sel.register(conn, selectors.EVENT_READ)
            else:
                data = key.fileobj.recv(4096)
                if data:
                    key.fileobj.sendall(data)
                else:
                    sel.unregister(key.fileobj)
                    key.fileobj.close()


def startup_client(args):
    with socket.create_connection((HOST, args["port"])) as s:
        f = s.makefile("rb")
        for line in sys.stdin.read().split("\n"):
            if line == "exit":
                break
            s.sendall(line.encode() + b"\n")
            print(f.readline().decode().rstrip("\n"))


class EchoHandler(socketserver.BaseRequestHandler):
    def handle(self):
        while True:
            data = self.request.recv(BULK_CHUNK)
            if not data:
                break
            self.request.sendall(data)


def many_clients_server(args):
    """socketserver.ThreadingTCPServer echoing every client, until killed."""

    class Server(socketserver.ThreadingTCPServer):
        request_queue_size = 128
        daemon_threads = True

    with Server((HOST, 0), EchoHandler) as server:
        emit({"port": server.server_address[1]})
        server.serve_forever()


def many_clients_client(args):
    raise SystemExit("the many-clients client is bench/workers/deno_raw.ts, for every server")


WORKLOADS = {
    "bulk": (bulk_server, bulk_client),
    "tcp-pingpong": (pingpong_server, pingpong_client),
    "udp-pingpong": (udp_server, udp_client),
    "conns": (conns_server, conns_client),
    "startup": (startup_server, startup_client),
    "many-clients": (many_clients_server, many_clients_client),
}


def main(argv):
    if len(argv) < 2 or argv[1] not in WORKLOADS or argv[0] not in ("server", "client"):
        print("usage: worker.py server|client <workload> <port> <seconds> <count>", file=sys.stderr)
        return 2
    signal.signal(signal.SIGALRM, lambda *_: sys.exit(3))
    signal.alarm(MAX_LIFETIME_S)
    rest = argv[2:] + [""] * 3
    args = {
        "port": int(rest[0] or 0),
        "seconds": float(rest[1] or 3),
        "count": float(rest[2] or 1e9),
    }
    server, client = WORKLOADS[argv[1]]
    (server if argv[0] == "server" else client)(args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
