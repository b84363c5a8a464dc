/**
 * Faults the servers must survive while serving everyone else: a client
 * that resets mid-line, a silent (half-open) connection, a client that
 * never reads, 10 MB without a newline, floods of empty lines and empty
 * datagrams, invalid UTF-8 and terminal escapes, and processes killed
 * mid-session. Memory is read from /proc where there is one (Linux); on
 * other systems the memory bounds go unchecked and the rest still runs.
 *
 * @module
 */

import assert from "node:assert/strict";
import { LinePeer } from "../_support/line_peer.ts";
import { needs } from "../_support/platform.ts";
import { type Child, rssOf } from "../_support/process.ts";
import { listeningPort, pysocket } from "../_support/pysocket.ts";
import { pythonPeer, runPython } from "../_support/python.ts";

const WELCOME = /^\* welcome, you are (127\.0\.0\.1:\d+);/;
const MiB = 1 << 20;

function room(args: string[] = []): Child {
  return pysocket([
    "tcp-server",
    "--room",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    ...args,
  ]);
}

/** Two clients that can still talk: the proof that the room goes on. */
async function stillChatting(port: number): Promise<void> {
  await using a = await LinePeer.connect(port);
  const name = (await a.line(WELCOME))[1];
  await using b = await LinePeer.connect(port);
  await b.line(WELCOME);
  await a.send("still here\n");
  await b.line(`${name}: still here`);
}

const py = needs("python");

Deno.test(
  `a client that resets mid-line is reported; its unfinished line is dropped; the room goes on${py.why}`,
  {
    ignore: py.ignore,
  },
  async () => {
    await using server = room();
    const port = await listeningPort(server);
    await using watcher = await LinePeer.connect(port);
    await watcher.line(WELCOME);
    await using peer = pythonPeer("raw_peer.py", [
      "127.0.0.1",
      String(port),
      "recv",
      "text:first line\n",
      "sleep:0.2",
      "text:half a li",
      "reset",
    ]);
    await peer.finished();
    const name = (await watcher.line(/^(127\.0\.0\.1:\d+): first line$/))[1];
    await watcher.line(`* ${name} left`);
    await server.waitFor("stderr", `${name} left: the connection was reset\n`);
    assert.doesNotMatch(watcher.text + server.stdout, /half a li/);
    await stillChatting(port);
  },
);

Deno.test("a silent (half-open) connection is closed by --idle-timeout, with a notice", async () => {
  await using server = room(["--idle-timeout", "0.5"]);
  const port = await listeningPort(server);
  await using silent = await LinePeer.connect(port);
  const name = (await silent.line(WELCOME))[1];
  await silent.line("* disconnected: no message for 0.5 s (--idle-timeout)");
  assert.equal(await silent.end(), "closed");
  await server.waitFor(
    "stderr",
    `${name} left: no message for 0.5 s (--idle-timeout)\n`,
  );
  await stillChatting(port);
});

Deno.test("a client that never reads is disconnected; the server's memory stays bounded", async () => {
  await using server = room();
  const port = await listeningPort(server);
  // Connected, never reading.
  await using _stuck = await LinePeer.connect(port, { read: false });
  await using watcher = await LinePeer.connect(port);
  await watcher.line(WELCOME);
  await using sender = await LinePeer.connect(port);
  const name = (await sender.line(WELCOME))[1];
  await watcher.line(`* ${name} joined`);
  const before = await rssOf(server.pid);

  // 256 MiB of lines: without a bound, most of it would wait for `stuck`.
  // With the bound, RSS still moves by tens of MiB (garbage not yet
  // collected: 16 to 53 MiB seen), so the data must dwarf that.
  // The sender goes at the pace of the reading client, 8 lines (512 KiB)
  // ahead at most, as a chat does: a reader that keeps up is never dropped,
  // while the one that never reads falls behind for good.
  const LINES = 4096;
  const AHEAD = 8;
  const perLine = name.length + 2 + 65536;
  const line = new TextEncoder().encode("x".repeat(65535) + "\n");
  for (let i = 0; i < LINES; i++) {
    await sender.send(line);
    if (i % AHEAD === AHEAD - 1) {
      await watcher.until(
        `line ${i + 1}`,
        () => watcher.bytes >= (i + 1 - AHEAD) * perLine,
        30_000,
      );
    }
  }
  await watcher.until(
    "every line",
    () => watcher.bytes >= LINES * perLine,
    30_000,
  );
  await server.waitFor(
    "stderr",
    /127\.0\.0\.1:\d+ left: more than 1048576 bytes waiting \(it does not read\)\n/,
  );
  const after = await rssOf(server.pid);
  if (Deno.env.get("PYSOCKET_DEBUG_RSS")) console.log({ before, after });
  if (before !== null && after !== null) {
    assert.ok(
      after - before < 128 * MiB,
      `RSS grew by ${((after - before) / MiB).toFixed(1)} MiB`,
    );
  }
  await stillChatting(port);
});

Deno.test("10 MB without a newline: the sender is cut off at --max-message, memory bounded", async () => {
  for (
    const [args, limit] of [[[], 65536], [
      ["--max-message", "1K"],
      1024,
    ]] as const
  ) {
    await using server = room([...args]);
    const port = await listeningPort(server);
    await using watcher = await LinePeer.connect(port);
    await watcher.line(WELCOME);
    const before = await rssOf(server.pid);
    await using flood = await LinePeer.connect(port);
    const name = (await flood.line(WELCOME))[1];
    if (limit === 1024) {
      // Just under the limit is fine.
      await flood.send("y".repeat(1024) + "\n");
      await watcher.line(`${name}: ${"y".repeat(1024)}`);
    }
    const chunk = new Uint8Array(MiB).fill(0x61);
    try {
      for (let i = 0; i < 10; i++) await flood.send(chunk);
    } catch {
      // The server closed the connection: expected.
    }
    await server.waitFor(
      "stderr",
      `${name} left: sent more than ${limit} bytes without a newline or a pause (--max-message)\n`,
    );
    await watcher.line(`* ${name} left`);
    const after = await rssOf(server.pid);
    if (before !== null && after !== null) {
      assert.ok(after - before < 10 * MiB, `RSS grew by ${after - before}`);
    }
    // At most --max-message bytes of it were ever relayed (counted in the
    // flooder's lines only: the room's own lines have letters "a" too).
    const relayed = watcher.text.split("\n")
      .filter((line) => line.startsWith(`${name}: a`))
      .reduce((sum, line) => sum + line.length - name.length - 2, 0);
    assert.ok(relayed <= limit, `${relayed} bytes relayed, limit ${limit}`);
    await stillChatting(port);
  }
});

Deno.test("a flood of empty lines relays nothing", async () => {
  await using server = room();
  const port = await listeningPort(server);
  await using watcher = await LinePeer.connect(port);
  await watcher.line(WELCOME);
  await using flood = await LinePeer.connect(port);
  const name = (await flood.line(WELCOME))[1];
  await flood.send("\n".repeat(MiB) + "\r\n".repeat(1000) + "end\n");
  await watcher.line(`${name}: end`);
  assert.deepEqual(watcher.lines.slice(1), [
    `* ${name} joined`,
    `${name}: end`,
  ]);
  await server.waitFor("stdout", `${name}: end\n`);
  assert.equal(server.stdout, `${name}: end\n`);
});

Deno.test(
  `a flood of empty datagrams does not stop the UDP server answering${py.why}`,
  {
    ignore: py.ignore,
  },
  async () => {
    await using server = pysocket([
      "udp-server",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--echo",
    ]);
    const port = await listeningPort(server);
    const before = await rssOf(server.pid);
    const { stdout } = await runPython(
      `import socket, time
flood = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
flood.bind(("127.0.0.1", 0))  # Tests never listen on the wildcard.
for _ in range(20000):
    flood.sendto(b"", ("127.0.0.1", ${port}))
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(0.5)
for attempt in range(20):
    s.sendto(b"ping", ("127.0.0.1", ${port}))
    try:
        print(s.recv(100).decode())
        break
    except socket.timeout:
        pass`,
      [],
      { timeoutMs: 30_000 },
    );
    assert.equal(stdout.trim(), "ping");
    await server.waitFor("stdout", "client>ping\n");
    const after = await rssOf(server.pid);
    if (before !== null && after !== null) {
      assert.ok(after - before < 30 * MiB, `RSS grew by ${after - before}`);
    }
  },
);

Deno.test("invalid UTF-8 and terminal escapes never reach an output or a peer raw", async () => {
  await using server = room(["--json"]);
  const port = await listeningPort(server);
  await using watcher = await LinePeer.connect(port);
  await watcher.line(WELCOME);
  await using evil = await LinePeer.connect(port);
  const name = (await evil.line(WELCOME))[1];
  const nasty = new Uint8Array([
    ...new TextEncoder().encode("\x1b[2J\x1b]0;pwned\x07 "),
    0xff,
    0xfe,
    0xc0,
    0x20,
    ...new TextEncoder().encode("\u009b31m \u202eevil\u202c \r end\n"),
  ]);
  await evil.send(nasty);
  await evil.send("/nick \x1b[31mred\n");
  const relayed = await watcher.line(/^.* end$/);
  assert.equal(
    relayed[0],
    `${name}: \\x1b[2J\\x1b]0;pwned\\x07 \ufffd\ufffd\ufffd \\x9b31m \\u202eevil\\u202c \\r end`,
  );
  await evil.line(/^\* a name is/);
  await server.waitFor("stdout", /"event":"message"/);
  for (
    const [what, text] of [
      ["stdout", server.stdout],
      ["stderr", server.stderr],
      ["the other client", watcher.text],
    ]
  ) {
    assert.doesNotMatch(
      text,
      // deno-lint-ignore no-control-regex
      /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e]/,
      what,
    );
  }
  const event = JSON.parse(
    server.stdout.split("\n").find((line) => line.includes('"message"'))!,
  );
  assert.equal(event.text, relayed[0].slice(name.length + 2));
});

Deno.test(
  `a client killed mid-session leaves; the room keeps serving the others${py.why}`,
  {
    ignore: py.ignore,
  },
  async () => {
    await using server = room();
    const port = await listeningPort(server);
    await using watcher = await LinePeer.connect(port);
    await watcher.line(WELCOME);
    await using victim = pythonPeer("tcp_client.py", [
      "127.0.0.1",
      String(port),
    ]);
    const name =
      (await victim.waitFor("stdout", /you are (127\.0\.0\.1:\d+);/))[1];
    await victim.write("before the kill\n");
    await watcher.line(`${name}: before the kill`);
    victim.kill("SIGKILL");
    await watcher.line(`* ${name} left`);
    await server.waitFor("stderr", new RegExp(`${name} left: `));
    await stillChatting(port);
  },
);

Deno.test("the room killed mid-session: our client says so in one line and exits 1", async () => {
  const server = room();
  const port = await listeningPort(server);
  await using client = pysocket(["tcp-client", "--port", String(port)]);
  await client.waitFor("stdout", /server>\* welcome/);
  await client.write("hello\n");
  await client.waitFor("stdout", /server>127\.0\.0\.1:\d+: hello\n/);
  server.kill("SIGKILL");
  await server[Symbol.asyncDispose]();
  const done = await client.finished();
  assert.equal(done.code, 1);
  assert.match(
    done.stderr,
    /^pysocket tcp-client: the server at 127\.0\.0\.1:\d+ (closed|reset) the connection\n$/,
  );
});
