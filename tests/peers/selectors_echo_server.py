"""The echo server of Python's selectors documentation ("Examples"), with
the address from argv and the port reported on stderr;
examples/selectors_echo_server.ts is its port.

    python3 selectors_echo_server.py HOST PORT
"""

import selectors
import socket
import sys

sel = selectors.DefaultSelector()


def accept(sock, mask):
    conn, addr = sock.accept()  # Should be ready
    print('accepted', conn, 'from', addr, flush=True)
    conn.setblocking(False)
    sel.register(conn, selectors.EVENT_READ, read)


def read(conn, mask):
    data = conn.recv(1000)  # Should be ready
    if data:
        print('echoing', len(data), 'bytes to', conn, flush=True)
        conn.sendall(data)  # Hope it won't block
    else:
        print('closing', conn, flush=True)
        sel.unregister(conn)
        conn.close()


sock = socket.socket()
sock.bind((sys.argv[1], int(sys.argv[2])))
sock.listen(100)
sock.setblocking(False)
sel.register(sock, selectors.EVENT_READ, accept)
print("listening on %s:%d" % sock.getsockname(), file=sys.stderr, flush=True)

while True:
    events = sel.select()
    for key, mask in events:
        callback = key.data
        callback(key.fileobj, mask)
