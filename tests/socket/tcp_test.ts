/**
 * TCP behaviour of `Socket` on real loopback sockets: end of stream,
 * half-close, timeouts (also past `setTimeout`'s limit, in a child
 * process), non-blocking mode, binding, closed sockets, bulk
 * transfer, Unix stream sockets, and talking to python3.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socket from "../../mod.ts";
import { rejectsWith, throwsWith } from "../_support/assert.ts";
import { text } from "../_support/data.ts";
import { recvAll, recvExactly, tcpPair, untilReady } from "../_support/net.ts";
import { needs, onlyOn } from "../_support/platform.ts";
import { MOD_URL } from "../_support/paths.ts";
import { lines, run } from "../_support/process.ts";
import { pythonChild, runPython } from "../_support/python.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { sleep } from "../_support/wait.ts";

const { bytes, errno } = socket;

/**
 * A Linux listener with backlog 0 holds one unaccepted connection and
 * silently drops further SYNs; other kernels answer otherwise (Windows
 * refuses), so the tests built on that wait run on Linux only.
 */
const synDrop = needs(
  onlyOn(["linux"], "needs Linux's silent SYN drop at a full backlog"),
);
const unix = needs("unix-sockets");
const python = needs("python");

Deno.test("recv() returns empty bytes at end of stream, and again on every later call", async () => {
  using pair = await tcpPair();
  await pair.conn.sendall(bytes("last words"));
  pair.conn.close();
  assert.equal(text(await recvAll(pair.client)), "last words");
  assert.deepEqual(await pair.client.recv(1024), new Uint8Array(0));
  assert.deepEqual(await pair.client.recv(1024), new Uint8Array(0));
});

Deno.test("after shutdown(SHUT_WR) the peer reads end of stream and can still reply", async () => {
  using pair = await tcpPair();
  await pair.client.sendall(bytes("question"));
  await pair.client.shutdown(socket.SHUT_WR);
  assert.equal(text(await recvAll(pair.conn)), "question");
  await pair.conn.sendall(bytes("answer"));
  pair.conn.close();
  assert.equal(text(await recvAll(pair.client)), "answer");
});

Deno.test("after shutdown(SHUT_RD) recv() returns empty bytes, and sending still works", async () => {
  using pair = await tcpPair();
  await pair.conn.shutdown(socket.SHUT_RD);
  assert.equal((await pair.conn.recv(1024)).length, 0);
  await pair.conn.sendall(bytes("still here"));
  assert.equal(text(await recvExactly(pair.client, 10)), "still here");
});

Deno.test("send() after shutdown(SHUT_WR) throws BrokenPipeError (EPIPE)", async () => {
  using pair = await tcpPair();
  await pair.client.shutdown(socket.SHUT_WR);
  await rejectsWith(pair.client.send(bytes("x")), socket.BrokenPipeError, {
    errno: errno.EPIPE,
  });
});

Deno.test("recv(n) returns at most n bytes and keeps the rest for the next recv()", async () => {
  using pair = await tcpPair();
  await pair.client.sendall(bytes("abcdef"));
  // Wait until all six bytes are there, without consuming them.
  await sleep(20);
  assert.equal(text(await pair.conn.recv(2)), "ab");
  assert.equal(text(await pair.conn.recv(3)), "cde");
  assert.equal(text(await pair.conn.recv(100)), "f");
});

Deno.test("recv() with a timeout throws TimeoutError 'timed out', and bytes arriving later go to the next recv()", async () => {
  using pair = await tcpPair();
  pair.conn.settimeout(0.05);
  const started = performance.now();
  const err = await rejectsWith(pair.conn.recv(1024), socket.TimeoutError, {
    message: "timed out",
    errno: null,
  });
  const waited = performance.now() - started;
  assert.ok(waited >= 40, `timed out after ${waited} ms, before 50 ms`);
  assert.ok(waited < 2000, `timed out after ${waited} ms`);
  assert.ok(err instanceof socket.OSError);
  assert.ok(err instanceof socket.timeout);
  // Two timeouts in a row keep the same read pending: still nothing lost.
  await rejectsWith(pair.conn.recv(1024), socket.TimeoutError);
  await pair.client.sendall(bytes("late"));
  assert.equal(text(await pair.conn.recv(1024)), "late");
  await pair.client.sendall(bytes("later"));
  assert.equal(text(await pair.conn.recv(1024)), "later");
});

Deno.test("a recv() that timed out with a large buffer still honours a smaller size on the next call", async () => {
  using pair = await tcpPair();
  pair.conn.settimeout(0.03);
  await rejectsWith(pair.conn.recv(1024), socket.TimeoutError);
  await pair.client.sendall(bytes("0123456789"));
  assert.equal(text(await pair.conn.recv(4)), "0123");
  assert.equal(text(await pair.conn.recv(1024)), "456789");
});

Deno.test("accept() with a timeout throws TimeoutError, and a connection arriving later is returned by the next accept()", async () => {
  using server = socket.socket();
  server.bind(["127.0.0.1", 0]);
  server.listen();
  server.settimeout(0.05);
  await rejectsWith(server.accept(), socket.TimeoutError, {
    message: "timed out",
  });
  using client = socket.socket();
  await client.connect(server.getsockname());
  const [conn, addr] = await server.accept();
  using _conn = conn;
  assert.deepEqual(addr, client.getsockname());
  await client.sendall(bytes("hi"));
  assert.equal(text(await conn.recv(10)), "hi");
});

Deno.test(
  {
    name:
      `connect() with a timeout throws TimeoutError when the listener's backlog is full (Linux drops the SYN)${synDrop.why}`,
    ignore: synDrop.ignore,
  },
  async () => {
    // Nothing blackholes on loopback, but a Linux listener with backlog 0
    // holds one unaccepted connection and silently drops further SYNs, so
    // the next connect waits for a SYN-ACK that does not come in time.
    using server = socket.socket();
    server.bind(["127.0.0.1", 0]);
    server.listen(0);
    using first = socket.socket();
    await first.connect(server.getsockname());
    using second = socket.socket();
    second.settimeout(0.2);
    const started = performance.now();
    await rejectsWith(
      second.connect(server.getsockname()),
      socket.TimeoutError,
      {
        message: "timed out",
        errno: null,
      },
    );
    const waited = performance.now() - started;
    assert.ok(waited >= 180 && waited < 3000, `waited ${waited} ms`);
    // connect_ex reports the same timeout as EWOULDBLOCK, like Python's EAGAIN.
    using third = socket.socket();
    third.settimeout(0.1);
    assert.equal(
      await third.connect_ex(server.getsockname()),
      errno.EWOULDBLOCK,
    );
  },
);

Deno.test(
  {
    name:
      `a non-blocking connect() that throws EINPROGRESS goes on in the background, as in Python${synDrop.why}`,
    ignore: synDrop.ignore,
  },
  async () => {
    // A full backlog makes the handshake wait for the SYN retransmit (1 s),
    // long enough for connect() not to finish at once.
    using server = socket.socket();
    server.bind(["127.0.0.1", 0]);
    server.listen(0);
    using first = socket.socket();
    await first.connect(server.getsockname());
    using second = socket.socket();
    second.setblocking(false);
    await rejectsWith(
      second.connect(server.getsockname()),
      socket.BlockingIOError,
      {
        errno: errno.EINPROGRESS,
      },
    );
    // Blocking again, sendall() waits for the connection instead of failing.
    second.setblocking(true);
    const sent = second.sendall(new TextEncoder().encode("x"));
    const [conn1] = await server.accept();
    conn1.close();
    server.settimeout(5);
    const [conn2] = await server.accept();
    using _conn2 = conn2;
    await sent;
    conn2.settimeout(5);
    assert.deepEqual(await conn2.recv(10), new TextEncoder().encode("x"));
    assert.deepEqual(second.getpeername(), server.getsockname());
    // A second connect() reports the socket connected, as Linux does.
    await rejectsWith(second.connect(server.getsockname()), socket.OSError, {
      errno: errno.EISCONN,
    });
  },
);

Deno.test("settimeout() is reported by gettimeout(); setdefaulttimeout() applies to sockets made afterwards", () => {
  using a = socket.socket();
  assert.equal(a.gettimeout(), null);
  assert.equal(a.getblocking(), true);
  a.settimeout(2.5);
  assert.equal(a.gettimeout(), 2.5);
  a.settimeout(0);
  assert.equal(a.getblocking(), false);
  a.settimeout(null);
  assert.equal(a.getblocking(), true);
  throwsWith(() => a.settimeout(-1), RangeError);
  socket.setdefaulttimeout(3);
  try {
    using b = socket.socket();
    assert.equal(b.gettimeout(), 3);
    assert.equal(a.gettimeout(), null);
  } finally {
    socket.setdefaulttimeout(null);
  }
  using c = socket.socket();
  assert.equal(c.gettimeout(), null);
});

// Timeouts longer than setTimeout holds (2^31 - 1 ms, about 24.8 days), in
// a child process, whose stderr shows any TimeoutOverflowWarning.

const LONG_TIMEOUT = `
import * as socket from "${MOD_URL}";
const [seconds, delayMs] = Deno.args.map(Number);
using server = socket.socket();
server.bind(["127.0.0.1", 0]);
server.listen();
using client = socket.socket();
await client.connect(server.getsockname());
const [conn] = await server.accept();
using _conn = conn;
conn.settimeout(seconds);
const started = performance.now();
const outcome = conn.recv(1024).then(
  (data) => "got " + socket.str(data),
  (err) => err.constructor.name + ": " + err.message,
);
let timer;
const atDelay = await Promise.race([
  outcome,
  new Promise((resolve) => timer = setTimeout(() => resolve("pending"), delayMs)),
]);
clearTimeout(timer);
await client.sendall(socket.bytes("late"));
const result = await outcome;
const afterMs = performance.now() - started;
console.log(JSON.stringify({ timeout: conn.gettimeout(), atDelay, result, afterMs }));
`;

/** What {@linkcode LONG_TIMEOUT} prints. */
interface LongTimeoutRun {
  /** What `gettimeout()` said. */
  timeout: number | null;
  /** `"pending"` if the recv() had not settled when the bytes were sent. */
  atDelay: string;
  /** `"got DATA"`, or the error's class and message. */
  result: string;
  /** When the recv() settled, in milliseconds after it was called. */
  afterMs: number;
}

/**
 * Runs {@linkcode LONG_TIMEOUT} in a child: a recv() with a timeout of
 * `seconds`, whose bytes are sent after `delayMs`. Checks that the child
 * exited cleanly and wrote nothing on stderr, and returns what it printed.
 */
async function recvWithLongTimeout(
  seconds: number,
  delayMs: number,
): Promise<LongTimeoutRun> {
  using dir = tempDir();
  const script = dir.join("long_timeout.ts");
  Deno.writeTextFileSync(script, LONG_TIMEOUT);
  const done = await run(Deno.execPath(), [
    "run",
    "--no-prompt",
    "--allow-net=127.0.0.1",
    script,
    String(seconds),
    String(delayMs),
  ], { cwd: dir.path });
  assert.equal(done.code, 0, done.stderr);
  const stderr = lines(done.stderr);
  assert.ok(
    stderr.length === 0,
    `the child wrote ${stderr.length} lines on stderr, the first two:\n` +
      stderr.slice(0, 2).join("\n") + `\nand printed ${done.stdout}`,
  );
  return JSON.parse(done.stdout) as LongTimeoutRun;
}

Deno.test("settimeout(1e7): a recv() whose bytes come after 100 ms returns them, and no TimeoutOverflowWarning is printed", async () => {
  const { afterMs, ...seen } = await recvWithLongTimeout(1e7, 100);
  assert.deepEqual(seen, {
    timeout: 1e7,
    atDelay: "pending",
    result: "got late",
  });
  assert.ok(afterMs >= 90, `the recv() settled after ${afterMs} ms`);
});

Deno.test("settimeout(3000000), past setTimeout's 2^31 ms: a recv() is still waiting after 300 ms, then returns the bytes that come; nothing on stderr", async () => {
  const { afterMs, ...seen } = await recvWithLongTimeout(3_000_000, 300);
  assert.deepEqual(seen, {
    timeout: 3_000_000,
    atDelay: "pending",
    result: "got late",
  });
  assert.ok(afterMs >= 290, `the recv() settled after ${afterMs} ms`);
});

Deno.test("setblocking(false) makes an empty recv() throw BlockingIOError at once, losing nothing", async () => {
  using pair = await tcpPair();
  pair.conn.setblocking(false);
  assert.equal(pair.conn.gettimeout(), 0);
  const started = performance.now();
  await rejectsWith(pair.conn.recv(1024), socket.BlockingIOError, {
    errno: errno.EWOULDBLOCK,
  });
  await rejectsWith(pair.conn.recv(1024), socket.BlockingIOError);
  const waited = performance.now() - started;
  assert.ok(waited < 1000, `two non-blocking recv() calls took ${waited} ms`);
  await pair.client.sendall(bytes("now"));
  assert.equal(text(await untilReady(() => pair.conn.recv(1024))), "now");
  await rejectsWith(pair.conn.recv(1024), socket.BlockingIOError);
  await pair.client.sendall(bytes("again"));
  pair.conn.settimeout(2); // not forever: a lost byte fails, not hangs
  assert.equal(text(await pair.conn.recv(1024)), "again");
});

Deno.test("setblocking(false) makes accept() throw BlockingIOError at once, and a later connection is accepted", async () => {
  using server = socket.socket();
  server.bind(["127.0.0.1", 0]);
  server.listen();
  server.setblocking(false);
  await rejectsWith(server.accept(), socket.BlockingIOError, {
    errno: errno.EWOULDBLOCK,
  });
  using client = socket.socket();
  await client.connect(server.getsockname());
  const [conn] = await untilReady(() => server.accept());
  using _conn = conn;
  await client.sendall(bytes("ok"));
  conn.setblocking(true);
  assert.equal(text(await conn.recv(10)), "ok");
});

Deno.test("bind() to a port in use throws OSError with errno EADDRINUSE", () => {
  using first = socket.socket();
  first.bind(["127.0.0.1", 0]);
  first.listen();
  using second = socket.socket();
  const err = throwsWith(
    () => second.bind(first.getsockname()),
    socket.OSError,
    { errno: errno.EADDRINUSE },
  );
  assert.match(err.message, /^\[Errno \d+\] Address already in use/);
});

Deno.test("bind() to port 0 picks a free port that getsockname() reports and clients reach", async () => {
  using server = socket.socket();
  assert.deepEqual(server.getsockname(), ["0.0.0.0", 0]);
  server.bind(["127.0.0.1", 0]);
  const [host, port] = server.getsockname() as [string, number];
  assert.equal(host, "127.0.0.1");
  assert.ok(port > 0 && port < 65536, `port ${port}`);
  server.listen(5);
  using client = socket.socket();
  await client.connect(["127.0.0.1", port]);
  assert.deepEqual(client.getpeername(), ["127.0.0.1", port]);
  const [conn, addr] = await server.accept();
  using _conn = conn;
  assert.deepEqual(conn.getsockname(), ["127.0.0.1", port]);
  assert.deepEqual(addr, client.getsockname());
});

Deno.test("getpeername() on an unconnected socket throws OSError with errno ENOTCONN", () => {
  using sock = socket.socket();
  throwsWith(() => sock.getpeername(), socket.OSError, {
    errno: errno.ENOTCONN,
  });
  sock.bind(["127.0.0.1", 0]);
  sock.listen();
  throwsWith(() => sock.getpeername(), socket.OSError, {
    errno: errno.ENOTCONN,
  });
});

Deno.test("recv() and send() on an unconnected socket throw OSError with errno ENOTCONN", async () => {
  using sock = socket.socket();
  await rejectsWith(sock.recv(1), socket.OSError, { errno: errno.ENOTCONN });
  await rejectsWith(sock.send(bytes("x")), socket.OSError, {
    errno: errno.ENOTCONN,
  });
});

Deno.test("every call on a closed socket throws OSError with errno EBADF", async () => {
  using pair = await tcpPair();
  const { client, server } = pair;
  client.close();
  server.close();
  const ebadf = { errno: errno.EBADF };
  await rejectsWith(client.recv(1), socket.OSError, ebadf, "recv");
  await rejectsWith(client.recv_into(new Uint8Array(4)), socket.OSError, ebadf);
  await rejectsWith(client.recvfrom(1), socket.OSError, ebadf, "recvfrom");
  await rejectsWith(client.send(bytes("x")), socket.OSError, ebadf, "send");
  await rejectsWith(client.sendall(bytes("x")), socket.OSError, ebadf);
  await rejectsWith(client.shutdown(socket.SHUT_WR), socket.OSError, ebadf);
  await rejectsWith(
    client.connect(pair.conn.getsockname()),
    socket.OSError,
    ebadf,
    "connect",
  );
  await rejectsWith(server.accept(), socket.OSError, ebadf, "accept");
  throwsWith(() => client.getpeername(), socket.OSError, ebadf);
  throwsWith(() => client.getsockname(), socket.OSError, ebadf);
  throwsWith(() => client.bind(["127.0.0.1", 0]), socket.OSError, ebadf);
  throwsWith(() => server.listen(), socket.OSError, ebadf);
  throwsWith(
    () => client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),
    socket.OSError,
    ebadf,
  );
  throwsWith(
    () => client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY),
    socket.OSError,
    ebadf,
  );
});

Deno.test("a recv() or accept() still waiting when the socket is closed throws OSError EBADF", async () => {
  using pair = await tcpPair();
  const reading = pair.conn.recv(1024);
  const accepting = pair.server.accept();
  await sleep(10);
  pair.conn.close();
  pair.server.close();
  await rejectsWith(reading, socket.OSError, { errno: errno.EBADF });
  await rejectsWith(accepting, socket.OSError, { errno: errno.EBADF });
});

Deno.test("close() twice is harmless, fileno() is -1 afterwards, and the repr says [closed]", async () => {
  using pair = await tcpPair();
  const sock = pair.client;
  assert.ok(sock.fileno() > 0);
  assert.notEqual(sock.fileno(), pair.conn.fileno());
  assert.match(
    String(sock),
    /^<socket\.socket fd=\d+, family=2, type=1, proto=0, laddr=\("127\.0\.0\.1", \d+\), raddr=\("127\.0\.0\.1", \d+\)>$/,
  );
  sock.close();
  sock.close();
  assert.equal(sock.closed, true);
  assert.equal(sock.fileno(), -1);
  assert.equal(
    String(sock),
    "<socket.socket [closed] fd=-1, family=2, type=1, proto=0>",
  );
  // The peer sees the close as end of stream.
  assert.equal((await pair.conn.recv(10)).length, 0);
});

Deno.test("`using` closes the socket at the end of its block", () => {
  let outer: socket.Socket;
  {
    using sock = socket.socket();
    sock.bind(["127.0.0.1", 0]);
    outer = sock;
    assert.ok(sock.fileno() > 0);
  }
  assert.equal(outer.fileno(), -1);
});

Deno.test("sendall() of 64 MiB arrives whole and in order", async () => {
  using pair = await tcpPair();
  const size = 64 * 1024 * 1024;
  const data = new Uint8Array(size);
  // Each 4-byte word differs from its neighbours, so a lost, repeated or
  // reordered chunk shows up as a mismatch.
  const words = new Uint32Array(data.buffer);
  for (let i = 0; i < words.length; i++) words[i] = Math.imul(i, 2654435761);
  const sending = pair.client.sendall(data).then(() => pair.client.close());
  let received = 0;
  while (true) {
    const chunk = await pair.conn.recv(1 << 20);
    if (chunk.length === 0) break;
    assert.ok(received + chunk.length <= size, "more bytes than were sent");
    for (let i = 0; i < chunk.length; i++) {
      if (chunk[i] !== data[received + i]) {
        assert.fail(`byte ${received + i} differs`);
      }
    }
    received += chunk.length;
  }
  await sending;
  assert.equal(received, size);
});

Deno.test("send() returns how many bytes went out, possibly fewer than given, and exactly those arrive", async () => {
  using pair = await tcpPair();
  assert.equal(await pair.client.send(bytes("hello")), 5);
  assert.equal(text(await recvExactly(pair.conn, 5)), "hello");
  // Far more than the socket buffers hold, with nobody reading: the OS
  // takes part of it.
  const big = new Uint8Array(32 * 1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = i % 251;
  const sent = await pair.client.send(big);
  assert.ok(sent > 0 && sent <= big.length, `send() returned ${sent}`);
  pair.client.close();
  const got = await recvAll(pair.conn);
  assert.equal(got.length, sent);
  assert.deepEqual(got, big.subarray(0, sent));
});

Deno.test("sendall() and recv_into() accept any typed array view", async () => {
  using pair = await tcpPair();
  await pair.client.sendall(new Uint16Array([0x0201, 0x0403]));
  const buf = new Uint8Array(8);
  const n = await pair.conn.recv_into(buf, 4);
  assert.ok(n >= 1 && n <= 4);
  const rest = n < 4 ? await recvExactly(pair.conn, 4 - n) : new Uint8Array();
  buf.set(rest, n);
  // Little- or big-endian, the four bytes are the array's memory.
  assert.deepEqual(
    buf.subarray(0, 4),
    new Uint8Array(new Uint16Array([0x0201, 0x0403]).buffer),
  );
  await rejectsWith(
    // deno-lint-ignore no-explicit-any
    pair.client.sendall("text" as any),
    TypeError,
    { message: /bytes\(text, "utf-8"\)/ },
  );
});

Deno.test("an IPv6 TCP connection on ::1 reports 4-tuple addresses", async () => {
  using pair = await tcpPair("::1");
  const [host, port, flowinfo, scope] = pair.client.getpeername() as [
    string,
    number,
    number,
    number,
  ];
  assert.deepEqual([host, port, flowinfo, scope], [
    "::1",
    (pair.server.getsockname() as [string, number])[1],
    0,
    0,
  ]);
  await pair.client.sendall(bytes("v6"));
  assert.equal(text(await pair.conn.recv(10)), "v6");
});

Deno.test("an AF_INET socket given an IPv6 address throws OSError EAFNOSUPPORT", async () => {
  using sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
  await rejectsWith(sock.connect(["::1", 80]), socket.OSError, {
    errno: errno.EAFNOSUPPORT,
  });
});

Deno.test(
  {
    name: `AF_UNIX stream sockets talk through a path in a temp dir${unix.why}`,
    ignore: unix.ignore,
  },
  async () => {
    using dir = tempDir();
    const path = dir.join("stream.sock");
    using server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM);
    server.bind(path);
    server.listen();
    assert.equal(server.getsockname(), path);
    using client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM);
    await client.connect(path);
    assert.equal(client.getpeername(), path);
    const [conn] = await server.accept();
    using _conn = conn;
    await client.sendall(bytes("über unix"));
    await client.shutdown(socket.SHUT_WR);
    assert.equal(text(await recvAll(conn)), "über unix");
    await conn.sendall(bytes("back"));
    conn.close();
    assert.equal(text(await recvAll(client)), "back");
  },
);

Deno.test(
  `connecting an AF_UNIX socket to a missing path throws FileNotFoundError (ENOENT)${unix.why}`,
  { ignore: unix.ignore },
  async () => {
    using dir = tempDir();
    using client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM);
    await rejectsWith(
      client.connect(dir.join("missing.sock")),
      socket.FileNotFoundError,
      {
        errno: errno.ENOENT,
      },
    );
  },
);

// Python peers. Each script gets its port in argv and prints what it saw.

Deno.test(
  `a python3 client talks to a pysocket TCP server${python.why}`,
  { ignore: python.ignore },
  async () => {
    using server = socket.socket();
    server.bind(["127.0.0.1", 0]);
    server.listen(1);
    const port = (server.getsockname() as [string, number])[1];
    const client = runPython(
      `
import socket, sys
sk = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
print(str(sk.recv(1024), encoding="utf-8"))
sk.sendall(bytes("héllo from python", encoding="utf-8"))
sk.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = sk.recv(1024)
    if not chunk:
        break
    data += chunk
print(str(data, encoding="utf-8"))
sk.close()
`,
      [String(port)],
    );
    const [conn, addr] = await server.accept();
    using _conn = conn;
    assert.equal((addr as [string, number])[0], "127.0.0.1");
    await conn.sendall(bytes("hello", "utf-8"));
    const heard = socket.str(await recvAll(conn), "utf-8");
    await conn.sendall(bytes(`you said: ${heard}`));
    conn.close();
    const done = await client;
    assert.equal(done.code, 0, done.stderr);
    assert.equal(heard, "héllo from python");
    assert.equal(done.stdout, "hello\nyou said: héllo from python\n");
  },
);

Deno.test(
  `a pysocket TCP client talks to a python3 server${python.why}`,
  { ignore: python.ignore },
  async () => {
    await using server = pythonChild(
      `
import socket
sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sk.bind(("127.0.0.1", 0))
sk.listen(1)
print("port", sk.getsockname()[1])
conn, addr = sk.accept()
conn.sendall(bytes("hello", encoding="utf-8"))
data = b""
while True:
    chunk = conn.recv(1024)
    if not chunk:
        break
    data += chunk
conn.sendall(bytes(str(data, encoding="utf-8").upper(), encoding="utf-8"))
conn.close()
print("client>%s" % str(data, encoding="utf-8"))
`,
    );
    await server.waitFor("stdout", /port \d+\n/);
    const port = Number(/port (\d+)/.exec(server.stdout)![1]);
    using client = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
    await client.connect(["127.0.0.1", port]);
    assert.equal(socket.str(await recvExactly(client, 5), "utf-8"), "hello");
    await client.sendall(bytes("grüße", "utf-8"));
    await client.shutdown(socket.SHUT_WR);
    assert.equal(socket.str(await recvAll(client), "utf-8"), "GRÜSSE");
    const done = await server.finished();
    assert.equal(done.code, 0, done.stderr);
    assert.match(done.stdout, /client>grüße\n$/);
  },
);
