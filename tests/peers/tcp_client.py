"""The tutorial's TCP client (一、TCP socket编程 / TCP 客户端).

Same logic as the tutorial; only the address comes from argv (see
_address.py) and output is flushed.
"""

import socket

from _address import flush_always, parse_argv

flush_always()
family, ip_port = parse_argv()
sk = socket.socket(family, socket.SOCK_STREAM)
sk.connect(ip_port)
while True:
    recv_data = str(sk.recv(1024), encoding="utf-8")
    print("server>%s" % recv_data)
    send_data = input("client>")
    sk.sendall(bytes(send_data, encoding="utf-8"))
    if send_data == "exit":
        sk.close()
        break
