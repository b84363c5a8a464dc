"""The tutorial's TCP server (一、TCP socket编程 / TCP 服务端).

Same logic as the tutorial; only the address comes from argv (see
_address.py) and output is flushed. Like the original it answers one client
at a time, and after a client leaves without sending "exit" it loops forever
on empty recv(): end it by PID.
"""

import socket

from _address import flush_always, parse_argv, report_listening

flush_always()
family, address = parse_argv()
sk = socket.socket(family, socket.SOCK_STREAM)
sk.bind(address)
sk.listen(5)
report_listening(sk)
while True:
    conn, addr = sk.accept()
    print("%s connected" % (addr[0] if isinstance(addr, tuple) else addr))
    conn.sendall(bytes("hello", encoding="utf-8"))
    while True:
        recv_data = str(conn.recv(1024), encoding="utf-8")
        if recv_data == "exit":
            conn.close()
            print("%s disconnected" % (addr[0] if isinstance(addr, tuple) else addr))
            break
        else:
            print("client>%s" % recv_data)
            send_data = input("server>")
            conn.sendall(bytes(send_data, encoding="utf-8"))
sk.close()
