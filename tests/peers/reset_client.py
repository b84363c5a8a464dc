"""A TCP client that resets its connection mid-session.

Connects, reads the greeting, sends one message, waits for the reply, then
sets SO_LINGER (1, 0) and closes, so the kernel sends RST instead of FIN.
Prints each step on stdout so tests can follow it.

    python3 reset_client.py HOST PORT MESSAGE
"""

import socket
import struct
import sys

host, port, message = sys.argv[1], int(sys.argv[2]), sys.argv[3]
family = socket.AF_INET6 if ":" in host else socket.AF_INET
sk = socket.socket(family, socket.SOCK_STREAM)
sk.connect((host, port))
print("server>%s" % str(sk.recv(1024), encoding="utf-8"), flush=True)
sk.sendall(bytes(message, encoding="utf-8"))
print("server>%s" % str(sk.recv(1024), encoding="utf-8"), flush=True)
sk.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
sk.close()
print("reset", flush=True)
