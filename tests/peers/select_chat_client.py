"""A chat client that waits on the keyboard and the socket at once with
select. The classic chat client of Python networking tutorials;
examples/select_chat_client.ts is its port.

    python3 select_chat_client.py HOST PORT
"""

import select
import socket
import sys

sock = socket.create_connection((sys.argv[1], int(sys.argv[2])))
print("connected", flush=True)
while True:
    readable, _, _ = select.select([sys.stdin, sock], [], [])
    for s in readable:
        if s is sock:
            data = sock.recv(4096)
            if not data:
                print("disconnected", flush=True)
                sys.exit()
            sys.stdout.write(data.decode())
            sys.stdout.flush()
        else:
            line = sys.stdin.readline()
            if not line:
                sock.close()
                sys.exit()
            sock.sendall(line.encode())
