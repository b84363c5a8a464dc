/**
 * Python's exception classes and numbers: the hierarchy, the aliases, the
 * errno and socket constants compared with python3's on this machine; real
 * refused and reset connections arriving as Python's errors, and a client
 * reset before `accept()` skipped; bad arguments and impossible addresses
 * (a long AF_UNIX path, a directory, a NUL in a host, port 0, sizes and
 * timeouts out of range) raising Python's errors, never a raw JavaScript
 * one.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socket from "../../mod.ts";
import {
  type ErrorClass,
  rejectsWith,
  throwsWith,
} from "../_support/assert.ts";
import { text } from "../_support/data.ts";
import { freePort, portOf, recvExactly, tcpPair } from "../_support/net.ts";
import { needs, notOn, onlyOn } from "../_support/platform.ts";
import { pythonChild, pythonJson, runPython } from "../_support/python.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { sleep } from "../_support/wait.ts";

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
/**
 * pysocket refuses port 0 itself; Python reports the kernel's answer to a
 * connect there, which is Linux's ECONNREFUSED.
 */
const pythonPortZero = needs(
  "python",
  onlyOn(["linux"], "compares with Linux's answer to a connect to port 0"),
);

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

Deno.test(
  `a client that resets its connection (SO_LINGER 0) before accept() is skipped: accept() returns the next client${python.why}`,
  { ignore: python.ignore },
  async () => {
    using server = socket.socket();
    server.bind(["127.0.0.1", 0]);
    server.listen();
    server.settimeout(2);
    const reset = await runPython(
      `
import socket, struct, sys
sk = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
sk.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
sk.close()
print("reset")
`,
      [String(portOf(server.getsockname()))],
    );
    assert.equal(reset.code, 0, reset.stderr);
    assert.equal(reset.stdout, "reset\n");
    // The kernel has the reset once close() returned; a moment more for
    // the listener's queue to show it.
    await sleep(20);
    using good = socket.socket();
    await good.connect(server.getsockname());
    await good.sendall(bytes("good"));
    const [conn, addr] = await server.accept();
    using _conn = conn;
    assert.deepEqual(addr, good.getsockname());
    assert.equal(text(await recvExactly(conn, 4)), "good");
  },
);

// Bad arguments and impossible addresses: Python's errors, never a raw
// JavaScript one.

Deno.test(
  `an AF_UNIX path too long for the OS throws OSError "AF_UNIX path too long" from bind() and connect(), as python3 does${pythonAfUnix.why}`,
  { ignore: pythonAfUnix.ignore },
  async () => {
    const path = `/tmp/${"x".repeat(200)}.sock`;
    const python = await pythonJson<string[]>(
      "[message(s.bind), message(s.connect)]",
      `
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
def message(call):
    try:
        call(${JSON.stringify(path)})
    except OSError as e:
        return [type(e).__name__, e.errno, str(e)]
`,
    );
    assert.deepEqual(python, [
      ["OSError", null, "AF_UNIX path too long"],
      ["OSError", null, "AF_UNIX path too long"],
    ]);
    using server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM);
    const bound = throwsWith(() => server.bind(path), socket.OSError, {
      errno: null,
      message: /^AF_UNIX path too long\b/,
    }, "bind()");
    assert.equal(bound.constructor, socket.OSError);
    using client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM);
    const connected = await rejectsWith(client.connect(path), socket.OSError, {
      errno: null,
      message: /^AF_UNIX path too long\b/,
    }, "connect()");
    assert.equal(connected.constructor, socket.OSError);
  },
);

Deno.test(
  `binding an AF_UNIX socket to a directory throws OSError EADDRINUSE, as python3 does, and the message says it is a directory${pythonAfUnix.why}`,
  { ignore: pythonAfUnix.ignore },
  async () => {
    using dir = tempDir();
    const python = await pythonJson<number>(
      "code",
      `
try:
    socket.socket(socket.AF_UNIX, socket.SOCK_STREAM).bind(${
        JSON.stringify(dir.path)
      })
except OSError as e:
    code = e.errno
`,
    );
    assert.equal(python, errno.EADDRINUSE);
    using sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM);
    const err = throwsWith(() => sock.bind(dir.path), socket.OSError, {
      errno: errno.EADDRINUSE,
    });
    assert.match(err.message, /it is a directory/);
    assert.doesNotMatch(err.message, /port/);
  },
);

Deno.test("connect([]) throws TypeError naming the address shape it wants", async () => {
  using sock = socket.socket();
  // deno-lint-ignore no-explicit-any
  const err = await rejectsWith(sock.connect([] as any), TypeError);
  assert.match(err.message, /AF_INET address must be \[host, port\]/);
  using six = socket.socket(socket.AF_INET6);
  // deno-lint-ignore no-explicit-any
  const err6 = await rejectsWith(six.connect([] as any), TypeError);
  assert.match(err6.message, /AF_INET6 address must be/);
});

Deno.test("recv(2**53) on a connected socket returns the bytes waiting instead of failing to allocate", async () => {
  using pair = await tcpPair();
  await pair.client.sendall(bytes("data"));
  let got = "";
  while (got.length < 4) {
    const chunk = await pair.conn.recv(2 ** 53);
    assert.notEqual(chunk.length, 0, "end of stream");
    got += text(chunk);
  }
  assert.equal(got, "data");
});

Deno.test(
  `create_connection() to port 0 throws ConnectionRefusedError with errno ECONNREFUSED, as python3 does${pythonPortZero.why}`,
  { ignore: pythonPortZero.ignore },
  async () => {
    const python = await pythonJson<[string, number]>(
      "result",
      `
try:
    socket.create_connection(("127.0.0.1", 0), timeout=2)
except OSError as e:
    result = [type(e).__name__, e.errno]
`,
    );
    assert.deepEqual(python, ["ConnectionRefusedError", errno.ECONNREFUSED]);
    await rejectsWith(
      socket.create_connection(["127.0.0.1", 0], 2),
      socket.ConnectionRefusedError,
      { errno: errno.ECONNREFUSED },
    );
  },
);

Deno.test("a host with a NUL character throws ValueError from create_connection(), getaddrinfo() and connect(), before any lookup", async () => {
  const host = "local\0host";
  await rejectsWith(
    socket.create_connection([host, 80], 2),
    socket.ValueError,
    { message: /embedded null character/ },
    "create_connection()",
  );
  await rejectsWith(
    socket.getaddrinfo(host, 80),
    socket.ValueError,
    { message: /embedded null character/ },
    "getaddrinfo()",
  );
  using sock = socket.socket();
  await rejectsWith(
    sock.connect([host, 80]),
    socket.ValueError,
    { message: /embedded null character/ },
    "connect()",
  );
});

Deno.test(
  `gethostbyname("") is "0.0.0.0", as in python3${python.why}`,
  { ignore: python.ignore },
  async () => {
    const python = await pythonJson<string>('socket.gethostbyname("")');
    assert.equal(python, "0.0.0.0");
    assert.equal(await socket.gethostbyname(""), python);
  },
);

Deno.test(
  `bad sizes, ports and timeouts throw ValueError or OverflowError (RangeErrors) where python3 raises them${python.why}`,
  { ignore: python.ignore },
  async () => {
    using pair = await tcpPair();
    const { conn } = pair;
    const ours: Record<string, () => unknown> = {
      "recv(-1)": () => conn.recv(-1),
      "recvfrom(-1)": () => conn.recvfrom(-1),
      "recv_into(buf, -1)": () => conn.recv_into(new Uint8Array(4), -1),
      "bind port 70000": () => socket.socket().bind(["127.0.0.1", 70000]),
      "connect port 70000": () => socket.socket().connect(["127.0.0.1", 70000]),
      "settimeout(-1)": () => socket.socket().settimeout(-1),
      "settimeout(Infinity)": () => socket.socket().settimeout(Infinity),
      "settimeout(1e7)": () => socket.socket().settimeout(1e7),
    };
    const python = await pythonJson<Record<string, string>>(
      "{name: outcome(call) for name, call in CASES.items()}",
      `
srv = socket.socket()
srv.bind(("127.0.0.1", 0))
srv.listen()
conn = socket.create_connection(srv.getsockname())
def outcome(call):
    try:
        call()
        return "ok"
    except Exception as e:
        return type(e).__name__
CASES = {
    "recv(-1)": lambda: conn.recv(-1),
    "recvfrom(-1)": lambda: conn.recvfrom(-1),
    "recv_into(buf, -1)": lambda: conn.recv_into(bytearray(4), -1),
    "bind port 70000": lambda: socket.socket().bind(("127.0.0.1", 70000)),
    "connect port 70000": lambda: socket.socket().connect(("127.0.0.1", 70000)),
    "settimeout(-1)": lambda: socket.socket().settimeout(-1),
    "settimeout(Infinity)": lambda: socket.socket().settimeout(float("inf")),
    "settimeout(1e7)": lambda: socket.socket().settimeout(1e7),
}
`,
    );
    const classes: Record<string, ErrorClass<RangeError>> = {
      ValueError: socket.ValueError,
      OverflowError: socket.OverflowError,
    };
    const mine: Record<string, string> = {};
    for (const [name, call] of Object.entries(ours)) {
      try {
        await call();
        mine[name] = "ok";
      } catch (err) {
        const expected = classes[python[name]];
        mine[name] = expected && err instanceof expected
          ? python[name]
          : `${(err as Error).constructor.name}: ${(err as Error).message}`;
      }
    }
    assert.deepEqual(mine, python);
    assert.ok(new socket.ValueError() instanceof RangeError);
    assert.ok(new socket.OverflowError() instanceof RangeError);
    using sock = socket.socket();
    sock.settimeout(1e7);
    assert.equal(sock.gettimeout(), 1e7);
  },
);
