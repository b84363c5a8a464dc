/**
 * `pysocket tcp-server --room` with real peers: our tcp-client, the
 * tutorial's Python client and OpenBSD nc at once; framing of lines and
 * of turn-taking messages; /nick, /who, exit; --max-clients; --json; and
 * the room over TLS with ncat --ssl and our tcp-client --tls.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Child } from "../_support/process.ts";
import {
  DEFAULT_FLAGS,
  listeningPort,
  pysocket,
  type PysocketOptions,
} from "../_support/pysocket.ts";
import { needs } from "../_support/platform.ts";
import { pythonPeer } from "../_support/python.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { sleep } from "../_support/wait.ts";
import { LinePeer } from "../_support/line_peer.ts";
import { makeCerts } from "../_support/tls_certs.ts";

const WELCOME =
  /^\* welcome, you are (127\.0\.0\.1:\d+); (\d+) others? here; \/nick NAME renames you, \/who lists everyone, exit leaves$/;

function room(args: string[] = [], options: PysocketOptions = {}): Child {
  return pysocket([
    "tcp-server",
    "--room",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    ...args,
  ], options);
}

/** Asserts that `parts` appear in `text` in this order. */
function inOrder(text: string, parts: string[], what: string): void {
  let at = 0;
  for (const part of parts) {
    const found = text.indexOf(part, at);
    assert.ok(
      found !== -1,
      `${what}: ${
        JSON.stringify(part)
      } missing after offset ${at} in:\n${text}`,
    );
    at = found + part.length;
  }
}

const peers = needs("python", "nc");

Deno.test(
  `room: our tcp-client, the tutorial's python client and nc chat at once, in order${peers.why}`,
  {
    ignore: peers.ignore,
  },
  async () => {
    await using server = room();
    const port = await listeningPort(server);

    await using nc = new Child("nc", ["127.0.0.1", String(port)]);
    const a = (await nc.waitFor(
      "stdout",
      /\* welcome, you are (127\.0\.0\.1:\d+); 0 others/,
    ))[1];

    await using py = pythonPeer("tcp_client.py", ["127.0.0.1", String(port)]);
    const b = (await py.waitFor(
      "stdout",
      /server>\* welcome, you are (127\.0\.0\.1:\d+); 1 other here/,
    ))[1];
    await nc.waitFor("stdout", `* ${b} joined\n`);

    await using ours = pysocket(["tcp-client", "--port", String(port)]);
    const c = (await ours.waitFor(
      "stdout",
      /server>\* welcome, you are (127\.0\.0\.1:\d+); 2 others here/,
    ))[1];
    await nc.waitFor("stdout", `* ${c} joined\n`);

    await py.write("/nick py\n");
    await nc.waitFor("stdout", `* ${b} is now py\n`);
    await py.write("hi from python\n");
    await nc.waitFor("stdout", "py: hi from python\n");
    await nc.write("hello from nc\nsecond line\n");
    await server.waitFor("stdout", `${a}: second line\n`);
    await ours.write("/nick deno\n");
    await nc.waitFor("stdout", `* ${c} is now deno\n`);
    await ours.write("from deno\n");
    await nc.waitFor("stdout", "deno: from deno\n");
    await server.write("hello everyone\n");
    await nc.waitFor("stdout", "server: hello everyone\n");
    await py.write("exit\n");
    await nc.waitFor("stdout", "* py left\n");
    await ours.closeStdin(); // Our client sends exit at end of input.
    assert.equal((await ours.finished()).code, 0);
    await nc.waitFor("stdout", "* deno left\n");

    // nc saw everything, exactly once, in the order the room sent it.
    assert.deepEqual(nc.stdout.split("\n").slice(1), [
      `* ${b} joined`,
      `* ${c} joined`,
      `* ${b} is now py`,
      "py: hi from python",
      `* ${c} is now deno`,
      "deno: from deno",
      "server: hello everyone",
      "* py left",
      "* deno left",
      "",
    ]);
    // The turn-taking clients read one reply per message they send.
    inOrder(py.stdout, [
      `* ${c} joined\n`,
      `* ${b} is now py\n`,
    ], "python client");
    assert.equal((await py.finished()).code, 0);
    inOrder(ours.stdout, [
      `server>* ${b} is now py\n`,
      "server>py: hi from python\n",
    ], "tcp-client");
    // The operator sees every message once, and the comings and goings.
    assert.deepEqual(server.stdout.split("\n"), [
      "py: hi from python",
      `${a}: hello from nc`,
      `${a}: second line`,
      "deno: from deno",
      "",
    ]);
    inOrder(server.stderr, [
      `${a} joined\n`,
      `${b} joined\n`,
      `${c} joined\n`,
      `${b} is now py\n`,
      `${c} is now deno\n`,
      // The tutorial's client closes with broadcasts still unread, so its
      // OS may reset the connection before the room reads its `exit`: the
      // room then says so ("py left: the connection was reset").
      "py left",
      // Ours shuts down sending and drains before closing: a clean leave.
      "deno left\n",
    ], "server stderr");
  },
);

Deno.test("room: a line-based peer's lines are framed at newlines across reads, an unfinished one at a pause", async () => {
  await using server = room();
  const port = await listeningPort(server);
  await using watcher = await LinePeer.connect(port);
  await watcher.line(WELCOME);
  await using peer = await LinePeer.connect(port);
  const name = (await peer.line(WELCOME))[1];
  await watcher.line(`* ${name} joined`);

  await peer.send("first\npar");
  await sleep(20);
  await peer.send("tial line\none\r\ntwo\n\n\r\nthr");
  await sleep(20);
  await peer.send("ee\n");
  await watcher.line(`${name}: three`);
  await peer.send("no newline");
  await watcher.line(`${name}: no newline`);
  assert.deepEqual(watcher.lines.slice(2), [
    `${name}: first`,
    `${name}: partial line`,
    `${name}: one`,
    `${name}: two`,
    `${name}: three`,
    `${name}: no newline`,
  ]);
  // A line-based peer does not get its own lines back.
  await peer.send("/who\n");
  await peer.line(/^\* here: /);
  assert.deepEqual(peer.lines.slice(1, -1), []);
});

Deno.test("room: a turn-taking peer's reads are its messages, each sent back to it in turn", async () => {
  await using server = room();
  const port = await listeningPort(server);
  await using watcher = await LinePeer.connect(port);
  await watcher.line(WELCOME);
  await using peer = await LinePeer.connect(port);
  const name = (await peer.line(WELCOME))[1];
  await watcher.line(`* ${name} joined`);
  for (const text of ["one message", "another", "exit"]) {
    await peer.send(text);
    if (text !== "exit") await peer.line(`${name}: ${text}`);
  }
  await watcher.line(`* ${name} left`);
  assert.deepEqual(watcher.lines.slice(2), [
    `${name}: one message`,
    `${name}: another`,
    `* ${name} left`,
  ]);
  // A message longer than one read is joined again.
  await using big = await LinePeer.connect(port);
  const bigName = (await big.line(WELCOME))[1];
  await big.send("z".repeat(30_000));
  await watcher.line(`${bigName}: ${"z".repeat(30_000)}`);
});

Deno.test("room: our tcp-client shows messages that come while it waits for a line, without sending anything", async () => {
  await using server = room();
  const port = await listeningPort(server);
  await using ours = pysocket(["tcp-client", "--port", String(port)]);
  const name = (await ours.waitFor(
    "stdout",
    /server>\* welcome, you are (127\.0\.0\.1:\d+); 0 others here/,
  ))[1];
  // Nothing is typed: stdin stays open and empty from here on.
  await using other = await LinePeer.connect(port);
  const otherName = (await other.line(WELCOME))[1];
  await ours.waitFor("stdout", `server>* ${otherName} joined\n`);
  await other.send("first\nsecond\n");
  await ours.waitFor("stdout", `server>${otherName}: second\n`);
  await server.write("from the operator\n");
  await ours.waitFor("stdout", "server>server: from the operator\n");
  assert.deepEqual(ours.stdout.split("\n").slice(1), [
    `server>* ${otherName} joined`,
    `server>${otherName}: first`,
    `server>${otherName}: second`,
    "server>server: from the operator",
    "",
  ]);
  // It sent nothing: the room never heard from it.
  assert.doesNotMatch(server.stdout, new RegExp(`^${name}:`, "m"));
  await ours.write("now me\n");
  await other.line(`${name}: now me`);
  await ours.closeStdin();
  assert.equal((await ours.finished()).code, 0);
  await other.line(`* ${name} left`);
});

Deno.test("room: /nick checks names, /who lists them, unknown commands are explained, exit leaves", async () => {
  await using server = room(["--json"]);
  const port = await listeningPort(server);
  await using alice = await LinePeer.connect(port);
  await alice.line(WELCOME);
  await using bob = await LinePeer.connect(port);
  const bobAddress = (await bob.line(WELCOME))[1];

  await alice.send("/nick alice\n");
  await bob.line(/is now alice$/);
  for (
    const [command, reply] of [
      ["/nick ALICE", "* the name ALICE is taken"],
      [
        "/nick two words",
        "* unknown command /nick: try /nick NAME, /who or exit",
      ],
      [
        "/nick b@d",
        `* a name is 1 to 32 letters, digits, '.', '_' or '-', and not "server"`,
      ],
      [
        "/nick Server",
        `* a name is 1 to 32 letters, digits, '.', '_' or '-', and not "server"`,
      ],
      [
        "/nick " + "x".repeat(33),
        `* a name is 1 to 32 letters, digits, '.', '_' or '-', and not "server"`,
      ],
      ["/bogus", "* unknown command /bogus: try /nick NAME, /who or exit"],
      ["/who", `* here: alice, ${bobAddress}`],
    ]
  ) {
    await bob.send(command + "\n");
    await bob.line(reply);
  }
  await bob.send("/nick bob\nexit\n");
  await alice.line("* bob left");
  assert.equal(await bob.end(), "closed");
  assert.deepEqual(alice.lines.slice(1), [
    `* ${bobAddress} joined`,
    `* ${alice.lines[0].match(WELCOME)![1]} is now alice`,
    `* ${bobAddress} is now bob`,
    "* bob left",
  ]);
  // --json: one event per line on stdout (written as it happens, so wait
  // for the last one).
  await server.waitFor("stdout", /"event":"left"/);
  const events = server.stdout.trim().split("\n").map((line) =>
    JSON.parse(line)
  );
  assert.deepEqual(events.map((e) => e.event), [
    "listening",
    "joined",
    "joined",
    "renamed",
    "renamed",
    "left",
  ]);
  assert.deepEqual(events.at(-1), {
    event: "left",
    peer: bobAddress,
    name: "bob",
    reason: "exit",
  });
});

Deno.test("room: --max-clients turns the next client away with a notice, and admits it once there is room", async () => {
  await using server = room(["--max-clients", "2"]);
  const port = await listeningPort(server);
  await using first = await LinePeer.connect(port);
  await first.line(WELCOME);
  await using second = await LinePeer.connect(port);
  await second.line(WELCOME);
  await using third = await LinePeer.connect(port);
  await third.line("* the room is full (--max-clients 2); try again later");
  assert.equal(await third.end(), "closed");
  await server.waitFor(
    "stderr",
    /127\.0\.0\.1:\d+ refused: the room is full \(--max-clients 2\)\n/,
  );
  assert.equal(
    first.lines.filter((line) => line.endsWith(" joined")).length,
    1,
  );

  await second.send("exit\n");
  await first.line(/left$/);
  await using fourth = await LinePeer.connect(port);
  await fourth.line(/^\* welcome, .*; 1 other here;/);
});

const tls = needs("ncat", "openssl");
const certs = needs("openssl");

Deno.test(
  `room over TLS: ncat --ssl and our tcp-client --tls talk; an untrusted client fails${tls.why}`,
  {
    ignore: tls.ignore,
  },
  async () => {
    const certs = await makeCerts();
    using dir = tempDir();
    await using server = room(
      ["--tls", "--cert", certs.serverCert, "--key", certs.serverKey],
      { flags: [...DEFAULT_FLAGS, `--allow-read=${certs.dir}`] },
    );
    const port = await listeningPort(server);

    await using ncat = new Child("ncat", [
      "--ssl",
      "--ssl-verify",
      "--ssl-trustfile",
      certs.caCert,
      "localhost",
      String(port),
      "-4",
    ]);
    await ncat.waitFor("stdout", /\* welcome, you are/);
    await using ours = pysocket([
      "tcp-client",
      "--port",
      String(port),
      "--tls",
      "--ca",
      certs.caCert,
      "--server-name",
      "localhost",
    ], { flags: [...DEFAULT_FLAGS, `--allow-read=${certs.dir}`] });
    await ours.waitFor("stdout", /server>\* welcome, you are/);
    await ours.write("over tls\n");
    await ncat.waitFor("stdout", /: over tls\n/);
    await ncat.write("and back\n");
    await ours.write("again\n");
    await ours.waitFor("stdout", /server>.*: and back\n/);

    // Without the CA, the certificate does not verify: exit 1, one line.
    const untrusted = pysocket(
      ["tcp-client", "--port", String(port), "--tls"],
      { cwd: dir.path },
    );
    const done = await untrusted.finished();
    assert.equal(done.code, 1);
    assert.match(
      done.stderr,
      /^pysocket tcp-client: cannot start TLS with 127\.0\.0\.1:\d+: .*certificate/,
    );
    assert.equal(done.stderr.trim().split("\n").length, 1);
  },
);

Deno.test(
  `room over TLS: handshakes in progress count against --max-clients${certs.why}`,
  { ignore: certs.ignore },
  async () => {
    const certs = await makeCerts();
    const read = { flags: [...DEFAULT_FLAGS, `--allow-read=${certs.dir}`] };
    await using server = room(
      [
        "--tls",
        "--cert",
        certs.serverCert,
        "--key",
        certs.serverKey,
        "--max-clients",
        "2",
      ],
      read,
    );
    const port = await listeningPort(server);
    // Two connections that never start TLS hold both places.
    const silent = [
      await Deno.connect({ hostname: "127.0.0.1", port }),
      await Deno.connect({ hostname: "127.0.0.1", port }),
    ];
    try {
      await using client = pysocket([
        "tcp-client",
        "--port",
        String(port),
        "--tls",
        "--ca",
        certs.caCert,
        "--server-name",
        "localhost",
      ], read);
      await client.waitFor(
        "stdout",
        "server>* the room is full (--max-clients 2); try again later",
      );
      await server.waitFor(
        "stderr",
        /127\.0\.0\.1:\d+ refused: the room is full \(--max-clients 2\)\n/,
      );
      assert.doesNotMatch(server.stderr, /joined/);
    } finally {
      for (const conn of silent) conn.close();
    }
  },
);

Deno.test(
  `the tutorial's chat programs over TLS; --insecure names Deno's run flag instead${certs.why}`,
  {
    ignore: certs.ignore,
  },
  async () => {
    const certs = await makeCerts();
    const read = { flags: [...DEFAULT_FLAGS, `--allow-read=${certs.dir}`] };
    await using server = pysocket([
      "tcp-server",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--echo",
      "--tls",
      "--cert",
      certs.serverCombined,
    ], read);
    const port = await listeningPort(server);
    const client = pysocket([
      "tcp-client",
      "--port",
      String(port),
      "--tls",
      "--ca",
      certs.caCert,
    ], { ...read, stdin: "hi over tls\nexit\n" });
    const done = await client.finished();
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, "server>hello\nserver>hi over tls\n");
    await server.waitFor("stdout", "client>hi over tls\n");

    const insecure = await pysocket([
      "tcp-client",
      "--port",
      String(port),
      "--tls",
      "--insecure",
    ]).finished();
    assert.equal(insecure.code, 2);
    assert.match(insecure.stderr, /--unsafely-ignore-certificate-errors=HOST/);
  },
);
