"""A TCP peer for the netcat-style tests: greets, reads, answers in upper case.

    python3 upper_peer.py HOST PORT [COUNT [line]]

Serves COUNT connections (default 1), one after another. For each: sends
``banner\\n``, reads until the client shuts down its sending side (with
``line``: until the first newline, for proxies such as tinyproxy that close
both ways when one side shuts down), prints
``got <repr of the bytes>`` on stdout, sends those bytes upper-cased, and
closes. Prints ``listening on HOST:PORT`` on stderr once ready.
"""

import socket
import sys

from _address import flush_always, parse_argv, report_listening

flush_always()
count = int(sys.argv[3]) if len(sys.argv) > 3 else 1
one_line = sys.argv[4:] == ["line"]
del sys.argv[3:]
family, address = parse_argv()
sk = socket.socket(family, socket.SOCK_STREAM)
sk.bind(address)
sk.listen(5)
report_listening(sk)
for _ in range(count):
    conn, _ = sk.accept()
    conn.sendall(b"banner\n")
    data = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
        if one_line and b"\n" in data:
            break
    print("got %r" % data)
    conn.sendall(data.upper())
    conn.close()
sk.close()
