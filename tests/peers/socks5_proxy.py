"""A small SOCKS5 proxy (RFC 1928, with RFC 1929 user/password login).

    python3 socks5_proxy.py HOST PORT [USER:PASSWORD]

With USER:PASSWORD it accepts only that login; without, only "no
authentication". It connects only to loopback targets (127.0.0.1, ::1,
localhost) and refuses others with reply 2 ("not allowed"). Each request
is logged on stdout as ``CONNECT host port`` or ``LOGIN ok|bad user``.
Prints ``listening on HOST:PORT`` on stderr once ready. End it by PID.
"""

import socket
import struct
import sys
import threading

from _address import flush_always, report_listening

flush_always()
host, port = sys.argv[1], int(sys.argv[2])
login = sys.argv[3].split(":", 1) if len(sys.argv) > 3 else None
ALLOWED = {"127.0.0.1", "::1", "localhost"}


def exactly(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                dst.shutdown(socket.SHUT_WR)
                return
            dst.sendall(data)
    except OSError:
        pass


def serve(conn):
    try:
        version, count = exactly(conn, 2)
        methods = exactly(conn, count)
        wanted = 2 if login else 0
        if version != 5 or wanted not in methods:
            conn.sendall(b"\x05\xff")
            return
        conn.sendall(bytes([5, wanted]))
        if login:
            exactly(conn, 1)
            user = exactly(conn, exactly(conn, 1)[0]).decode()
            password = exactly(conn, exactly(conn, 1)[0]).decode()
            ok = [user, password] == login
            print("LOGIN %s %s" % ("ok" if ok else "bad", user))
            conn.sendall(b"\x01\x00" if ok else b"\x01\x01")
            if not ok:
                return
        _, command, _, atyp = exactly(conn, 4)
        if atyp == 1:
            target = socket.inet_ntop(socket.AF_INET, exactly(conn, 4))
        elif atyp == 4:
            target = socket.inet_ntop(socket.AF_INET6, exactly(conn, 16))
        else:
            target = exactly(conn, exactly(conn, 1)[0]).decode()
        (target_port,) = struct.unpack("!H", exactly(conn, 2))
        print("CONNECT %s %d" % (target, target_port))
        if command != 1 or target not in ALLOWED:
            conn.sendall(b"\x05\x02\x00\x01\x00\x00\x00\x00\x00\x00")
            return
        try:
            upstream = socket.create_connection((target, target_port), timeout=10)
            upstream.settimeout(None)
        except ConnectionRefusedError:
            conn.sendall(b"\x05\x05\x00\x01\x00\x00\x00\x00\x00\x00")
            return
        conn.sendall(b"\x05\x00\x00\x01\x7f\x00\x00\x01\x00\x00")
        back = threading.Thread(target=pump, args=(upstream, conn), daemon=True)
        back.start()
        pump(conn, upstream)
        back.join()
        upstream.close()
    except (EOFError, OSError):
        pass
    finally:
        conn.close()


sk = socket.create_server((host, port), family=socket.AF_INET6 if ":" in host else socket.AF_INET)
report_listening(sk)
while True:
    client, _ = sk.accept()
    threading.Thread(target=serve, args=(client,), daemon=True).start()
