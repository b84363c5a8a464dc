/**
 * `pysocket relay`: 64 MiB through TCP, TLS-terminating and Unix hops
 * byte for byte, a TLS-originating hop, 200 concurrent sessions with their
 * byte counts, half-close in each direction (nc -N and Python's
 * shutdown(SHUT_WR)), a refusing target, and UDP sessions from 50 source
 * ports. Every relay is a real process with exact permission flags.
 *
 * @module
 */

import assert from "node:assert/strict";
import { random, sha256 } from "../_support/data.ts";
import { freePort, udpSocket, waitUntilBound } from "../_support/net.ts";
import { needs } from "../_support/platform.ts";
import { Child, lines, run } from "../_support/process.ts";
import { runPysocket, startServer } from "../_support/pysocket.ts";
import { pythonChild, pythonPeer } from "../_support/python.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { makeCerts } from "../_support/tls_certs.ts";

/** Long enough for 64 MiB through four processes on a loaded machine. */
const LONG_MS = 240_000;

/** Starts `pysocket relay LISTEN TARGET ARGS` and waits for its port or path. */
async function startRelay(
  listen: string,
  target: string,
  args: string[] = [],
  flags: string[] = ["--allow-net=127.0.0.1"],
): Promise<{ relay: Child; port: number }> {
  const { server, port } = await startServer(
    ["relay", listen, target, ...args],
    {
      flags,
      lifetimeMs: LONG_MS,
      listening: /listening on (?:.*:(\d+)|\/.*)\n/,
    },
  );
  return { relay: server, port };
}

/** The `session-ended` JSON events a relay printed so far. */
function sessionsEnded(relay: Child): Record<string, unknown>[] {
  return lines(relay.stdout).map((line) => JSON.parse(line))
    .filter((event) => event.event === "session-ended");
}

/** Reads a whole Deno connection until its end. */
async function readAll(conn: Deno.Conn): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const buffer = new Uint8Array(65536);
  while (true) {
    const n = await conn.read(buffer);
    if (n === null) break;
    chunks.push(buffer.slice(0, n));
    total += n;
  }
  const all = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    all.set(chunk, at);
    at += chunk.length;
  }
  return all;
}

/** Writes all of `data` to a connection, in slices. */
async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.length;) {
    at += await conn.write(data.subarray(at, at + 65536));
  }
}

const py = needs("python", "unix-sockets");

/** A Python sink: reads to the end, answers the SHA-256 and the count. */
const HASH_SINK = `
import hashlib, socket, sys
server = socket.create_server(("127.0.0.1", 0))
print("listening on 127.0.0.1:%d" % server.getsockname()[1], file=sys.stderr, flush=True)
while True:
    conn, _ = server.accept()
    digest, count = hashlib.sha256(), 0
    while True:
        data = conn.recv(65536)
        if not data:
            break
        digest.update(data)
        count += len(data)
    conn.sendall(("%s %d" % (digest.hexdigest(), count)).encode())
    conn.close()
`;

Deno.test(
  `relay: 64 MiB cross TCP, TLS-terminating and Unix hops byte for byte, with the counts of each hop${py.why}`,
  { ignore: py.ignore },
  async () => {
    const certs = await makeCerts();
    using dir = tempDir();
    const path = dir.join("hop.sock");
    await using sink = pythonChild(HASH_SINK, [], { lifetimeMs: LONG_MS });
    const sinkPort = Number(
      (await sink.waitFor("stderr", /listening on .*:(\d+)\n/))[1],
    );
    const unixFlags = [
      `--allow-read=${path}`,
      `--allow-write=${path}`,
      `--allow-net=unix:${path}`,
    ];
    // Unix -> TCP sink.
    const { relay: last } = await startRelay(
      `unix:${path}`,
      `127.0.0.1:${sinkPort}`,
      ["--json"],
      [...unixFlags, `--allow-net=127.0.0.1:${sinkPort}`],
    );
    await using _last = last;
    // TLS terminated -> Unix.
    const { relay: tls, port: tlsPort } = await startRelay(
      "127.0.0.1:0",
      `unix:${path}`,
      ["--tls", "--cert", certs.serverCert, "--key", certs.serverKey, "--json"],
      [
        ...unixFlags,
        "--allow-net=127.0.0.1",
        `--allow-read=${certs.serverCert},${certs.serverKey}`,
      ],
    );
    await using _tls = tls;
    // Plain TCP (the TLS bytes pass unread) -> the TLS relay.
    const { relay: first, port } = await startRelay(
      "127.0.0.1:0",
      `127.0.0.1:${tlsPort}`,
      ["--json"],
    );
    await using _first = first;

    const data = random(64 << 20);
    const conn = await Deno.connectTls({
      hostname: "127.0.0.1",
      port,
      caCerts: [await Deno.readTextFile(certs.caCert)],
    });
    try {
      const [answer] = await Promise.all([
        readAll(conn),
        writeAll(conn, data).then(() => conn.closeWrite()),
      ]);
      assert.equal(
        new TextDecoder().decode(answer),
        `${await sha256(data)} ${data.length}`,
      );
    } finally {
      conn.close();
    }
    const answerLength = 64 + 1 + String(data.length).length;
    for (const relay of [last, tls]) {
      await relay.until("a session-ended event", () => sessionsEnded(relay)[0]);
      const [ended] = sessionsEnded(relay);
      assert.equal(ended.reason, "done", relay.report());
      assert.equal(ended.fromClient, data.length);
      assert.equal(ended.fromTarget, answerLength);
    }
    // The first hop saw the TLS records, more bytes than the data.
    await first.until("a session-ended event", () => sessionsEnded(first)[0]);
    const [outer] = sessionsEnded(first);
    assert.equal(outer.reason, "done");
    assert.ok((outer.fromClient as number) > data.length);
  },
);

Deno.test("relay: a tls: target is verified; a session through it works, an untrusted one ends alone", async () => {
  const certs = await makeCerts();
  const echoArgs = [
    "tcp-server",
    "--stream",
    "--echo",
    "--tls",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
  ];
  const echoFlags = [
    "--allow-net=127.0.0.1",
    `--allow-read=${certs.serverCert},${certs.serverKey},${certs.selfCert},${certs.selfKey}`,
  ];
  const { server: echo, port: echoPort } = await startServer(
    [...echoArgs, "--cert", certs.serverCert, "--key", certs.serverKey],
    { flags: echoFlags },
  );
  await using _echo = echo;
  const { server: untrusted, port: untrustedPort } = await startServer(
    [...echoArgs, "--cert", certs.selfCert, "--key", certs.selfKey],
    { flags: echoFlags },
  );
  await using _untrusted = untrusted;
  const flags = ["--allow-net=127.0.0.1", `--allow-read=${certs.caCert}`];
  const { relay, port } = await startRelay(
    "127.0.0.1:0",
    `tls:127.0.0.1:${echoPort}`,
    ["--ca", certs.caCert, "--json"],
    flags,
  );
  await using _relay = relay;
  const data = random(1 << 20);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const [back] = await Promise.all([
    readAll(conn),
    writeAll(conn, data).then(() => conn.closeWrite()),
  ]);
  conn.close();
  assert.equal(await sha256(back), await sha256(data));
  await relay.until("a session-ended event", () => sessionsEnded(relay)[0]);
  assert.deepEqual(
    { ...sessionsEnded(relay)[0], peer: "" },
    {
      event: "session-ended",
      peer: "",
      target: `127.0.0.1:${echoPort}`,
      fromClient: data.length,
      fromTarget: data.length,
      reason: "done",
    },
  );

  const { relay: wary, port: waryPort } = await startRelay(
    "127.0.0.1:0",
    `tls:127.0.0.1:${untrustedPort}`,
    ["--ca", certs.caCert, "--json"],
    flags,
  );
  await using _wary = wary;
  for (let i = 0; i < 2; i++) {
    const refused = await Deno.connect({
      hostname: "127.0.0.1",
      port: waryPort,
    });
    assert.equal((await readAll(refused)).length, 0);
    refused.close();
  }
  await wary.until(
    "two session-ended events",
    () => sessionsEnded(wary).length === 2,
  );
  for (const ended of sessionsEnded(wary)) {
    assert.equal(ended.reason, "target");
    assert.match(ended.message as string, /certificate/i);
  }
  assert.equal(wary.exited, false);
});

Deno.test("relay: 200 concurrent sessions, each with its own byte counts", async () => {
  const { server: echo, port: echoPort } = await startServer([
    "tcp-server",
    "--stream",
    "--echo",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--max-clients",
    "1000",
  ], { flags: ["--allow-net=127.0.0.1"], lifetimeMs: LONG_MS });
  await using _echo = echo;
  // Options after the arguments.
  const { relay, port } = await startRelay(
    "127.0.0.1:0",
    `127.0.0.1:${echoPort}`,
    ["--json", "--max-clients", "500"],
  );
  await using _relay = relay;
  const count = 200;
  const sizes = Array.from({ length: count }, (_, i) => 1000 + i * 37);
  const conns = await Promise.all(
    sizes.map(() => Deno.connect({ hostname: "127.0.0.1", port })),
  );
  // Every session is open at once before any ends.
  const backs = await Promise.all(conns.map(async (conn, i) => {
    try {
      const data = random(sizes[i]);
      const [back] = await Promise.all([
        readAll(conn),
        writeAll(conn, data).then(() => conn.closeWrite()),
      ]);
      return (await sha256(back)) === (await sha256(data)) ? back.length : -1;
    } finally {
      conn.close();
    }
  }));
  assert.deepEqual(backs, sizes);
  await relay.until(
    `${count} session-ended events`,
    () => sessionsEnded(relay).length === count,
    60_000,
  );
  const local = new Map(
    conns.map((conn, i) => [
      `127.0.0.1:${(conn.localAddr as Deno.NetAddr).port}`,
      sizes[i],
    ]),
  );
  for (const ended of sessionsEnded(relay)) {
    const size = local.get(ended.peer as string);
    assert.equal(ended.reason, "done");
    assert.equal(ended.fromClient, size);
    assert.equal(ended.fromTarget, size);
    local.delete(ended.peer as string);
  }
  assert.equal(local.size, 0);
});

const nc = needs("nc", "python");

/** A Python target that reads to the end, then answers how much it got. */
const COUNT_TARGET = `
import socket, sys
server = socket.create_server(("127.0.0.1", 0))
print("listening on 127.0.0.1:%d" % server.getsockname()[1], file=sys.stderr, flush=True)
conn, _ = server.accept()
total = 0
while True:
    data = conn.recv(65536)
    if not data:
        break
    total += len(data)
conn.sendall(b"got %d\\n" % total)
conn.close()
`;

Deno.test(
  `relay: nc -N's end of input reaches the target as end of stream; the answer sent after it comes back${nc.why}`,
  { ignore: nc.ignore },
  async () => {
    await using target = pythonChild(COUNT_TARGET, []);
    const targetPort = Number(
      (await target.waitFor("stderr", /listening on .*:(\d+)\n/))[1],
    );
    const { relay, port } = await startRelay(
      "127.0.0.1:0",
      `127.0.0.1:${targetPort}`,
    );
    await using _relay = relay;
    const done = await run("nc", ["-N", "127.0.0.1", String(port)], {
      stdin: "hello relay\n",
    });
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, "got 12\n");
    assert.equal((await target.finished()).code, 0);
    await relay.waitFor(
      "stderr",
      /127\.0\.0\.1:\d+ session ended \(12 bytes from the client, 7 from the target\)\n/,
    );
  },
);

/** A Python target that speaks first, ends its side, then reads the client's. */
const SHUTDOWN_TARGET = `
import socket, sys
server = socket.create_server(("127.0.0.1", 0))
print("listening on 127.0.0.1:%d" % server.getsockname()[1], file=sys.stderr, flush=True)
conn, _ = server.accept()
conn.sendall(b"hello from the target")
conn.shutdown(socket.SHUT_WR)
got = b""
while True:
    data = conn.recv(65536)
    if not data:
        break
    got += data
print(got.decode(), flush=True)
conn.close()
`;

/** A Python client that reads to the end first, then answers and ends. */
const LATE_CLIENT = `
import socket, sys
conn = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
got = b""
while True:
    data = conn.recv(65536)
    if not data:
        break
    got += data
print(got.decode(), flush=True)
conn.sendall(b"answer after your end")
conn.shutdown(socket.SHUT_WR)
print(repr(conn.recv(16)), flush=True)
conn.close()
`;

Deno.test(
  `relay: the target's shutdown(SHUT_WR) reaches the client, which still sends after it${py.why}`,
  { ignore: py.ignore },
  async () => {
    await using target = pythonChild(SHUTDOWN_TARGET, []);
    const targetPort = Number(
      (await target.waitFor("stderr", /listening on .*:(\d+)\n/))[1],
    );
    const { relay, port } = await startRelay(
      "127.0.0.1:0",
      `127.0.0.1:${targetPort}`,
    );
    await using _relay = relay;
    await using client = pythonChild(LATE_CLIENT, [String(port)]);
    const done = await client.finished();
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, "hello from the target\nb''\n");
    const heard = await target.finished();
    assert.equal(heard.stdout, "answer after your end\n");
    await relay.waitFor(
      "stderr",
      /session ended \(21 bytes from the client, 21 from the target\)\n/,
    );
  },
);

Deno.test("relay: a refusing target ends each session with one line; the relay keeps serving", async () => {
  const closed = freePort();
  const { relay, port } = await startRelay(
    "127.0.0.1:0",
    `127.0.0.1:${closed}`,
  );
  await using _relay = relay;
  for (let i = 0; i < 3; i++) {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    assert.equal((await readAll(conn)).length, 0);
    conn.close();
  }
  await relay.until(
    "three session-ended lines",
    () => (relay.stderr.match(/session ended/g) ?? []).length === 3,
  );
  assert.match(
    relay.stderr,
    new RegExp(
      `127\\.0\\.0\\.1:\\d+ session ended \\(0 bytes from the client, 0 from the target\\): cannot reach 127\\.0\\.0\\.1:${closed}: connection refused`,
    ),
  );
  assert.equal(relay.exited, false);
  assert.doesNotMatch(relay.stderr, /^\s+at /m);
});

Deno.test("relay: UDP sessions from 50 source ports, each answered, each ended by --idle-timeout with its counts", async () => {
  const { server: echo, port: echoPort } = await startServer(
    ["udp-server", "--echo", "--host", "127.0.0.1", "--port", "0"],
    { flags: ["--unstable-net", "--allow-net=127.0.0.1"] },
  );
  await using _echo = echo;
  const { relay, port } = await startRelay(
    "udp:127.0.0.1:0",
    `udp:127.0.0.1:${echoPort}`,
    ["--idle-timeout", "1", "--json"],
    ["--unstable-net", "--allow-net=127.0.0.1"],
  );
  await using _relay = relay;
  const clients = Array.from({ length: 50 }, () => udpSocket());
  try {
    const to = { transport: "udp" as const, hostname: "127.0.0.1", port };
    const answers = await Promise.all(clients.map(async (client, i) => {
      const message = new TextEncoder().encode(`datagram ${i}`);
      // A datagram may be lost: send again until the answer comes.
      for (let attempt = 0; attempt < 20; attempt++) {
        await client.send(message, to);
        const reply = await Promise.race([
          client.receive(),
          new Promise<null>((resolve) => setTimeout(() => resolve(null), 500)),
        ]);
        if (reply) return new TextDecoder().decode(reply[0]);
      }
      return null;
    }));
    assert.deepEqual(answers, clients.map((_, i) => `datagram ${i}`));
    await relay.until(
      "50 session-ended events",
      () => sessionsEnded(relay).length >= 50,
      30_000,
    );
    const ports = new Set(
      clients.map((c) => `127.0.0.1:${(c.addr as Deno.NetAddr).port}`),
    );
    for (const ended of sessionsEnded(relay)) {
      assert.ok(ports.has(ended.peer as string), ended.peer as string);
      assert.equal(ended.reason, "timeout");
      assert.equal(ended.fromClient, ended.fromTarget);
      assert.ok((ended.fromClient as number) >= "datagram 0".length);
    }
  } finally {
    for (const client of clients) client.close();
  }
});

Deno.test("relay: bad addresses and combinations are one line each, exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [["127.0.0.1:8080"], /missing TARGET/],
    [["8080", "127.0.0.1:80"], /LISTEN must be HOST:PORT/],
    [["127.0.0.1:8080", "127.0.0.1:0"], /port of TARGET/],
    [["tls:127.0.0.1:8080", "127.0.0.1:80"], /LISTEN cannot be tls:/],
    [["udp:127.0.0.1:8080", "127.0.0.1:80"], /both be udp:/],
    [
      ["127.0.0.1:8080", "127.0.0.1:80", "--ca", "x.pem"],
      /--ca is for a tls: TARGET/,
    ],
    [
      ["127.0.0.1:8080", "127.0.0.1:80", "extra"],
      /unexpected argument "extra"/,
    ],
    [
      ["unix:/tmp/x", "127.0.0.1:80", "--deny", "10.0.0.0/8"],
      /do not apply to a unix: LISTEN/,
    ],
  ];
  for (const [args, pattern] of cases) {
    const done = await runPysocket(["relay", ...args]);
    assert.equal(done.code, 2, done.stderr);
    assert.equal(lines(done.stderr).length, 1, done.stderr);
    assert.match(done.stderr, pattern);
  }
});

Deno.test("relay: --allow/--deny refuse a client before any target connection", async () => {
  const { server: echo, port: echoPort } = await startServer(
    ["tcp-server", "--stream", "--echo", "--host", "127.0.0.1", "--port", "0"],
  );
  await using _echo = echo;
  const { relay, port } = await startRelay(
    "127.0.0.1:0",
    `127.0.0.1:${echoPort}`,
    ["--deny", "127.0.0.1"],
  );
  await using _relay = relay;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  assert.equal((await readAll(conn)).length, 0);
  conn.close();
  await relay.waitFor("stderr", /127\.0\.0\.1:\d+ denied: /);
  assert.doesNotMatch(echo.stderr, /connected/);
});

Deno.test("relay: --idle-timeout ends a silent TCP session, closing both sides, with its counts", async () => {
  const { server: echo, port: echoPort } = await startServer(
    ["tcp-server", "--stream", "--echo", "--host", "127.0.0.1", "--port", "0"],
  );
  await using _echo = echo;
  const { relay, port } = await startRelay(
    "127.0.0.1:0",
    `127.0.0.1:${echoPort}`,
    ["--idle-timeout", "0.5"],
  );
  await using _relay = relay;
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  await writeAll(conn, new TextEncoder().encode("once"));
  // The echo comes back, then nothing crosses: the relay ends the session.
  assert.equal(new TextDecoder().decode(await readAll(conn)), "once");
  conn.close();
  await relay.waitFor(
    "stderr",
    /session ended \(4 bytes from the client, 4 from the target\): nothing crossed for 0\.5 s \(--idle-timeout\)\n/,
  );
  await echo.waitFor("stderr", /127\.0\.0\.1 disconnected/);
});

const dante = needs("proc", "python", "danted");

Deno.test(
  `relay --proxy: each session reaches the target through danted (SOCKS5), the relay allowed only its address and the proxy's${dante.why}`,
  { ignore: dante.ignore },
  async () => {
    using dir = tempDir();
    const proxyPort = freePort();
    const conf = dir.join("danted.conf");
    Deno.writeTextFileSync(
      conf,
      `logoutput: stderr
internal: 127.0.0.1 port = ${proxyPort}
external: 127.0.0.1
clientmethod: none
socksmethod: none
user.unprivileged: nobody
client pass { from: 127.0.0.1/32 to: 0.0.0.0/0 }
socks pass { from: 127.0.0.1/32 to: 127.0.0.0/8 }
`,
    );
    await using proxy = new Child("danted", [
      "-f",
      conf,
      "-p",
      dir.join("danted.pid"),
    ]);
    await waitUntilBound(proxyPort, "tcp", proxy);
    await using peer = pythonPeer("upper_peer.py", ["127.0.0.1", "0"]);
    const peerPort = Number(
      (await peer.waitFor("stderr", /listening on .*:(\d+)\n/))[1],
    );
    const port = freePort();
    const args = [
      "relay",
      `127.0.0.1:${port}`,
      `localhost:${peerPort}`,
      "--proxy",
      `127.0.0.1:${proxyPort}`,
      "--proxy-type",
      "socks5",
    ];
    const printed = await runPysocket(["flags", ...args], { flags: [] });
    assert.equal(
      printed.stdout,
      `--allow-net=127.0.0.1:${port},127.0.0.1:${proxyPort} --allow-env=PYSOCKET_PROXY_AUTH\n`,
    );
    const { relay } = await startRelay(args[1], args[2], args.slice(3), [
      "--no-config",
      ...printed.stdout.trim().split(" "),
    ]);
    await using _relay = relay;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const [back] = await Promise.all([
      readAll(conn),
      writeAll(conn, new TextEncoder().encode("through socks\n")).then(() =>
        conn.closeWrite()
      ),
    ]);
    conn.close();
    assert.equal(new TextDecoder().decode(back), "banner\nTHROUGH SOCKS\n");
    await peer.waitFor("stdout", /got b'through socks\\n'/);
    await relay.waitFor(
      "stderr",
      /session ended \(14 bytes from the client, 21 from the target\)\n/,
    );
  },
);

Deno.test("relay --max-clients: a client past the limit is refused by the engine while a session is open; the next one is served after", async () => {
  const { server: echo, port: echoPort } = await startServer(
    ["tcp-server", "--stream", "--echo", "--host", "127.0.0.1", "--port", "0"],
  );
  await using _echo = echo;
  const { relay, port } = await startRelay(
    "127.0.0.1:0",
    `127.0.0.1:${echoPort}`,
    ["--max-clients", "1"],
  );
  await using _relay = relay;
  const first = await Deno.connect({ hostname: "127.0.0.1", port });
  await writeAll(first, new TextEncoder().encode("first"));
  const buffer = new Uint8Array(16);
  assert.equal(await first.read(buffer), 5);
  const second = await Deno.connect({ hostname: "127.0.0.1", port });
  assert.equal((await readAll(second)).length, 0);
  second.close();
  await relay.waitFor(
    "stderr",
    /127\.0\.0\.1:\d+ refused: 1 clients already \(--max-clients 1\)\n/,
  );
  await first.closeWrite();
  assert.equal((await readAll(first)).length, 0);
  first.close();
  await relay.waitFor("stderr", /session ended \(5 bytes from the client, 5/);
  const third = await Deno.connect({ hostname: "127.0.0.1", port });
  const [back] = await Promise.all([
    readAll(third),
    writeAll(third, new TextEncoder().encode("third")).then(() =>
      third.closeWrite()
    ),
  ]);
  third.close();
  assert.equal(new TextDecoder().decode(back), "third");
});
