"""Opens N connections to an echo server at once, sends a message on each
(in two parts, the second after all the first parts), reads every echo back
in full, and prints "ok N". Exits 1 on any mismatch.

    python3 many_echo_clients.py HOST PORT N
"""

import socket
import sys

host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
socks = [socket.create_connection((host, port), timeout=30) for _ in range(n)]
for i, s in enumerate(socks):
    s.sendall(("client %d says " % i).encode())
for i, s in enumerate(socks):
    s.sendall(("hello %s\n" % ("x" * i)).encode())
for i, s in enumerate(socks):
    want = ("client %d says hello %s\n" % (i, "x" * i)).encode()
    got = b""
    while len(got) < len(want):
        data = s.recv(4096)
        if not data:
            break
        got += data
    if got != want:
        print("client %d got %r, wanted %r" % (i, got, want), flush=True)
        sys.exit(1)
for s in socks:
    s.close()
print("ok %d" % n, flush=True)
