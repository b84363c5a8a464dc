/**
 * Python's exception classes and numbers: the hierarchy, the aliases, the
 * errno and socket constants compared with python3's on this machine, and
 * real refused and reset connections arriving as Python's errors.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socket from "../../mod.ts";
import { rejectsWith } from "../_support/assert.ts";
import { text } from "../_support/data.ts";
import { freePort, portOf, tcpPair } from "../_support/net.ts";
import { needs, notOn, onlyOn } from "../_support/platform.ts";
import { pythonChild, pythonJson } from "../_support/python.ts";

const { bytes, errno } = socket;

const python = needs("python");
/** Python's own message for a refused connection is compared. */
const pythonRefusedMessage = needs(
  "python",
  notOn(["windows"], "Python's message there is WinError 10061's"),
);
const pythonErrorcode = needs(
  "python",
  notOn(
    ["windows"],
    "Python's errno.errorcode names the socket errors WSAE... there",
  ),
);
const pythonAfUnix = needs(
  "python",
  notOn(["windows"], "Python has no socket.AF_UNIX there"),
);
/**
 * Linux answers a close with unread data by a reset (RFC 2525, 2.17);
 * BSD kernels (macOS) discard the data and send FIN.
 */
const UNREAD_RESET = onlyOn(
  ["linux"],
  "needs Linux's reset on a close with unread data",
);
const pythonUnreadReset = needs("python", UNREAD_RESET);
const unreadReset = needs(UNREAD_RESET);

// deno-lint-ignore no-explicit-any
type AnyClass = abstract new (...args: any[]) => unknown;

/** A class's own name and its ancestors' names, up to (not including) Error. */
function lineage(Class: AnyClass): string[] {
  const names: string[] = [];
  for (
    let c: unknown = Class;
    c && c !== Error && c !== Function.prototype;
    c = Object.getPrototypeOf(c)
  ) {
    names.push((c as { name: string }).name);
  }
  return names;
}

Deno.test(
  `the error classes descend from each other as Python's do${python.why}`,
  { ignore: python.ignore },
  async () => {
    const ours: Record<string, AnyClass> = {
      OSError: socket.OSError,
      ConnectionError: socket.ConnectionError,
      ConnectionRefusedError: socket.ConnectionRefusedError,
      ConnectionResetError: socket.ConnectionResetError,
      ConnectionAbortedError: socket.ConnectionAbortedError,
      BrokenPipeError: socket.BrokenPipeError,
      TimeoutError: socket.TimeoutError,
      BlockingIOError: socket.BlockingIOError,
      PermissionError: socket.PermissionError,
      FileNotFoundError: socket.FileNotFoundError,
      InterruptedError: socket.InterruptedError,
      gaierror: socket.gaierror,
      EOFError: socket.EOFError,
    };
    const python = await pythonJson<Record<string, string[]>>(
      `{name: [c.__name__ for c in cls.__mro__[:cls.__mro__.index(Exception)]]
      for name, cls in ((n, getattr(socket, n, None) or getattr(builtins, n))
                        for n in NAMES)}`,
      `import builtins\nNAMES = ${JSON.stringify(Object.keys(ours))}`,
    );
    for (const [name, Class] of Object.entries(ours)) {
      assert.deepEqual(lineage(Class), python[name], name);
    }
    assert.ok(
      new socket.ConnectionRefusedError() instanceof socket.ConnectionError,
    );
    assert.ok(new socket.ConnectionError() instanceof socket.OSError);
    assert.ok(new socket.OSError() instanceof Error);
    assert.ok(!(new socket.EOFError() instanceof socket.OSError));
  },
);

Deno.test("timeout is TimeoutError and error is OSError, as in Python's socket module", () => {
  assert.equal(socket.timeout, socket.TimeoutError);
  assert.equal(socket.error, socket.OSError);
  assert.ok(new socket.TimeoutError("timed out") instanceof socket.timeout);
});

Deno.test(
  `OSError carries errno and strerror and formats its message like Python${python.why}`,
  { ignore: python.ignore },
  async () => {
    const err = new socket.OSError(errno.EBADF, "Bad file descriptor");
    const python = await pythonJson<[string, number, string]>(
      `[str(e), e.errno, e.strerror]`,
      `e = OSError(errno.EBADF, "Bad file descriptor")`,
    );
    assert.deepEqual([err.message, err.errno, err.strerror], python);
    const plain = new socket.OSError("just text");
    assert.deepEqual([plain.message, plain.errno, plain.strerror], [
      "just text",
      null,
      null,
    ]);
    assert.equal(new socket.EOFError().message, "EOF when reading a line");
    assert.equal(
      new socket.ConnectionResetError().name,
      "ConnectionResetError",
    );
  },
);

Deno.test(
  `connect() to a closed port throws ConnectionRefusedError with errno ECONNREFUSED and Python's message${pythonRefusedMessage.why}`,
  { ignore: pythonRefusedMessage.ignore },
  async () => {
    const port = freePort();
    using sock = socket.socket();
    const err = await rejectsWith(
      sock.connect(["127.0.0.1", port]),
      socket.ConnectionRefusedError,
      { errno: errno.ECONNREFUSED, strerror: "Connection refused" },
    );
    const python = await pythonJson<string>(
      "msg",
      `try:
    socket.create_connection(("127.0.0.1", ${port}))
except ConnectionRefusedError as e:
    msg = str(e)`,
    );
    assert.ok(
      err.message.startsWith(python),
      `${err.message} does not start with ${python}`,
    );
    assert.match(err.message, new RegExp(`127\\.0\\.0\\.1:${port}`));
    // The socket stays usable: a second attempt, now to a listener, works.
    using server = socket.socket();
    server.bind(["127.0.0.1", 0]);
    server.listen();
    await sock.connect(server.getsockname());
    assert.deepEqual(sock.getpeername(), server.getsockname());
  },
);

Deno.test("connect_ex() returns errno.ECONNREFUSED for a closed port and 0 on success", async () => {
  using refused = socket.socket();
  assert.equal(
    await refused.connect_ex(["127.0.0.1", freePort()]),
    errno.ECONNREFUSED,
  );
  using server = socket.socket();
  server.bind(["127.0.0.1", 0]);
  server.listen();
  using ok = socket.socket();
  assert.equal(await ok.connect_ex(server.getsockname()), 0);
  // Errors that retrying cannot fix still throw.
  using bad = socket.socket();
  await assert.rejects(bad.connect_ex(["127.0.0.1", 70000]), RangeError);
});

Deno.test(
  `errno values equal python3's errno module on this machine${python.why}`,
  { ignore: python.ignore },
  async () => {
    const names = Object.keys(errno);
    const python = await pythonJson<Record<string, number>>(
      `{n: getattr(errno, n) for n in ${JSON.stringify(names)}}`,
    );
    assert.deepEqual({ ...errno }, python);
  },
);

Deno.test(
  `errorcode and strerror agree with python3's errno.errorcode and os.strerror${pythonErrorcode.why}`,
  { ignore: pythonErrorcode.ignore },
  async () => {
    const numbers = [...new Set(Object.values(errno))];
    const python = await pythonJson<{ code: Record<string, string> }>(
      `{"code": {n: errno.errorcode[n] for n in ${JSON.stringify(numbers)}}}`,
    );
    for (const n of numbers) {
      assert.equal(socket.errorcode[n], python.code[n], `errorcode[${n}]`);
    }
    if (Deno.build.os === "linux") {
      const texts = await pythonJson<Record<string, string>>(
        `{n: os.strerror(getattr(errno, n)) for n in ${
          JSON.stringify(Object.keys(errno))
        }}`,
      );
      for (const name of Object.keys(errno) as socket.ErrnoName[]) {
        assert.equal(socket.strerror(name), texts[name], `strerror(${name})`);
      }
    }
  },
);

Deno.test(
  `socket constants equal python3's socket module on this machine${pythonAfUnix.why}`,
  { ignore: pythonAfUnix.ignore },
  async () => {
    const ours: Record<string, number> = {
      AF_INET: socket.AF_INET,
      AF_INET6: socket.AF_INET6,
      AF_UNIX: socket.AF_UNIX,
      AF_UNSPEC: socket.AF_UNSPEC,
      SOCK_STREAM: socket.SOCK_STREAM,
      SOCK_DGRAM: socket.SOCK_DGRAM,
      SOCK_RAW: socket.SOCK_RAW,
      SOCK_RDM: socket.SOCK_RDM,
      SOCK_SEQPACKET: socket.SOCK_SEQPACKET,
      SHUT_RD: socket.SHUT_RD,
      SHUT_WR: socket.SHUT_WR,
      SHUT_RDWR: socket.SHUT_RDWR,
      SOL_SOCKET: socket.SOL_SOCKET,
      SO_KEEPALIVE: socket.SO_KEEPALIVE,
      SO_REUSEADDR: socket.SO_REUSEADDR,
      IPPROTO_TCP: socket.IPPROTO_TCP,
      IPPROTO_UDP: socket.IPPROTO_UDP,
      TCP_NODELAY: socket.TCP_NODELAY,
      SOMAXCONN: socket.SOMAXCONN,
      AI_PASSIVE: socket.AI_PASSIVE,
      AI_CANONNAME: socket.AI_CANONNAME,
      AI_NUMERICHOST: socket.AI_NUMERICHOST,
    };
    const python = await pythonJson<Record<string, number>>(
      `{n: int(getattr(socket, n)) for n in ${
        JSON.stringify(Object.keys(ours))
      }}`,
    );
    assert.deepEqual(ours, python);
  },
);

Deno.test(
  `a peer's reset (python3 closing with SO_LINGER 0) arrives as ConnectionResetError, not a raw Deno error${python.why}`,
  { ignore: python.ignore },
  async () => {
    using server = socket.socket();
    server.bind(["127.0.0.1", 0]);
    server.listen(1);
    await using peer = pythonChild(
      `
import socket, struct, sys
sk = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
assert sk.recv(2) == b"go"
sk.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
sk.close()
print("reset")
`,
      [
        String(portOf(server.getsockname())),
      ],
    );
    const [conn] = await server.accept();
    using _conn = conn;
    await conn.sendall(bytes("go"));
    const done = await peer.finished();
    assert.equal(done.code, 0, done.stderr);
    const err = await rejectsWith(
      conn.recv(1024),
      socket.ConnectionResetError,
      {
        errno: errno.ECONNRESET,
      },
    );
    assert.ok(err instanceof socket.ConnectionError);
    assert.match(err.message, /^\[Errno \d+\] Connection reset by peer/);
    assert.equal(err.name, "ConnectionResetError");
    // Writing to the dead connection fails with a ConnectionError too.
    await rejectsWith(conn.sendall(bytes("anyone?")), socket.ConnectionError);
  },
);

Deno.test(
  `a python3 peer closing with unread data resets the connection: recv() throws ConnectionResetError${pythonUnreadReset.why}`,
  { ignore: pythonUnreadReset.ignore },
  async () => {
    using server = socket.socket();
    server.bind(["127.0.0.1", 0]);
    server.listen(1);
    await using peer = pythonChild(
      `
import socket, sys
sk = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
assert sk.recv(1) == b"a"
sk.close()  # "b" is still unread: the kernel answers with RST
`,
      [
        String(portOf(server.getsockname())),
      ],
    );
    const [conn] = await server.accept();
    using _conn = conn;
    await conn.sendall(bytes("ab"));
    const done = await peer.finished();
    assert.equal(done.code, 0, done.stderr);
    await rejectsWith(conn.recv(1024), socket.ConnectionResetError, {
      errno: errno.ECONNRESET,
    });
  },
);

Deno.test(
  `when pysocket closes with unread data, the peer reads end of stream and then send() throws BrokenPipeError (Deno sends FIN before the reset)${unreadReset.why}`,
  { ignore: unreadReset.ignore },
  async () => {
    // Python's close() here makes the peer's recv() raise ConnectionResetError
    // (see the test above). Deno shuts down the write half before closing,
    // so the peer first reads end of stream; the reset shows on its next send.
    using pair = await tcpPair();
    await pair.client.sendall(bytes("ab"));
    assert.equal(text(await pair.conn.recv(1)), "a");
    pair.conn.close();
    assert.equal((await pair.client.recv(1024)).length, 0);
    await rejectsWith(pair.client.send(bytes("x")), socket.BrokenPipeError, {
      errno: errno.EPIPE,
    });
  },
);

Deno.test("socket types Deno lacks throw OSError at creation", () => {
  for (
    const type of [socket.SOCK_RAW, socket.SOCK_RDM, socket.SOCK_SEQPACKET]
  ) {
    assert.throws(
      () => socket.socket(socket.AF_INET, type),
      (err) =>
        err instanceof socket.OSError && err.errno === errno.ESOCKTNOSUPPORT,
    );
  }
  assert.throws(
    () => socket.socket(12345),
    (err) => err instanceof socket.OSError && err.errno === errno.EAFNOSUPPORT,
  );
});

Deno.test("bad arguments are TypeError or RangeError, not OSError", async () => {
  using sock = socket.socket();
  assert.throws(() => sock.bind(["127.0.0.1", 65536]), RangeError);
  assert.throws(() => sock.bind(["127.0.0.1", -1]), RangeError);
  // deno-lint-ignore no-explicit-any
  assert.throws(() => sock.bind("127.0.0.1:80" as any), TypeError);
  await assert.rejects(sock.recv(-1), RangeError);
  await assert.rejects(sock.shutdown(7), RangeError);
});
