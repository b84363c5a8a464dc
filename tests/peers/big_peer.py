"""A TCP peer that sends or receives one 100 KiB message.

The message is "héllo 世界 " * 7314 + "abcd": exactly 102400 bytes of UTF-8,
with multi-byte characters across every likely read boundary. The tests
build the same text (BIG in interop_tcp_test.py).

    python3 big_peer.py MODE HOST PORT

Modes, named after what the peer does (servers bind PORT, which may be 0,
and report it as "listening on HOST:PORT" on stderr):

    server-sends     greets its one client with the big message (one
                     sendall), then reads until the data ends with "exit"
                     and prints "client>DATA".
    server-receives  greets with "hello", reads len(BIG) bytes, prints
                     "client>N bytes, equal=True|False", replies "got it",
                     reads "exit" and prints "client>exit".
    client-sends     reads the greeting "hello", sends the big message (one
                     sendall), reads len(BIG) bytes of reply (an echo),
                     prints "server>N bytes, equal=True|False", sends "exit".
    client-receives  reads the greeting "hello", sends "give", reads
                     len(BIG) bytes of reply, prints "server>N bytes,
                     equal=True|False", sends "exit".
"""

import socket
import sys

from _address import report_listening

BIG = bytes("héllo 世界 " * 7314 + "abcd", encoding="utf-8")
assert len(BIG) == 102400


def recv_exactly(sk, size):
    data = b""
    while len(data) < size:
        chunk = sk.recv(65536)
        if not chunk:
            break
        data += chunk
    return data


def report(who, data):
    print("%s>%d bytes, equal=%s" % (who, len(data), data == BIG), flush=True)


mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
sk = socket.socket(family, socket.SOCK_STREAM)
if mode.startswith("server-"):
    sk.bind((host, port))
    sk.listen(5)
    report_listening(sk)
    conn, addr = sk.accept()
    if mode == "server-sends":
        conn.sendall(BIG)
        data = b""
        while not data.endswith(b"exit"):
            chunk = conn.recv(1024)
            if not chunk:
                break
            data += chunk
        print("client>%s" % str(data, encoding="utf-8"), flush=True)
    else:
        conn.sendall(b"hello")
        report("client", recv_exactly(conn, len(BIG)))
        conn.sendall(b"got it")
        print("client>%s" % str(conn.recv(1024), encoding="utf-8"), flush=True)
    conn.close()
else:
    sk.connect((host, port))
    print("server>%s" % str(recv_exactly(sk, 5), encoding="utf-8"), flush=True)
    sk.sendall(BIG if mode == "client-sends" else b"give")
    report("server", recv_exactly(sk, len(BIG)))
    sk.sendall(b"exit")
sk.close()
