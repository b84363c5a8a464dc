/**
 * The chat programs of the `pysocket` command: the real programs, spawned
 * with `deno run --no-prompt` and the exact permission flags they need,
 * talking to each other (or to a raw socket held by the test) over
 * loopback: TCP, UDP, Unix sockets, IPv6 and Ctrl-C. Each test asserts
 * whole transcripts, status lines and exit codes, as described in the
 * output contract in the `./cli` module docs (`cli.ts`). The command line itself is in
 * `command_line_test.ts`, runs with too few permissions in
 * `permissions_test.ts`.
 *
 * Every child is killed and awaited by its PID, even when an assertion
 * fails (`await using`), and dies on its own after `LIFETIME_MS`
 * (`_support/paths.ts`).
 *
 * @module
 */

import assert from "node:assert/strict";
import { concat } from "../_support/data.ts";
import { freePort, readExactly, udpSocket } from "../_support/net.ts";
import { needs } from "../_support/platform.ts";
import { type Child, type Finished, lines } from "../_support/process.ts";
import {
  assertOneLine,
  pysocket,
  runPysocket,
  startServer,
} from "../_support/pysocket.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { sleep, within } from "../_support/wait.ts";
import { WAIT_MS } from "../_support/paths.ts";

const ENCODER = new TextEncoder();
/** Servers stopped with SIGINT, as by Ctrl-C, exit 130. */
const signals = needs("signals");
/** The servers there are stopped with SIGINT too. */
const unix = needs("unix-sockets", "signals");
const ipv6 = needs("ipv6");
/** The client sends once more after the server has stopped. */
const quietClosedPort = needs("quiet-closed-port");

/** Runs pysocket to its end with exactly `flags`, and `input` on stdin. */
function run(flags: string[], args: string[], input = ""): Promise<Finished> {
  return runPysocket(args, { flags, stdin: input });
}

/**
 * Starts a server with exactly `flags` (ARGS give `--port 0`); its first
 * stderr line must say where it listens.
 */
async function server(
  flags: string[],
  args: string[],
): Promise<{ program: Child; port: number }> {
  const { server, port } = await startServer(args, {
    flags,
    listening: /^listening on \S*:(\d+)\n/,
  });
  return { program: server, port };
}

/** The JSON events a program printed. */
function events(stdout: string): Record<string, unknown>[] {
  return lines(stdout).map((line) => JSON.parse(line));
}

/** Control characters and bidi overrides: never raw on stdout (tabs and newlines apart). */
// deno-lint-ignore no-control-regex
const RAW_CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

/** Text and byte values joined into one array. */
const bytes = (...parts: (string | number[])[]) =>
  concat(
    parts.map((p) =>
      typeof p === "string" ? ENCODER.encode(p) : new Uint8Array(p)
    ),
  );

const TCP_SERVER = ["tcp-server", "--host", "127.0.0.1", "--port", "0"];
const UDP_SERVER = ["udp-server", "--host", "127.0.0.1", "--port", "0"];
const NET_PORT0 = "--allow-net=127.0.0.1:0";
/** The UDP server replies to every client port of the host. */
const NET_HOST = "--allow-net=127.0.0.1";

// ---------------------------------------------------------------------------
// TCP

Deno.test(
  `tcp-client and tcp-server --echo: a scripted session, exact output${signals.why}`,
  { ignore: signals.ignore },
  async () => {
    const { program: srv, port } = await server([NET_PORT0], [
      ...TCP_SERVER,
      "--echo",
    ]);
    await using _srv = srv;
    const client = await run(
      [`--allow-net=127.0.0.1:${port}`],
      ["tcp-client", "--port", String(port)],
      "hi\nhéllo 世界\nexit\nnot sent\n",
    );
    assert.deepEqual(client, {
      code: 0,
      stdout: "server>hello\nserver>hi\nserver>héllo 世界\n",
      stderr: "",
    });
    await srv.waitFor("stderr", /disconnected\n/);
    srv.kill("SIGINT");
    const done = await srv.finished();
    assert.equal(done.code, 130);
    assert.equal(done.stdout, "client>hi\nclient>héllo 世界\n");
    assert.deepEqual(lines(done.stderr), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      "127.0.0.1 disconnected",
    ]);
  },
);

Deno.test("tcp-client: end of input sends exit; empty lines are skipped", async () => {
  const { program: srv, port } = await server([NET_PORT0], [
    ...TCP_SERVER,
    "--echo",
  ]);
  await using _srv = srv;
  const client = await run(
    [`--allow-net=127.0.0.1:${port}`],
    ["tcp-client", "--port", String(port)],
    "\none\n\ntwo",
  );
  assert.deepEqual(client, {
    code: 0,
    stdout: "server>hello\nserver>one\nserver>two\n",
    stderr: "",
  });
  // The server saw exit: a clean end of the session.
  await srv.waitFor("stderr", /127\.0\.0\.1 disconnected\n/);
  assert.equal(srv.stdout, "client>one\nclient>two\n");
});

Deno.test(
  `tcp --json: one event per line on stdout; stderr unchanged${signals.why}`,
  { ignore: signals.ignore },
  async () => {
    const { program: srv, port } = await server(
      [NET_PORT0],
      [...TCP_SERVER, "--echo", "--json"],
    );
    await using _srv = srv;
    const client = await run(
      [`--allow-net=127.0.0.1:${port}`],
      ["tcp-client", "--port", String(port), "--json"],
      "hi\n",
    );
    assert.equal(client.code, 0);
    assert.equal(client.stderr, "");
    const peer = `127.0.0.1:${port}`;
    assert.deepEqual(events(client.stdout), [
      { event: "connected", peer },
      { event: "message", from: "server", peer, text: "hello" },
      { event: "message", from: "server", peer, text: "hi" },
      { event: "disconnected", peer, reason: "end of input" },
    ]);
    await srv.waitFor("stdout", /"disconnected"/);
    srv.kill("SIGINT");
    const done = await srv.finished();
    const got = events(done.stdout);
    const clientPeer = got[1].peer as string;
    assert.match(clientPeer, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(got, [
      { event: "listening", address: peer, host: "127.0.0.1", port },
      { event: "connected", peer: clientPeer },
      { event: "message", from: "client", peer: clientPeer, text: "hi" },
      { event: "disconnected", peer: clientPeer, reason: "exit" },
    ]);
    assert.deepEqual(lines(done.stderr), [
      `listening on ${peer}`,
      "127.0.0.1 connected",
      "127.0.0.1 disconnected",
    ]);
  },
);

Deno.test("tcp-server replies from stdin; its end of input ends the session and stops it", async () => {
  const { program: srv, port } = await server([NET_PORT0], TCP_SERVER);
  await using _srv = srv;
  await srv.write("first reply\n");
  await srv.closeStdin();
  const client = await run(
    [`--allow-net=127.0.0.1:${port}`],
    ["tcp-client", "--port", String(port)],
    "a\nb\n",
  );
  assert.equal(client.stdout, "server>hello\nserver>first reply\n");
  assertOneLine(
    client,
    1,
    new RegExp(
      `^pysocket tcp-client: the server at 127\\.0\\.0\\.1:${port} closed the connection\n$`,
    ),
  );
  const done = await srv.finished();
  assert.equal(done.code, 0);
  assert.equal(done.stdout, "client>a\nclient>b\n");
  assert.deepEqual(lines(done.stderr), [
    `listening on 127.0.0.1:${port}`,
    "127.0.0.1 connected",
    "127.0.0.1 disconnected",
    "stopped: end of input",
  ]);
});

Deno.test("tcp-server: clients that leave mid-session are reported, the next one is served", async () => {
  const { program: srv, port } = await server([NET_PORT0], TCP_SERVER);
  await using _srv = srv;
  const closedWithoutExit =
    "127.0.0.1 disconnected: the client closed the connection without sending exit";
  {
    // Like `printf 'hey' | nc -N`: send, half-close, read the reply.
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    assert.deepEqual(await readExactly(conn, 5), ENCODER.encode("hello"));
    await conn.write(ENCODER.encode("hey"));
    await conn.closeWrite();
    await srv.waitFor("stdout", /client>hey\n/);
    await srv.write("still heard\n");
    assert.deepEqual(
      await readExactly(conn, 20),
      ENCODER.encode("still heard"),
    );
    await srv.waitFor("stderr", new RegExp(`${closedWithoutExit}\n`));
  }
  {
    // A client that goes away for good while the operator types.
    using conn = await Deno.connect({ hostname: "127.0.0.1", port });
    assert.deepEqual(await readExactly(conn, 5), ENCODER.encode("hello"));
    await conn.write(ENCODER.encode("gone"));
    await srv.waitFor("stdout", /client>gone\n/);
  }
  await srv.write("into the void\nfor the next one\n");
  const next = await run(
    [`--allow-net=127.0.0.1:${port}`],
    ["tcp-client", "--port", String(port)],
    "again\n",
  );
  assert.deepEqual(next, {
    code: 0,
    stdout: "server>hello\nserver>for the next one\n",
    stderr: "",
  });
  await srv.closeStdin();
  const done = await srv.finished();
  assert.equal(done.code, 0);
  assert.equal(done.stdout, "client>hey\nclient>gone\nclient>again\n");
  const status = lines(done.stderr);
  assert.deepEqual(status.slice(0, 4), [
    `listening on 127.0.0.1:${port}`,
    "127.0.0.1 connected",
    closedWithoutExit,
    "127.0.0.1 connected",
  ]);
  // Writing to a vanished client may meet a reset instead of the end.
  assert.match(
    status[4],
    /^127\.0\.0\.1 disconnected: the (client closed the connection without sending exit|connection was reset)$/,
  );
  assert.deepEqual(status.slice(5), [
    "127.0.0.1 connected",
    "127.0.0.1 disconnected",
    "stopped: end of input",
  ]);
});

Deno.test("tcp-server --timeout disconnects a silent client and goes on", async () => {
  const { program: srv, port } = await server(
    [NET_PORT0],
    [...TCP_SERVER, "--echo", "--timeout", "0.3"],
  );
  await using _srv = srv;
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  assert.deepEqual(await readExactly(conn, 6), ENCODER.encode("hello"));
  await srv.waitFor(
    "stderr",
    /127\.0\.0\.1 disconnected: no message for 0\.3 s \(--timeout\)\n/,
  );
});

Deno.test("tcp-server: escapes, invalid UTF-8 and split characters from a client", async () => {
  const { program: srv, port } = await server([NET_PORT0], [
    ...TCP_SERVER,
    "--echo",
  ]);
  await using _srv = srv;
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  assert.deepEqual(await readExactly(conn, 5), ENCODER.encode("hello"));
  const sends = [
    // A terminal escape, a C1 control, an invalid byte, an embedded newline.
    [bytes("\x1b[2J\x1b]0;owned\x07", [0xc2, 0x9b, 0xff], "a\nb")],
    // A character split between two reads: shown at the start of the second.
    [bytes("caf", [0xc3])],
    [bytes([0xa9], " ok")],
    // Only part of a character: the server waits for the rest.
    [bytes([0xe4]), bytes([0xb8, 0x96], "!")],
  ];
  for (const parts of sends) {
    for (const [i, part] of parts.entries()) {
      if (i > 0) await sleep(30);
      await conn.write(part);
    }
    // The echo is exactly the bytes sent.
    const sent = bytes(...parts.map((p) => [...p]));
    assert.deepEqual(await readExactly(conn, sent.length), sent);
  }
  await conn.write(ENCODER.encode("exit\n"));
  await srv.waitFor("stderr", /127\.0\.0\.1 disconnected\n/);
  assert.equal(
    srv.stdout,
    "client>\\x1b[2J\\x1b]0;owned\\x07\\x9b\ufffda\\nb\n" +
      "client>caf\n" +
      "client>é ok\n" +
      "client>世!\n",
  );
  assert.doesNotMatch(srv.stdout, RAW_CONTROL);
});

Deno.test("tcp-server takes several lines arriving together (nc) as one message each", async () => {
  const { program: srv, port } = await server([NET_PORT0], TCP_SERVER);
  await using _srv = srv;
  await srv.write("ok\n");
  using conn = await Deno.connect({ hostname: "127.0.0.1", port });
  assert.deepEqual(await readExactly(conn, 5), ENCODER.encode("hello"));
  await conn.write(ENCODER.encode("hi\r\nexit\n"));
  assert.deepEqual(await readExactly(conn, 3), ENCODER.encode("ok"));
  await srv.waitFor("stderr", /127\.0\.0\.1 disconnected\n/);
  assert.equal(srv.stdout, "client>hi\n");
});

Deno.test("tcp-client: escapes from the server never reach stdout raw; JSON keeps the text", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  const greeting = "hello\x1b]0;owned\x07\r\u202e";
  for (const json of [false, true]) {
    await using client = pysocket(
      ["tcp-client", "--port", String(port), ...(json ? ["--json"] : [])],
      { flags: [`--allow-net=127.0.0.1:${port}`], stdin: "" },
    );
    using conn = await listener.accept();
    await conn.write(ENCODER.encode(greeting));
    const exit = await readExactly(conn, 4);
    assert.equal(new TextDecoder().decode(exit), "exit");
    const done = await client.finished();
    assert.equal(done.code, 0);
    assert.doesNotMatch(done.stdout, RAW_CONTROL);
    if (json) {
      assert.equal(events(done.stdout)[1].text, greeting);
    } else {
      assert.equal(done.stdout, "server>hello\\x1b]0;owned\\x07\\r\\u202e\n");
    }
  }
});

Deno.test("tcp-client: connection refused is one line, exit 1", async () => {
  const port = freePort();
  const done = await run(
    [`--allow-net=127.0.0.1:${port}`],
    ["tcp-client", "--port", String(port)],
    "hi\n",
  );
  assert.equal(done.stdout, "");
  assertOneLine(
    done,
    1,
    new RegExp(
      `^pysocket tcp-client: cannot connect to 127\\.0\\.0\\.1:${port}: connection refused: nothing is listening there \\(start the server first, or check --host and --port\\)\n$`,
    ),
  );
});

Deno.test("tcp-client: a server that does not answer within --timeout is one line, exit 1", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  const done = await run(
    [`--allow-net=127.0.0.1:${port}`],
    ["tcp-client", "--port", String(port), "--timeout", "0.3"],
    "hi\n",
  );
  assertOneLine(
    done,
    1,
    new RegExp(
      `^pysocket tcp-client: no reply from 127\\.0\\.0\\.1:${port} within 0\\.3 s \\(--timeout\\)\n$`,
    ),
  );
  (await listener.accept()).close();
});

Deno.test("tcp-client: an unknown host is one line, exit 1", async () => {
  const done = await run(
    ["--allow-net=nosuch.invalid:8888"],
    ["tcp-client", "--host", "nosuch.invalid"],
    "hi\n",
  );
  assertOneLine(
    done,
    1,
    /^pysocket tcp-client: cannot connect to nosuch\.invalid:8888: unknown host "nosuch\.invalid"/,
  );
});

Deno.test("tcp-server: an address in use is one line, exit 1", async () => {
  using holder = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = holder.addr as Deno.NetAddr;
  const done = await run(
    [`--allow-net=127.0.0.1:${port}`],
    ["tcp-server", "--host", "127.0.0.1", "--port", String(port)],
  );
  assertOneLine(
    done,
    1,
    new RegExp(
      `^pysocket tcp-server: cannot listen on 127\\.0\\.0\\.1:${port}: address already in use: another program is listening there \\(stop it, or choose another --port\\)\n$`,
    ),
  );
});

// ---------------------------------------------------------------------------
// UDP

Deno.test(
  `udp-client and udp-server --echo: a scripted session, exact output${signals.why}`,
  { ignore: signals.ignore },
  async () => {
    const { program: srv, port } = await server([NET_HOST], [
      ...UDP_SERVER,
      "--echo",
    ]);
    await using _srv = srv;
    const client = await run(
      [`--allow-net=127.0.0.1:${port},127.0.0.1:0`],
      ["udp-client", "--port", String(port), "--timeout", "5"],
      "hi\nhéllo 世界\nexit\n",
    );
    assert.deepEqual(client, {
      code: 0,
      stdout: "server>hi\nserver>héllo 世界\n",
      stderr: "",
    });
    await srv.waitFor("stderr", /disconnected\n/);
    srv.kill("SIGINT");
    const done = await srv.finished();
    assert.equal(done.code, 130);
    assert.equal(done.stdout, "client>hi\nclient>héllo 世界\n");
    assert.deepEqual(lines(done.stderr), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      "127.0.0.1 disconnected",
    ]);
  },
);

Deno.test("udp --json, and udp-client's end of input sends exit", async () => {
  const { program: srv, port } = await server(
    [NET_HOST],
    [...UDP_SERVER, "--echo", "--json"],
  );
  await using _srv = srv;
  const client = await run(
    [`--allow-net=127.0.0.1:${port},127.0.0.1:0`],
    ["udp-client", "--port", String(port), "--json", "--timeout", "5"],
    "\x1b[31m\n",
  );
  assert.equal(client.code, 0);
  assert.equal(client.stderr, "");
  const address = `127.0.0.1:${port}`;
  assert.deepEqual(events(client.stdout), [
    { event: "message", from: "server", peer: address, text: "\x1b[31m" },
  ]);
  assert.doesNotMatch(client.stdout, RAW_CONTROL);
  await srv.waitFor("stdout", /"disconnected"/);
  const got = events(srv.stdout);
  const peer = got[1].peer;
  assert.deepEqual(got, [
    { event: "listening", address, host: "127.0.0.1", port },
    { event: "connected", peer },
    { event: "message", from: "client", peer, text: "\x1b[31m" },
    { event: "disconnected", peer, reason: "exit" },
  ]);
});

Deno.test(
  `udp-server replies from stdin; with no reply left it stops at once${quietClosedPort.why}`,
  { ignore: quietClosedPort.ignore },
  async () => {
    const { program: srv, port } = await server([NET_HOST], UDP_SERVER);
    await using _srv = srv;
    await srv.write("pong\n\n");
    await srv.closeStdin();
    const client = await run(
      [`--allow-net=127.0.0.1:${port},127.0.0.1:0`],
      ["udp-client", "--port", String(port), "--timeout", "0.5"],
      "ping\n\nlast\n",
    );
    // The empty line is an empty datagram, answered by an empty line.
    assert.equal(client.stdout, "server>pong\nserver>\n");
    assertOneLine(
      client,
      1,
      /^pysocket udp-client: no reply from 127\.0\.0\.1:\d+ within 0\.5 s/,
    );
    const done = await srv.finished();
    assert.equal(done.code, 0);
    assert.equal(done.stdout, "client>ping\nclient>\n");
    assert.deepEqual(lines(done.stderr), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      "127.0.0.1 disconnected",
      "stopped: end of input",
    ]);
  },
);

Deno.test("udp-client: no reply within --timeout is one line, exit 1", async () => {
  using silent = udpSocket();
  const { port } = silent.addr as Deno.NetAddr;
  const done = await run(
    [`--allow-net=127.0.0.1:${port},127.0.0.1:0`],
    ["udp-client", "--port", String(port), "--timeout", "0.2"],
    "anyone?\n",
  );
  assert.equal(done.stdout, "");
  assertOneLine(
    done,
    1,
    new RegExp(
      `^pysocket udp-client: no reply from 127\\.0\\.0\\.1:${port} within 0\\.2 s \\(--timeout\\)\n$`,
    ),
  );
  const [data] = await silent.receive();
  assert.equal(new TextDecoder().decode(data), "anyone?");
});

Deno.test({
  name:
    `udp-client (chat and --stream) binds loopback towards a loopback server, even with the whole network granted${ipv6.why}`,
  ignore: ipv6.ignore,
  async fn() {
    for (
      const [host, shown] of [["127.0.0.1", "127.0.0.1"], ["::1", "[::1]"]]
    ) {
      for (const mode of [["--timeout", "5"], ["--stream"]]) {
        using server = udpSocket(0, host);
        const { port } = server.addr as Deno.NetAddr;
        await using client = pysocket(
          ["udp-client", "--host", host, "--port", String(port), "-v", ...mode],
          { flags: ["--unstable-net", "--allow-net"], stdin: "hi\n" },
        );
        const [data, from] = await within(
          server.receive(),
          WAIT_MS,
          "the client's datagram",
        );
        await server.send(data, from);
        const done = await client.finished();
        assert.equal(done.code, 0, done.stderr);
        // Unbound, its first sendto() would bind every interface.
        const local = new RegExp(
          `^\\* sending datagrams to ${
            shown.replace(/[[\]]/g, "\\$&")
          }:${port} from ${shown.replace(/[[\]]/g, "\\$&")}:(\\d+)\n`,
        ).exec(done.stderr);
        assert.ok(local, done.stderr);
        const { hostname, port: fromPort } = from as Deno.NetAddr;
        assert.deepEqual([hostname, fromPort], [host, Number(local[1])]);
      }
    }
  },
});

Deno.test("udp-server: an address in use is one line, exit 1", async () => {
  using holder = udpSocket();
  const { port } = holder.addr as Deno.NetAddr;
  const done = await run(
    [NET_HOST],
    ["udp-server", "--host", "127.0.0.1", "--port", String(port)],
  );
  assertOneLine(
    done,
    1,
    /^pysocket udp-server: cannot listen on .*: address already in use/,
  );
});

// ---------------------------------------------------------------------------
// Unix sockets, IPv6, Ctrl-C

Deno.test({
  name:
    `unix stream sockets: tcp-server and tcp-client with exact permissions${unix.why}`,
  ignore: unix.ignore,
  async fn() {
    using temp = tempDir();
    const dir = temp.path;
    const path = `${dir}/chat.sock`;
    const flags = [
      `--allow-read=${path}`,
      `--allow-write=${path}`,
      `--allow-net=unix:${path}`,
    ];
    await using srv = pysocket([
      "tcp-server",
      "--unix",
      path,
      "--echo",
    ], { flags });
    await srv.waitFor("stderr", new RegExp(`^listening on ${path}\n`));
    const client = await run(flags, ["tcp-client", "--unix", path], "hi\n");
    assert.deepEqual(client, {
      code: 0,
      stdout: "server>hello\nserver>hi\n",
      stderr: "",
    });
    await srv.waitFor("stderr", /unix peer disconnected\n/);
    srv.kill("SIGINT");
    const done = await srv.finished();
    assert.equal(done.code, 130);
    assert.deepEqual(lines(done.stderr), [
      `listening on ${path}`,
      "unix peer connected",
      "unix peer disconnected",
    ]);
    // The server removed its socket file.
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  },
});

Deno.test({
  name:
    `unix datagram sockets: udp-client binds a temporary socket and removes it${unix.why}`,
  ignore: unix.ignore,
  async fn() {
    using temp = tempDir();
    const dir = temp.path;
    const path = `${dir}/chat.sock`;
    const flags = [
      "--unstable-net",
      `--allow-read=${dir}`,
      `--allow-write=${dir}`,
      "--allow-net",
    ];
    await using srv = pysocket([
      "udp-server",
      "--unix",
      path,
      "--echo",
    ], { flags });
    await srv.waitFor("stderr", new RegExp(`^listening on ${path}\n`));
    const client = await run(
      flags,
      ["udp-client", "--unix", path, "--timeout", "5"],
      "hi\nexit\n",
    );
    assert.deepEqual(client, { code: 0, stdout: "server>hi\n", stderr: "" });
    const [, peer] = await srv.waitFor("stderr", /\n(\S+) connected\n/);
    assert.ok(peer.startsWith(`${dir}/`), peer);
    await srv.waitFor("stderr", /disconnected\n/);
    // Only the server's socket is left: the client removed its own.
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [
      "chat.sock",
    ]);
    srv.kill("SIGINT");
    assert.equal((await srv.finished()).code, 130);
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    // Too narrow a grant names the flags the unix udp-client needs.
    const narrow = await run(
      [
        `--allow-read=${path}`,
        `--allow-write=${path}`,
        `--allow-net=unix:${path}`,
      ],
      ["udp-client", "--unix", path],
      "hi\n",
    );
    assertOneLine(
      narrow,
      1,
      new RegExp(
        `run again with --allow-read=${dir} --allow-write=${dir} --allow-net\n$`,
      ),
    );
  },
});

Deno.test({
  name:
    `IPv6: tcp-server on ::1 says [::1]:PORT and chats with tcp-client${ipv6.why}`,
  ignore: ipv6.ignore,
  async fn() {
    const { program: srv, port } = await server(
      ["--allow-net=[::1]:0"],
      ["tcp-server", "--host", "::1", "--port", "0", "--echo"],
    );
    await using _srv = srv;
    assert.match(srv.stderr, /^listening on \[::1\]:\d+\n/);
    const client = await run(
      [`--allow-net=[::1]:${port}`],
      ["tcp-client", "-6", "--port", String(port)],
      "hi\n",
    );
    assert.deepEqual(client, {
      code: 0,
      stdout: "server>hello\nserver>hi\n",
      stderr: "",
    });
    await srv.waitFor("stderr", /::1 connected\n::1 disconnected\n/);
  },
});

Deno.test({
  name:
    `Ctrl-C (SIGINT) stops a client waiting for input: exit 130${signals.why}`,
  ignore: signals.ignore,
  async fn() {
    const { program: srv, port } = await server([NET_PORT0], [
      ...TCP_SERVER,
      "--echo",
    ]);
    await using _srv = srv;
    await using client = pysocket(["tcp-client", "--port", String(port)], {
      flags: [`--allow-net=127.0.0.1:${port}`],
    });
    await client.waitFor("stdout", /^server>hello\n/);
    client.kill("SIGINT");
    const done = await client.finished();
    assert.deepEqual(done, { code: 130, stdout: "server>hello\n", stderr: "" });
    // The server sees the connection end without exit.
    await srv.waitFor("stderr", /127\.0\.0\.1 disconnected: /);
  },
});
