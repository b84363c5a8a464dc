"""Address arguments shared by the tutorial peers.

The tutorial hard-codes ``ip = '0.0.0.0'`` (servers) or ``'127.0.0.1'``
(clients) and ``port = 8888``. The peers take them from the command line so
tests can use free ports, IPv6 and Unix sockets:

    python3 tcp_server.py HOST PORT      # HOST with a ':' means AF_INET6
    python3 tcp_server.py --unix PATH    # AF_UNIX

Servers may be given port 0; they then report the port the system chose as
their only addition to the tutorial: one stderr line ``listening on
HOST:PORT``, printed before the tutorial's loop starts. stdout stays exactly
the tutorial's.
"""

import socket
import sys


def parse_argv():
    """Returns (family, address) from sys.argv."""
    args = sys.argv[1:]
    if len(args) == 2 and args[0] == "--unix":
        return socket.AF_UNIX, args[1]
    if len(args) != 2:
        sys.exit("usage: %s HOST PORT | --unix PATH" % sys.argv[0])
    host, port = args[0], int(args[1])
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return family, (host, port)


def report_listening(sk):
    """Prints ``listening on HOST:PORT`` (or the path) on stderr."""
    name = sk.getsockname()
    where = name if isinstance(name, str) else "%s:%d" % (name[0], name[1])
    print("listening on %s" % where, file=sys.stderr, flush=True)


def flush_always():
    """Makes every print and input prompt reach a pipe at once, with "\n"
    line ends on every system."""
    sys.stdout.reconfigure(line_buffering=True, write_through=True, newline="\n")
