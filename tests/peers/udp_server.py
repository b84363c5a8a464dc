"""The tutorial's UDP server (二、UDP socket编程 / UDP 服务端).

Same logic as the tutorial; only the address comes from argv (see
_address.py) and output is flushed. Like the original it never stops by
itself: end it by PID.
"""

import socket

from _address import flush_always, parse_argv, report_listening

flush_always()
family, address = parse_argv()
sk = socket.socket(family, socket.SOCK_DGRAM)
sk.bind(address)
report_listening(sk)
try:
    while True:
        recv_data, addr = sk.recvfrom(1024)
        print("client>%s" % str(recv_data, encoding="utf-8"))
        send_data = input("server>")
        sk.sendto(bytes(send_data, encoding="utf-8"), addr)
except ConnectionResetError:
    pass
sk.close()
