/**
 * Datagram behaviour of `Socket` on real loopback sockets: cut datagrams,
 * automatic binding on connect (sendto's is in autobind_test.ts), connected UDP, timeouts, IPv6, Unix datagram sockets,
 * and talking to python3. Needs `--unstable-net` (set in deno.json).
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socket from "../../mod.ts";
import { rejectsWith, throwsWith } from "../_support/assert.ts";
import { text } from "../_support/data.ts";
import { portOf, untilReady } from "../_support/net.ts";
import { needs, notOn } from "../_support/platform.ts";
import { pythonChild, runPython } from "../_support/python.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { sleep } from "../_support/wait.ts";

const { AF_INET, AF_INET6, AF_UNIX, SOCK_DGRAM, bytes, errno } = socket;

const unix = needs("unix-sockets");
const python = needs("python");
/** The test compares pysocket's error with Python's for the same call. */
const pythonEdestaddrreq = needs(
  "python",
  notOn(["windows"], "Python's error there is WSAENOTCONN, not EDESTADDRREQ"),
);
/** Python reads 4 bytes of an 8-byte datagram. */
const pythonShortRecv = needs(
  "python",
  notOn(
    ["windows"],
    "Python's short recvfrom() of a datagram fails there with WSAEMSGSIZE",
  ),
);

/** A UDP socket bound to an OS-chosen port on `host`. */
function udp(host = "127.0.0.1"): socket.Socket {
  const sock = socket.socket(
    host.includes(":") ? AF_INET6 : AF_INET,
    SOCK_DGRAM,
  );
  sock.bind([host, 0]);
  return sock;
}

Deno.test("recvfrom(n) returns at most n bytes of a datagram, drops the rest, and the next recvfrom() gets the next datagram", async () => {
  using receiver = udp();
  using sender = udp();
  await sender.sendto(bytes("0123456789"), receiver.getsockname());
  await sender.sendto(bytes("second"), receiver.getsockname());
  const [first, from] = await receiver.recvfrom(4);
  assert.equal(text(first), "0123");
  assert.deepEqual(from, sender.getsockname());
  const [second] = await receiver.recvfrom(1024);
  assert.equal(text(second), "second");
});

Deno.test("recv(n) on a datagram socket also cuts the datagram to n bytes", async () => {
  using receiver = udp();
  using sender = udp();
  await sender.sendto(bytes("abcdef"), receiver.getsockname());
  await sender.sendto(bytes("ghi"), receiver.getsockname());
  assert.equal(text(await receiver.recv(2)), "ab");
  assert.equal(text(await receiver.recv(100)), "ghi");
});

Deno.test("an empty datagram arrives as empty bytes, not as end of stream", async () => {
  using receiver = udp();
  using sender = udp();
  assert.equal(
    await sender.sendto(new Uint8Array(0), receiver.getsockname()),
    0,
  );
  await sender.sendto(bytes("after"), receiver.getsockname());
  const [empty, from] = await receiver.recvfrom(10);
  assert.equal(empty.length, 0);
  assert.deepEqual(from, sender.getsockname());
  assert.equal(text((await receiver.recvfrom(10))[0]), "after");
});

Deno.test("sendto() also takes Python's (data, flags, address) form", async () => {
  using server = udp();
  using client = udp();
  assert.equal(
    await client.sendto(bytes("flagged"), 0, server.getsockname()),
    7,
  );
  assert.equal(text((await server.recvfrom(100))[0]), "flagged");
});

Deno.test("a connected UDP socket sends with send(), receives with recv(), and hears only its peer", async () => {
  using server = udp();
  using stranger = udp();
  using client = socket.socket(AF_INET, SOCK_DGRAM);
  await client.connect(server.getsockname());
  assert.deepEqual(client.getpeername(), server.getsockname());
  assert.equal(await client.send(bytes("hello")), 5);
  const [data, from] = await server.recvfrom(100);
  assert.equal(text(data), "hello");
  assert.deepEqual(from, client.getsockname());
  // A datagram from anyone else is not for a connected socket.
  await stranger.sendto(bytes("not for you"), from);
  await sleep(10);
  await server.sendto(bytes("reply"), from);
  assert.equal(text(await client.recv(100)), "reply");
});

Deno.test(
  `send() on an unconnected UDP socket throws OSError EDESTADDRREQ, as in Python${pythonEdestaddrreq.why}`,
  { ignore: pythonEdestaddrreq.ignore },
  async () => {
    using sock = socket.socket(AF_INET, SOCK_DGRAM);
    const err = await rejectsWith(sock.send(bytes("x")), socket.OSError, {
      errno: errno.EDESTADDRREQ,
    });
    const { stdout } = await runPython(`
import socket
try:
    socket.socket(socket.AF_INET, socket.SOCK_DGRAM).send(b"x")
except OSError as e:
    print(e)
`);
    assert.ok(
      err.message.startsWith(stdout.trim()),
      `${err.message} does not start with Python's ${stdout.trim()}`,
    );
  },
);

Deno.test("recvfrom() with a timeout throws TimeoutError, and a datagram arriving later is returned by the next recvfrom()", async () => {
  using receiver = udp();
  using sender = udp();
  receiver.settimeout(0.05);
  await rejectsWith(receiver.recvfrom(100), socket.TimeoutError, {
    message: "timed out",
    errno: null,
  });
  await rejectsWith(receiver.recv(100), socket.TimeoutError);
  await sender.sendto(bytes("late"), receiver.getsockname());
  const [data, from] = await receiver.recvfrom(100);
  assert.equal(text(data), "late");
  assert.deepEqual(from, sender.getsockname());
});

Deno.test("setblocking(false) makes an empty recvfrom() throw BlockingIOError at once, losing nothing", async () => {
  using receiver = udp();
  using sender = udp();
  receiver.setblocking(false);
  await rejectsWith(receiver.recvfrom(100), socket.BlockingIOError, {
    errno: errno.EWOULDBLOCK,
  });
  await sender.sendto(bytes("queued"), receiver.getsockname());
  const [data] = await untilReady(() => receiver.recvfrom(100));
  assert.equal(text(data), "queued");
});

Deno.test("binding a UDP port in use throws OSError EADDRINUSE", () => {
  using first = udp();
  using second = socket.socket(AF_INET, SOCK_DGRAM);
  throwsWith(() => second.bind(first.getsockname()), socket.OSError, {
    errno: errno.EADDRINUSE,
  });
});

Deno.test("UDP over IPv6 on ::1 exchanges datagrams with 4-tuple addresses", async () => {
  using server = udp("::1");
  using client = socket.socket(AF_INET6, SOCK_DGRAM);
  client.bind(["::1", 0]); // Tests never listen on the wildcard.
  const [host, port, flowinfo, scope] = server.getsockname() as [
    string,
    number,
    number,
    number,
  ];
  assert.deepEqual([host, flowinfo, scope], ["::1", 0, 0]);
  await client.sendto(bytes("six"), ["::1", port]);
  const [data, from] = await server.recvfrom(100);
  assert.equal(text(data), "six");
  assert.ok(Array.isArray(from) && from.length === 4, `from ${from}`);
  assert.equal(from[0], "::1");
  await server.sendto(bytes("back"), from);
  assert.equal(text((await client.recvfrom(100))[0]), "back");
});

Deno.test(
  {
    name:
      `AF_UNIX datagram sockets exchange datagrams through paths in a temp dir${unix.why}`,
    ignore: unix.ignore,
  },
  async () => {
    using dir = tempDir();
    using server = socket.socket(AF_UNIX, SOCK_DGRAM);
    server.bind(dir.join("server.sock"));
    assert.equal(server.getsockname(), dir.join("server.sock"));
    using client = socket.socket(AF_UNIX, SOCK_DGRAM);
    client.bind(dir.join("client.sock"));
    await client.sendto(bytes("0123456789"), dir.join("server.sock"));
    await client.sendto(bytes("next"), dir.join("server.sock"));
    const [data, from] = await server.recvfrom(3);
    assert.equal(text(data), "012");
    assert.equal(from, dir.join("client.sock"));
    assert.equal(text((await server.recvfrom(100))[0]), "next");
    await server.sendto(bytes("reply"), from);
    const [reply, replyFrom] = await client.recvfrom(100);
    assert.equal(text(reply), "reply");
    assert.equal(replyFrom, dir.join("server.sock"));
  },
);

Deno.test(
  {
    name:
      `AF_UNIX datagram: sendto() while a recvfrom() waits throws OSError EALREADY naming the limit; the recvfrom() still gets its datagram${unix.why}`,
    ignore: unix.ignore,
  },
  async () => {
    using dir = tempDir();
    using a = socket.socket(AF_UNIX, SOCK_DGRAM);
    a.bind(dir.join("a.sock"));
    using b = socket.socket(AF_UNIX, SOCK_DGRAM);
    b.bind(dir.join("b.sock"));
    const waiting = a.recvfrom(100);
    await rejectsWith(
      a.sendto(bytes("x"), dir.join("b.sock")),
      socket.OSError,
      { errno: errno.EALREADY },
    );
    await assert.rejects(
      a.sendto(bytes("x"), dir.join("b.sock")),
      /Deno cannot do both at once on Unix datagram sockets/,
    );
    await b.sendto(bytes("hello"), dir.join("a.sock"));
    assert.equal(text((await waiting)[0]), "hello");
    await a.sendto(bytes("now"), dir.join("b.sock")); // Free again.
    assert.equal(text((await b.recvfrom(100))[0]), "now");
  },
);

// Python peers.

Deno.test(
  `a python3 UDP client talks to a pysocket UDP server${python.why}`,
  { ignore: python.ignore },
  async () => {
    using server = udp();
    const client = runPython(
      `
import socket, sys
sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sk.bind(("127.0.0.1", 0))  # Tests never listen on the wildcard.
sk.settimeout(5)
sk.sendto(bytes("héllo", encoding="utf-8"), ("127.0.0.1", int(sys.argv[1])))
data, addr = sk.recvfrom(1024)
print("server>%s" % str(data, encoding="utf-8"))
print(addr[1])
`,
      [String(portOf(server.getsockname()))],
    );
    const [data, from] = await server.recvfrom(1024);
    assert.equal(socket.str(data, "utf-8"), "héllo");
    await server.sendto(bytes("grüß dich"), from);
    const done = await client;
    assert.equal(done.code, 0, done.stderr);
    assert.equal(
      done.stdout,
      `server>grüß dich\n${portOf(server.getsockname())}\n`,
    );
  },
);

Deno.test(
  `a pysocket UDP client talks to a python3 UDP server${pythonShortRecv.why}`,
  { ignore: pythonShortRecv.ignore },
  async () => {
    await using server = pythonChild(
      `
import socket
sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sk.bind(("127.0.0.1", 0))
print("port", sk.getsockname()[1])
data, addr = sk.recvfrom(4)
sk.sendto(data + b"|" + bytes(str(addr[1]), encoding="utf-8"), addr)
print("client>%s" % str(data, encoding="utf-8"))
`,
    );
    await server.waitFor("stdout", /port \d+\n/);
    const port = Number(/port (\d+)/.exec(server.stdout)![1]);
    using client = socket.socket(AF_INET, SOCK_DGRAM);
    client.bind(["127.0.0.1", 0]); // Tests never listen on the wildcard.
    client.settimeout(5);
    // Python's recvfrom(4) keeps 4 bytes of the 8 we send.
    await client.sendto(bytes("abcdefgh"), ["127.0.0.1", port]);
    const [reply, from] = await client.recvfrom(1024);
    assert.equal(text(reply), `abcd|${portOf(client.getsockname())}`);
    assert.deepEqual(from, ["127.0.0.1", port]);
    const done = await server.finished();
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /client>abcd\n$/);
  },
);
