"""A scripted TCP client for the edge cases the tutorial's client cannot
produce: exact bytes, pauses, a reset (RST) instead of a close.

    python3 raw_peer.py HOST PORT STEP...

Steps, run in order:

    recv         recv(65536) once and print "server>TEXT" (UTF-8, invalid
                 bytes replaced); an empty read prints "server closed"
    text:TEXT    sendall(TEXT encoded as UTF-8)
    hex:HEX      sendall(bytes.fromhex(HEX)), for split or invalid UTF-8
    sleep:SECS   time.sleep(SECS)
    say:TEXT     print TEXT (to show how far the script got)
    shutdown     shutdown(SHUT_WR): no more sending, still receiving
    reset        SO_LINGER (1, 0) then close(): the kernel sends RST, not FIN
    close        close() normally

Only recv and say print: the output is the transcript of what the server
sent.
"""

import socket
import struct
import sys
import time

host, port, steps = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
family = socket.AF_INET6 if ":" in host else socket.AF_INET
sk = socket.socket(family, socket.SOCK_STREAM)
sk.connect((host, port))
for step in steps:
    kind, _, arg = step.partition(":")
    if kind == "recv":
        data = sk.recv(65536)
        if data:
            print("server>%s" % data.decode("utf-8", "replace"), flush=True)
        else:
            print("server closed", flush=True)
    elif kind == "text":
        sk.sendall(arg.encode("utf-8"))
    elif kind == "hex":
        sk.sendall(bytes.fromhex(arg))
    elif kind == "sleep":
        time.sleep(float(arg))
    elif kind == "say":
        print(arg, flush=True)
    elif kind == "shutdown":
        sk.shutdown(socket.SHUT_WR)
    elif kind == "reset":
        sk.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sk.close()
    elif kind == "close":
        sk.close()
    else:
        sys.exit("unknown step %r" % step)
