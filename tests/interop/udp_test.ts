/**
 * Interop tests of `pysocket udp-server` and `pysocket udp-client` with
 * other programs over real loopback sockets: the Python tutorial's own UDP
 * server and client (`tests/peers/`), `nc -u` and `ncat -u` as line-based
 * peers, IPv6, Unix datagram sockets, and `--timeout` when nobody answers.
 *
 * Our programs run with stdin piped, so they print no prompts and take one
 * message per input line (the output contract in the `./cli` module docs, `cli.ts`); the tests
 * assert whole transcripts, status lines and exit codes. The tutorial's UDP
 * server never stops by itself, and neither does `nc -u`: they are killed by
 * PID when a test ends.
 *
 * @module
 */

import assert from "node:assert/strict";
import { freePort } from "../_support/net.ts";
import { needs } from "../_support/platform.ts";
import { Child, lines } from "../_support/process.ts";
import {
  listeningPath,
  listeningPort,
  pysocket,
  startServer,
} from "../_support/pysocket.ts";
import { pythonPeer } from "../_support/python.ts";
import { tempDir } from "../_support/temp_dir.ts";

/** What the clients say in the chats, ASCII and not. */
const CLIENT_LINES = "héllo 世界\nsecond message\nexit\n";
/** What the servers reply. */
const SERVER_LINES = "reply one\n回复 二\n";

/** The client sends where nobody listens (any more) and waits for a reply. */
const quietClosedPort = needs("quiet-closed-port");

/**
 * Declares a test that needs some commands or features of the system
 * (see `needs()`), ignored (and named so) without them.
 */
function interop(
  name: string,
  requirements: Parameters<typeof needs>,
  fn: () => Promise<void>,
): void {
  const { why, ignore } = needs(...requirements);
  Deno.test({ name: name + why, ignore, fn });
}

/** `[::1]` for IPv6 hosts, the host itself otherwise. */
function bracket(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * Starts our udp-server on a free port with the permission it needs (the
 * whole host: replies go to each client's own port); stdin stays open.
 */
async function ourServer(
  host = "127.0.0.1",
  extra: string[] = [],
): Promise<{ server: Child; port: number }> {
  return await startServer([
    "udp-server",
    "--host",
    host,
    "--port",
    "0",
    ...extra,
  ], { flags: ["--unstable-net", `--allow-net=${bracket(host)}`] });
}

/**
 * Starts our udp-client with the permission it needs: the server's address
 * and its own, which the system picks.
 */
function ourClient(
  port: number,
  options: { input?: string; host?: string; extra?: string[] } = {},
): Child {
  const { input, host = "127.0.0.1", extra = [] } = options;
  return pysocket([
    "udp-client",
    "--host",
    host,
    "--port",
    String(port),
    ...extra,
  ], {
    flags: [
      "--unstable-net",
      `--allow-net=${bracket(host)}:${port},${bracket(host)}:0`,
    ],
    stdin: input,
  });
}

interop(
  "udp-client chats with the tutorial's python UDP server",
  ["python"],
  async () => {
    await using server = pythonPeer("udp_server.py", ["127.0.0.1", "0"]);
    // Its input stays open: after "exit" it waits at its prompt for ever.
    await server.write(SERVER_LINES);
    const port = await listeningPort(server);
    await using client = ourClient(port, { input: CLIENT_LINES });
    const done = await client.finished();
    assert.equal(done.stdout, "server>reply one\nserver>回复 二\n");
    assert.equal(done.stderr, "");
    assert.equal(done.code, 0);
    await server.waitFor("stdout", "client>exit\n");
    assert.equal(
      server.stdout,
      "client>héllo 世界\nserver>" +
        "client>second message\nserver>" +
        "client>exit\nserver>",
    );
  },
);

interop(
  "the tutorial's python UDP client chats with udp-server, two clients in turn",
  ["python", "signals"],
  async () => {
    const { server, port } = await ourServer();
    await using _server = server;
    await server.write(SERVER_LINES + "third\n");
    await using first = pythonPeer(
      "udp_client.py",
      ["127.0.0.1", String(port)],
      {
        stdin: CLIENT_LINES,
      },
    );
    const done = await first.finished();
    assert.equal(
      done.stdout,
      "client>server>reply one\nclient>server>回复 二\nclient>",
    );
    assert.equal(done.stderr, "");
    assert.equal(done.code, 0);
    await using second = pythonPeer("udp_client.py", [
      "127.0.0.1",
      String(port),
    ], {
      stdin: "again\nexit\n",
    });
    const again = await second.finished();
    assert.equal(again.stdout, "client>server>third\nclient>");
    assert.equal(again.code, 0);
    await server.waitFor("stderr", /disconnected\n.*\n.*disconnected\n/);
    server.kill("SIGINT");
    const stopped = await server.finished();
    assert.equal(
      stopped.stdout,
      "client>héllo 世界\nclient>second message\nclient>again\n",
    );
    assert.deepEqual(lines(stopped.stderr), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      "127.0.0.1 disconnected",
      "127.0.0.1 connected",
      "127.0.0.1 disconnected",
    ]);
    assert.equal(stopped.code, 130);
  },
);

interop(
  "udp-server answers two python UDP clients in turn, each at its own address",
  ["python", "signals"],
  async () => {
    const { server, port } = await ourServer();
    await using _server = server;
    await using a = pythonPeer("udp_client.py", ["127.0.0.1", String(port)]);
    await using b = pythonPeer("udp_client.py", ["127.0.0.1", String(port)]);
    await a.write("from A\n");
    await server.waitFor("stdout", "client>from A\n");
    await b.write("from B\n");
    await server.write("to A\n");
    await a.waitFor("stdout", "server>to A\n");
    await server.waitFor("stdout", "client>from B\n");
    await server.write("to B\n");
    await b.waitFor("stdout", "server>to B\n");
    await a.write("exit\n");
    await b.write("exit\n");
    assert.equal((await a.finished()).stdout, "client>server>to A\nclient>");
    assert.equal((await b.finished()).stdout, "client>server>to B\nclient>");
    await server.waitFor("stderr", /disconnected\n.*disconnected\n/);
    server.kill("SIGINT");
    const stopped = await server.finished();
    assert.equal(stopped.stdout, "client>from A\nclient>from B\n");
    assert.deepEqual(lines(stopped.stderr), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      "127.0.0.1 connected",
      "127.0.0.1 disconnected",
      "127.0.0.1 disconnected",
    ]);
  },
);

interop(
  "udp-client sends an empty line as an empty datagram, as the tutorial does",
  ["python"],
  async () => {
    await using server = pythonPeer("udp_server.py", ["127.0.0.1", "0"]);
    await server.write("got nothing\n");
    const port = await listeningPort(server);
    await using client = ourClient(port, { input: "\nexit\n" });
    const done = await client.finished();
    assert.equal(done.stdout, "server>got nothing\n");
    assert.equal(done.code, 0);
    await server.waitFor("stdout", "client>exit\n");
    assert.equal(server.stdout, "client>\nserver>client>exit\nserver>");
  },
);

Deno.test(
  `end of input stops udp-server once its last reply is sent; udp-client --timeout gives up${quietClosedPort.why}`,
  { ignore: quietClosedPort.ignore },
  async () => {
    const { server, port } = await ourServer();
    await using _server = server;
    await server.write("reply one\n");
    await server.closeStdin();
    await using client = ourClient(port, {
      input: "héllo 世界\nno reply to this\nexit\n",
      extra: ["--timeout", "0.5"],
    });
    const stopped = await server.finished();
    assert.equal(stopped.stdout, "client>héllo 世界\n");
    // The client's session was open: the server closes it as it stops.
    assert.deepEqual(lines(stopped.stderr), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      "127.0.0.1 disconnected",
      "stopped: end of input",
    ]);
    assert.equal(stopped.code, 0);
    const done = await client.finished();
    assert.equal(done.stdout, "server>reply one\n");
    assert.equal(
      done.stderr,
      `pysocket udp-client: no reply from 127.0.0.1:${port} within 0.5 s (--timeout)\n`,
    );
    assert.equal(done.code, 1);
  },
);

Deno.test(
  `udp-client --timeout: nothing listens on the port, one line and exit 1${quietClosedPort.why}`,
  { ignore: quietClosedPort.ignore },
  async () => {
    const port = freePort();
    await using client = ourClient(port, {
      input: "anyone?\n",
      extra: ["--timeout", "0.3"],
    });
    const done = await client.finished();
    assert.equal(done.stdout, "");
    assert.equal(
      done.stderr,
      `pysocket udp-client: no reply from 127.0.0.1:${port} within 0.3 s (--timeout)\n`,
    );
    assert.equal(done.code, 1);
  },
);

interop(
  "nc -u as a client: each line is one datagram, exit ends the session",
  ["nc", "signals"],
  async () => {
    const { server, port } = await ourServer();
    await using _server = server;
    await using nc = new Child("nc", ["-u", "127.0.0.1", String(port)]);
    await nc.write("héllo 世界\n");
    await server.waitFor("stdout", "client>héllo 世界\n");
    await server.write("回复\n");
    await nc.waitFor("stdout", "回复");
    await nc.write("exit\n");
    await server.waitFor("stderr", "disconnected\n");
    server.kill("SIGINT");
    const stopped = await server.finished();
    assert.equal(stopped.stdout, "client>héllo 世界\n");
    assert.deepEqual(lines(stopped.stderr), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      "127.0.0.1 disconnected",
    ]);
    assert.equal(stopped.code, 130);
    assert.equal(nc.stdout, "回复");
  },
);

interop(
  "nc -u: a datagram is one message, even with several lines in it (--json shows it raw)",
  ["nc", "signals"],
  async () => {
    const { server, port } = await ourServer("127.0.0.1", ["--json"]);
    await using _server = server;
    await using nc = new Child("nc", ["-u", "127.0.0.1", String(port)]);
    // One write, one read by nc, one datagram.
    await nc.write("hi\nexit\n");
    await server.waitFor("stdout", /"event":"message"/);
    await server.write("ok\n");
    await nc.waitFor("stdout", "ok");
    server.kill("SIGINT");
    const stopped = await server.finished();
    const events = lines(stopped.stdout).map((line) => JSON.parse(line));
    const peer = events[1]?.peer;
    assert.match(peer, /^127\.0\.0\.1:\d+$/);
    assert.deepEqual(events, [
      {
        event: "listening",
        address: `127.0.0.1:${port}`,
        host: "127.0.0.1",
        port,
      },
      { event: "connected", peer },
      { event: "message", from: "client", peer, text: "hi\nexit" },
    ]);
    // The session did not end: "exit" was not a message of its own.
    assert.deepEqual(lines(stopped.stderr), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
    ]);
    assert.equal(stopped.code, 130);
  },
);

for (const listener of ["nc", "ncat"]) {
  interop(
    `udp-client chats with ${listener} -u -l as the server`,
    [listener],
    async () => {
      const port = freePort();
      await using peer = new Child(listener, [
        "-v",
        "-u",
        "-l",
        "127.0.0.1",
        String(port),
      ]);
      await peer.waitFor("stderr", /Bound on|Listening on/);
      await using client = ourClient(port);
      await client.write("héllo 世界\n");
      await peer.waitFor("stdout", "héllo 世界");
      await peer.write("回复 二\n");
      await client.waitFor("stdout", "server>回复 二\n");
      await client.write("exit\n");
      const done = await client.finished();
      assert.equal(done.stdout, "server>回复 二\n");
      assert.equal(done.stderr, "");
      assert.equal(done.code, 0);
      await peer.waitFor("stdout", "héllo 世界exit");
    },
  );
}

interop(
  "IPv6: udp-client and udp-server chat with the python peers on ::1",
  ["python", "ipv6", "signals"],
  async () => {
    await using pyServer = pythonPeer("udp_server.py", ["::1", "0"]);
    await pyServer.write("reply one\n");
    const pyPort = await listeningPort(pyServer);
    await using client = ourClient(pyPort, {
      host: "::1",
      extra: ["-6"],
      input: "héllo 世界\nexit\n",
    });
    const done = await client.finished();
    assert.equal(done.stdout, "server>reply one\n");
    assert.equal(done.stderr, "");
    assert.equal(done.code, 0);
    await pyServer.waitFor("stdout", "client>exit\n");

    const { server, port } = await ourServer("::1", ["-6"]);
    await using _server = server;
    await server.write("reply two\n");
    await using pyClient = pythonPeer("udp_client.py", ["::1", String(port)], {
      stdin: "héllo 世界\nexit\n",
    });
    const pyDone = await pyClient.finished();
    assert.equal(pyDone.stdout, "client>server>reply two\nclient>");
    assert.equal(pyDone.code, 0);
    await server.waitFor("stderr", "::1 disconnected\n");
    server.kill("SIGINT");
    const stopped = await server.finished();
    assert.equal(stopped.stdout, "client>héllo 世界\n");
    assert.deepEqual(lines(stopped.stderr), [
      `listening on [::1]:${port}`,
      "::1 connected",
      "::1 disconnected",
    ]);
    assert.equal(stopped.code, 130);
  },
);

interop(
  "Unix datagram sockets: udp-client and udp-server chat with the python peers",
  ["python", "unix-sockets", "signals"],
  async () => {
    using dir = tempDir();
    // The exact permissions of --help: the folder, and the net for sendto.
    const unixFlags = [
      `--allow-read=${dir.path}`,
      `--allow-write=${dir.path}`,
    ];
    const pyPath = `${dir.path}/py.sock`;
    await using pyServer = pythonPeer("udp_server.py", ["--unix", pyPath]);
    await pyServer.write("reply one\n");
    await listeningPath(pyServer);
    await using client = pysocket(["udp-client", "--unix", pyPath], {
      flags: ["--unstable-net", ...unixFlags, "--allow-net"],
      stdin: "héllo 世界\nexit\n",
    });
    const done = await client.finished();
    assert.equal(done.stdout, "server>reply one\n");
    assert.equal(done.stderr, "");
    assert.equal(done.code, 0);
    await pyServer.waitFor("stdout", "client>exit\n");
    // The client removed the socket it made for replies.
    assert.deepEqual([...Deno.readDirSync(dir.path)].map((e) => e.name), [
      "py.sock",
    ]);

    const ourPath = `${dir.path}/ours.sock`;
    await using server = pysocket(["udp-server", "--unix", ourPath], {
      flags: ["--unstable-net", ...unixFlags, "--allow-net"],
    });
    assert.equal(await listeningPath(server), ourPath);
    await server.write("reply two\n");
    await using pyClient = pythonPeer("udp_client.py", ["--unix", ourPath], {
      stdin: "héllo 世界\nexit\n",
    });
    const pyDone = await pyClient.finished();
    assert.equal(pyDone.stdout, "client>server>reply two\nclient>");
    assert.equal(pyDone.code, 0);
    await server.waitFor("stderr", "disconnected\n");
    server.kill("SIGINT");
    const stopped = await server.finished();
    assert.equal(stopped.stdout, "client>héllo 世界\n");
    assert.deepEqual(lines(stopped.stderr), [
      `listening on ${ourPath}`,
      `${ourPath}.client connected`,
      `${ourPath}.client disconnected`,
    ]);
    assert.equal(stopped.code, 130);
    assert.throws(() => Deno.statSync(ourPath), Deno.errors.NotFound);
  },
);
