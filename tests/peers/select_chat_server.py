"""A multi-client chat server on select: every line a client sends goes to
all the others. The classic select-based chat server of Python networking
tutorials; examples/select_chat_server.ts is its port.

    python3 select_chat_server.py HOST PORT
"""

import select
import socket
import sys

HOST = sys.argv[1]
PORT = int(sys.argv[2])

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind((HOST, PORT))
server.listen(10)
print("listening on %s:%d" % server.getsockname(), file=sys.stderr, flush=True)

sockets = [server]


def broadcast(sender, data):
    for sock in list(sockets):
        if sock is server or sock is sender:
            continue
        try:
            sock.sendall(data)
        except OSError:
            sockets.remove(sock)
            sock.close()


while True:
    readable, _, _ = select.select(sockets, [], [])
    for s in readable:
        if s is server:
            conn, addr = server.accept()
            sockets.append(conn)
            broadcast(conn, ("[%s:%d] entered the room\n" % addr).encode())
        else:
            try:
                data = s.recv(4096)
            except OSError:
                data = b""
            if data:
                broadcast(s, data)
            else:
                sockets.remove(s)
                s.close()
