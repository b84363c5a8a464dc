"""The tutorial's UDP client (二、UDP socket编程 / UDP 客户端).

Same logic as the tutorial; only the address comes from argv (see
_address.py) and output is flushed. The original's first sendto binds the
wildcard; this one binds loopback (127.0.0.1 or ::1) first, since tests
never listen on the wildcard. A Unix datagram socket has no address until
it is bound, and the server could not reply to it, so with --unix the
client binds to PATH + ".client" first (the one addition for AF_UNIX).
"""

import os
import socket

from _address import flush_always, parse_argv

flush_always()
family, ip_port = parse_argv()
sk = socket.socket(family, socket.SOCK_DGRAM)
if family == socket.AF_UNIX:
    sk.bind(ip_port + ".client")
else:
    # Tests never listen on the wildcard.
    sk.bind(("::1" if family == socket.AF_INET6 else "127.0.0.1", 0))
while True:
    send_data = input("client>")
    sk.sendto(bytes(send_data, encoding="utf-8"), ip_port)
    if send_data == "exit":
        break
    data, addr = sk.recvfrom(1024)
    print("server>%s" % str(data, encoding="utf-8"))
sk.close()
if family == socket.AF_UNIX:
    os.unlink(ip_port + ".client")
