/**
 * Address helpers compared with python3 on this machine (`inet_*`, byte
 * order, `getaddrinfo`, `gethostbyname`), and `create_connection` /
 * `create_server` on IPv4 and IPv6 loopback. Only `localhost` and numeric
 * addresses are resolved: no query leaves the machine. The C library's
 * answers differ between systems; the tables that hold glibc's run on
 * Linux only and say so elsewhere.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socket from "../../mod.ts";
import { rejectsWith, throwsWith } from "../_support/assert.ts";
import { text } from "../_support/data.ts";
import { portOf, recvExactly } from "../_support/net.ts";
import { needs, notOn, onlyOn } from "../_support/platform.ts";
import { pythonJson } from "../_support/python.ts";

const { AF_INET, AF_INET6, SOCK_STREAM, SOCK_DGRAM, bytes, errno } = socket;

const python = needs("python");
/**
 * Python answers with the C library's functions, and pysocket gives
 * glibc's results and messages: other C libraries differ on the edge
 * cases these tables hold.
 */
const pythonGlibcInet = needs(
  "python",
  onlyOn(["linux"], "compares with glibc's inet_aton, inet_pton and inet_ntop"),
);
const pythonGlibcGetaddrinfo = needs(
  "python",
  onlyOn(["linux"], "compares with glibc's getaddrinfo and its messages"),
);
const pythonPassive = needs(
  "python",
  notOn(["windows"], "Windows' getaddrinfo leaves the protocol 0"),
);

type Case = [op: string, arg: string | number | number[]];

const CASES: Case[] = [
  ...[
    "127.0.0.1",
    "127.1",
    "0x7f.1",
    "0X10.1",
    "0377.0.0.1",
    "4294967295",
    "1.16777215",
    "1.2.65535",
    "255.255.255.255",
    "1.2.3.4 junk",
    "1.2.3.4\n",
    "1.2 3",
    "10.0.0.256",
    "1.2.3.4.5",
    "4294967296",
    "1.2.65536",
    "",
    "1.2.3.",
    "1..2.3",
    "0x",
    "1.0x",
    "1.2.3.0x100",
    "09.1.1.1",
    " 1.2.3.4",
    "localhost",
  ].map((t): Case => ["inet_aton", t]),
  ...[[127, 0, 0, 1], [255, 255, 255, 255], [0, 0, 0, 0], [1, 2, 3], [
    1,
    2,
    3,
    4,
    5,
  ]].map((b): Case => ["inet_ntoa", b]),
  ...[
    "1.2.3.4",
    "0.0.0.0",
    "01.2.3.4",
    "1.2.3",
    "256.1.1.1",
    "1.2.3.4 ",
    "127.1",
  ].map((t): Case => ["inet_pton4", t]),
  ...[
    "::1",
    "::",
    "1::",
    "2001:db8::1",
    "FFFF::",
    "::ffff:1.2.3.4",
    "::1.2.3.4",
    "1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7::",
    "::1:2:3:4:5:6:7",
    "1:2:3:4:5:6:1.2.3.4",
    "1:2:3:4:5::1.2.3.4",
    ":::",
    "1::2::3",
    "fe80::1%eth0",
    "12345::",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7::8",
    "::ffff:1.2.3",
    "::ffff:01.2.3.4",
    ":1::",
    "1::1:",
    "[::1]",
  ].map((t): Case => ["inet_pton6", t]),
  ...[[1, 2, 3, 4], [1, 2, 3]].map((b): Case => ["inet_ntop4", b]),
  ...[
    "00000000000000000000000000000001",
    "00000000000000000000000000000000",
    "00000000000000000000ffff01020304",
    "00000000000000000000000001020304",
    "00000000000000000000ffff00000000",
    "000000000000000000000000ffff0000",
    "0000000000000000ffff000001020304",
    "00000000000000000000000000000100",
    "20010db8000000000000000000000001",
    "00010000000000020000000000000003",
    "00010000000200000003000000040000",
    "00000001000000000000000000000000",
    "ffff0000000000000000000000000000",
    "0001000000000000000100000000ffff",
    "00010002000300040005000600070008",
    "000100020003000400050006000700",
  ].map((h): Case => ["inet_ntop6", h]),
  ...[0, 1, 255, 256, 0x1234, 8888, 65535, 65536, -1].flatMap((
    n,
  ): Case[] => [["htons", n], ["ntohs", n]]),
  ...[0, 1, 0x12345678, 0xffffffff, 3232235777, 2 ** 32, -1].flatMap((
    n,
  ): Case[] => [["htonl", n], ["ntohl", n]]),
];

const hex = (b: Uint8Array) =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
const unhex = (h: string) =>
  new Uint8Array((h.match(/../g) ?? []).map((x) => parseInt(x, 16)));

/** Python's exception class names, as ours are named. */
const PY_CLASS: Record<string, string> = {
  OSError: "OSError",
  ValueError: "ValueError",
  OverflowError: "OverflowError",
};

/** Runs one case here: the result, or `["error", class, message]`. */
function ours([op, arg]: Case): unknown {
  try {
    switch (op) {
      case "inet_aton":
        return hex(socket.inet_aton(arg as string));
      case "inet_ntoa":
        return socket.inet_ntoa(new Uint8Array(arg as number[]));
      case "inet_pton4":
        return hex(socket.inet_pton(AF_INET, arg as string));
      case "inet_pton6":
        return hex(socket.inet_pton(AF_INET6, arg as string));
      case "inet_ntop4":
        return socket.inet_ntop(AF_INET, new Uint8Array(arg as number[]));
      case "inet_ntop6":
        return socket.inet_ntop(AF_INET6, unhex(arg as string));
      case "htons":
        return socket.htons(arg as number);
      case "ntohs":
        return socket.ntohs(arg as number);
      case "htonl":
        return socket.htonl(arg as number);
      case "ntohl":
        return socket.ntohl(arg as number);
    }
  } catch (err) {
    return ["error", (err as Error).name, (err as Error).message];
  }
  throw new Error(`unknown case ${op}`);
}

Deno.test(
  `inet_aton/ntoa/pton/ntop and htons/ntohs/htonl/ntohl give python3's results for a table of inputs${pythonGlibcInet.why}`,
  { ignore: pythonGlibcInet.ignore },
  async () => {
    const python = await pythonJson<unknown[]>(
      "[run(op, arg) for op, arg in CASES]",
      `
CASES = json.loads(${JSON.stringify(JSON.stringify(CASES))})
def run(op, arg):
    try:
        if op == "inet_aton": return socket.inet_aton(arg).hex()
        if op == "inet_ntoa": return socket.inet_ntoa(bytes(arg))
        if op == "inet_pton4": return socket.inet_pton(socket.AF_INET, arg).hex()
        if op == "inet_pton6": return socket.inet_pton(socket.AF_INET6, arg).hex()
        if op == "inet_ntop4": return socket.inet_ntop(socket.AF_INET, bytes(arg))
        if op == "inet_ntop6": return socket.inet_ntop(socket.AF_INET6, bytes.fromhex(arg))
        return getattr(socket, op)(arg)
    except Exception as e:
        return ["error", type(e).__name__, str(e)]
`,
    );
    const mismatches: string[] = [];
    CASES.forEach((c, i) => {
      const mine = ours(c);
      const theirs = python[i];
      const label = `${c[0]}(${JSON.stringify(c[1])})`;
      if (Array.isArray(theirs) && theirs[0] === "error") {
        const [, pyClass, pyMessage] = theirs as string[];
        if (!Array.isArray(mine)) {
          mismatches.push(
            `${label}: python raised ${pyClass}, we gave ${mine}`,
          );
        } else if (mine[1] !== (PY_CLASS[pyClass] ?? pyClass)) {
          mismatches.push(`${label}: python raised ${pyClass}, we ${mine[1]}`);
        } else if (
          pyClass !== "OverflowError" && !mine[2].startsWith(pyMessage)
        ) {
          mismatches.push(
            `${label}: message ${mine[2]} vs python's ${pyMessage}`,
          );
        }
      } else if (JSON.stringify(mine) !== JSON.stringify(theirs)) {
        mismatches.push(
          `${label}: python ${JSON.stringify(theirs)}, we ${
            JSON.stringify(mine)
          }`,
        );
      }
    });
    assert.deepEqual(mismatches, []);
  },
);

Deno.test(
  `getaddrinfo() gives python3's results for localhost and numeric addresses${pythonGlibcGetaddrinfo.why}`,
  { ignore: pythonGlibcGetaddrinfo.ignore },
  async () => {
    const {
      AI_CANONNAME,
      AI_NUMERICHOST,
      AI_PASSIVE,
      IPPROTO_TCP,
      IPPROTO_UDP,
    } = socket;
    const cases: Parameters<typeof socket.getaddrinfo>[] = [
      ["localhost", 80, 0, SOCK_STREAM, 0, 0],
      ["localhost", 80, 0, 0, 0, 0],
      ["localhost", "8080", AF_INET, SOCK_DGRAM, 0, 0],
      ["localhost", 80, AF_INET, SOCK_STREAM, 0, AI_CANONNAME],
      ["localhost", 80, 0, SOCK_STREAM, 0, AI_NUMERICHOST],
      ["127.0.0.1", 443, 0, SOCK_STREAM, 0, 0],
      ["127.0.0.1", null, 0, SOCK_STREAM, 0, 0],
      ["127.0.0.1", 80, 0, 0, IPPROTO_UDP, 0],
      ["127.0.0.1", 80, 0, 0, IPPROTO_TCP, 0],
      // With a port, glibc refuses SOCK_RAW (EAI_SERVICE); pysocket does not.
      ["127.0.0.1", null, 0, socket.SOCK_RAW, IPPROTO_UDP, 0],
      ["127.0.0.1", 80, 0, SOCK_STREAM, IPPROTO_UDP, 0],
      ["127.0.0.1", 80, AF_INET6, SOCK_STREAM, 0, 0],
      ["::1", 443, 0, SOCK_STREAM, 0, 0],
      ["::1", 443, AF_INET6, 0, 0, 0],
      [null, 80, 0, SOCK_STREAM, 0, 0],
      [null, 80, AF_INET, SOCK_STREAM, 0, AI_PASSIVE],
    ];
    const mine: unknown[] = [];
    for (const c of cases) {
      try {
        mine.push(await socket.getaddrinfo(...c));
      } catch (err) {
        assert.ok(err instanceof socket.gaierror, String(err));
        mine.push(["gaierror", err.errno, err.message]);
      }
    }
    const python = await pythonJson<unknown[]>(
      "[run(*c) for c in CASES]",
      `
CASES = json.loads(${JSON.stringify(JSON.stringify(cases))})
def run(*c):
    try:
        return [[int(f), int(t), p, n, list(a)] for f, t, p, n, a in socket.getaddrinfo(*c)]
    except socket.gaierror as e:
        return ["gaierror", e.errno, str(e)]
`,
    );
    cases.forEach((c, i) => {
      const theirs = python[i] as unknown[];
      const label = `getaddrinfo(${JSON.stringify(c)})`;
      if (theirs[0] === "gaierror") {
        const m = mine[i] as [string, number, string];
        assert.equal(m[0], "gaierror", `${label}: python raised gaierror`);
        assert.equal(m[1], theirs[1], `${label}: errno`);
        assert.ok(m[2].startsWith(theirs[2] as string), `${label}: ${m[2]}`);
      } else {
        assert.deepEqual(mine[i], theirs, label);
      }
    });
  },
);

Deno.test(
  `getaddrinfo(null, port, AF_UNSPEC, type, 0, AI_PASSIVE) gives python3's any-addresses (order aside)${pythonPassive.why}`,
  { ignore: pythonPassive.ignore },
  async () => {
    const mine = await socket.getaddrinfo(
      null,
      80,
      0,
      SOCK_STREAM,
      0,
      socket.AI_PASSIVE,
    );
    const python = await pythonJson<unknown[]>(
      `[[int(f), int(t), p, n, list(a)] for f, t, p, n, a in
      socket.getaddrinfo(None, 80, 0, socket.SOCK_STREAM, 0, socket.AI_PASSIVE)]`,
    );
    // glibc lists 0.0.0.0 first here; pysocket lists :: first, as it does for
    // the loopback addresses (where glibc agrees).
    const sorted = (list: unknown[]) =>
      list.map((x) => JSON.stringify(x)).sort();
    assert.deepEqual(sorted(mine), sorted(python));
  },
);

Deno.test(
  `gethostbyname() resolves localhost as python3 does and returns numeric addresses as they are${python.why}`,
  { ignore: python.ignore },
  async () => {
    const python = await pythonJson<string>(
      'socket.gethostbyname("localhost")',
    );
    assert.equal(await socket.gethostbyname("localhost"), python);
    assert.equal(await socket.gethostbyname("127.0.0.1"), "127.0.0.1");
    assert.equal(await socket.gethostbyname("10.1.2.3"), "10.1.2.3");
    await rejectsWith(socket.gethostbyname("::1"), socket.gaierror);
  },
);

Deno.test("create_connection() connects to 127.0.0.1 and to localhost, with the timeout it was given", async () => {
  using server = socket.create_server(["127.0.0.1", 0]);
  const port = portOf(server.getsockname());
  for (const host of ["127.0.0.1", "localhost"]) {
    using client = await socket.create_connection([host, port], 5);
    assert.equal(client.family, AF_INET);
    assert.equal(client.type, SOCK_STREAM);
    assert.equal(client.gettimeout(), 5);
    assert.deepEqual(client.getpeername(), ["127.0.0.1", port]);
    const [conn] = await server.accept();
    using _conn = conn;
    await client.sendall(bytes(host));
    assert.equal(text(await recvExactly(conn, host.length)), host);
  }
  using blocking = await socket.create_connection(["127.0.0.1", port]);
  assert.equal(blocking.gettimeout(), null);
  (await server.accept())[0].close();
});

Deno.test("create_connection() to a closed port throws ConnectionRefusedError", async () => {
  const closed = socket.create_server(["127.0.0.1", 0]);
  const port = portOf(closed.getsockname());
  closed.close();
  await rejectsWith(
    socket.create_connection(["127.0.0.1", port], 2),
    socket.ConnectionRefusedError,
    { errno: errno.ECONNREFUSED },
  );
});

Deno.test(
  `create_server() listens on 127.0.0.1 with SO_REUSEADDR set, as Python's does${python.why}`,
  { ignore: python.ignore },
  async () => {
    using server = socket.create_server(["127.0.0.1", 0], { backlog: 5 });
    assert.equal(server.family, AF_INET);
    const [host, port] = server.getsockname() as [string, number];
    assert.equal(host, "127.0.0.1");
    assert.ok(port > 0);
    const python = await pythonJson<number>(
      "s.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)",
      's = socket.create_server(("127.0.0.1", 0))',
    );
    assert.equal(
      server.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) !== 0,
      python !== 0,
    );
    using client = socket.socket();
    await client.connect(["127.0.0.1", port]);
    const [conn, addr] = await server.accept();
    using _conn = conn;
    assert.deepEqual(addr, client.getsockname());
    throwsWith(
      () => socket.create_server(["127.0.0.1", port]),
      socket.OSError,
      { errno: errno.EADDRINUSE },
    );
  },
);

Deno.test("create_server() with AF_INET6 listens on ::1, and create_connection() reaches it", async () => {
  using server = socket.create_server(["::1", 0], { family: AF_INET6 });
  assert.equal(server.family, AF_INET6);
  const [host, port, flowinfo, scope] = server.getsockname() as number[];
  assert.deepEqual([host, flowinfo, scope], ["::1", 0, 0]);
  using client = await socket.create_connection(["::1", port as number], 5);
  assert.equal(client.family, AF_INET6);
  const [conn, addr] = await server.accept();
  using _conn = conn;
  assert.ok(Array.isArray(addr) && addr.length === 4 && addr[0] === "::1");
  await conn.sendall(bytes("ipv6"));
  assert.equal(text(await recvExactly(client, 4)), "ipv6");
});

Deno.test("create_server() refuses dualstack_ipv6 without AF_INET6, as Python does", () => {
  throwsWith(
    () => socket.create_server(["127.0.0.1", 0], { dualstack_ipv6: true }),
    RangeError,
    { message: /dualstack_ipv6 requires AF_INET6 family/ },
  );
});
