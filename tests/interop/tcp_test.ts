/**
 * Interop tests of `pysocket tcp-server` and `pysocket tcp-client` with
 * other programs over real loopback sockets: the Python tutorial's own TCP
 * server and client (`tests/peers/`), `nc` and `ncat` as line-based peers,
 * IPv6, Unix stream sockets, a peer that resets the connection, a server
 * that dies mid-session, and a 100 KiB message each way.
 *
 * Our programs run with stdin piped, so they print no prompts and take one
 * message per input line (the output contract in the `./cli` module docs, `cli.ts`); the tests
 * assert whole transcripts, status lines and exit codes.
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
import { poll } from "../_support/wait.ts";

/** The 100 KiB message of `tests/peers/big_peer.py`. */
const BIG = "héllo 世界 ".repeat(7314) + "abcd";

/** What the clients say in the chats, ASCII and not. */
const CLIENT_LINES = "héllo 世界\nsecond message\nexit\n";
/** What the servers reply. */
const SERVER_LINES = "reply one\n回复 二\n";

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

/** Starts our tcp-server on a free port; stdin stays open for replies. */
async function ourServer(
  host = "127.0.0.1",
  extra: string[] = [],
): Promise<{ server: Child; port: number }> {
  const bracketed = host.includes(":") ? `[${host}]` : host;
  return await startServer([
    "tcp-server",
    "--host",
    host,
    "--port",
    "0",
    ...extra,
  ], { flags: ["--unstable-net", `--allow-net=${bracketed}:0`] });
}

/** Starts our tcp-client with exactly the permission it needs. */
function ourClient(port: number, input?: string, host = "127.0.0.1"): Child {
  const bracketed = host.includes(":") ? `[${host}]` : host;
  return pysocket(["tcp-client", "--host", host, "--port", String(port)], {
    flags: ["--unstable-net", `--allow-net=${bracketed}:${port}`],
    stdin: input,
  });
}

interop(
  "tcp-client chats with the tutorial's python TCP server",
  ["python"],
  async () => {
    await using server = pythonPeer("tcp_server.py", ["127.0.0.1", "0"], {
      stdin: SERVER_LINES,
    });
    const port = await listeningPort(server);
    await using client = ourClient(port, CLIENT_LINES);
    const done = await client.finished();
    assert.equal(
      done.stdout,
      "server>hello\nserver>reply one\nserver>回复 二\n",
    );
    assert.equal(done.stderr, "");
    assert.equal(done.code, 0);
    await server.waitFor("stdout", "disconnected\n");
    assert.equal(
      server.stdout,
      "127.0.0.1 connected\n" +
        "client>héllo 世界\nserver>" +
        "client>second message\nserver>" +
        "127.0.0.1 disconnected\n",
    );
  },
);

interop(
  "the tutorial's python TCP client chats with tcp-server, twice in a row",
  ["python", "signals"],
  async () => {
    const { server, port } = await ourServer();
    await using _server = server;
    await server.write(SERVER_LINES + "third\n");
    await using first = pythonPeer(
      "tcp_client.py",
      ["127.0.0.1", String(port)],
      {
        stdin: CLIENT_LINES,
      },
    );
    const done = await first.finished();
    assert.equal(
      done.stdout,
      "server>hello\nclient>server>reply one\nclient>server>回复 二\nclient>",
    );
    assert.equal(done.stderr, "");
    assert.equal(done.code, 0);
    await using second = pythonPeer("tcp_client.py", [
      "127.0.0.1",
      String(port),
    ], {
      stdin: "again\nexit\n",
    });
    const again = await second.finished();
    assert.equal(again.stdout, "server>hello\nclient>server>third\nclient>");
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
  "tcp-server --json: one JSON event per line while the python TCP client chats",
  ["python", "signals"],
  async () => {
    const { server, port } = await ourServer("127.0.0.1", ["--json"]);
    await using _server = server;
    await server.write("reply one\n");
    await using client = pythonPeer("tcp_client.py", [
      "127.0.0.1",
      String(port),
    ], {
      stdin: "héllo 世界\nexit\n",
    });
    const done = await client.finished();
    assert.equal(done.stdout, "server>hello\nclient>server>reply one\nclient>");
    await server.waitFor("stdout", /"event":"disconnected"/);
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
      { event: "message", from: "client", peer, text: "héllo 世界" },
      { event: "disconnected", peer, reason: "exit" },
    ]);
    // stderr carries the same status lines as without --json.
    assert.deepEqual(lines(stopped.stderr), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      "127.0.0.1 disconnected",
    ]);
    assert.equal(stopped.code, 130);
  },
);

interop(
  "nc as a client typing line by line; end of input stops tcp-server",
  ["nc"],
  async () => {
    const { server, port } = await ourServer();
    await using _server = server;
    await server.write("回复\n");
    await server.closeStdin();
    await using nc = new Child("nc", ["127.0.0.1", String(port)]);
    await nc.waitFor("stdout", "hello");
    await nc.write("héllo 世界\n");
    await nc.waitFor("stdout", "hello回复");
    // No reply left: the server closes the session and stops.
    await nc.write("one more\n");
    const stopped = await server.finished();
    // nc quits once its own input ends too.
    await nc.closeStdin();
    const done = await nc.finished();
    assert.equal(done.stdout, "hello回复");
    assert.equal(done.code, 0);
    assert.equal(stopped.stdout, "client>héllo 世界\nclient>one more\n");
    assert.deepEqual(lines(stopped.stderr), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      "127.0.0.1 disconnected",
      "stopped: end of input",
    ]);
    assert.equal(stopped.code, 0);
  },
);

interop(
  "end of input stops tcp-server between clients once its replies are used",
  ["python"],
  async () => {
    const { server, port } = await ourServer();
    await using _server = server;
    await server.write("reply one\n");
    await server.closeStdin();
    await using client = pythonPeer("tcp_client.py", [
      "127.0.0.1",
      String(port),
    ], {
      stdin: "héllo 世界\nexit\n",
    });
    const done = await client.finished();
    assert.equal(done.stdout, "server>hello\nclient>server>reply one\nclient>");
    const stopped = await server.finished();
    assert.equal(stopped.stdout, "client>héllo 世界\n");
    assert.deepEqual(lines(stopped.stderr), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      "127.0.0.1 disconnected",
      "stopped: end of input",
    ]);
    assert.equal(stopped.code, 0);
  },
);

interop(
  "nc as a client: printf 'hi\\nexit\\n' | nc is the message hi, then exit",
  ["nc", "sh", "signals"],
  async () => {
    const { server, port } = await ourServer();
    await using _server = server;
    await server.write("ok\n");
    // printf writes both lines at once: they may reach the server in one read.
    await using nc = new Child("sh", [
      "-c",
      `printf 'hi\\nexit\\n' | nc 127.0.0.1 ${port}`,
    ]);
    await server.waitFor("stderr", /disconnected.*\n/, 5_000);
    const done = await nc.finished();
    assert.equal(done.stdout, "hellook");
    assert.equal(done.code, 0);
    server.kill("SIGINT");
    const stopped = await server.finished();
    assert.equal(stopped.stdout, "client>hi\n");
    assert.deepEqual(lines(stopped.stderr), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      "127.0.0.1 disconnected",
    ]);
  },
);

for (const listener of ["nc", "ncat"]) {
  interop(
    `tcp-client chats with ${listener} -l as the server`,
    [listener],
    async () => {
      const port = freePort();
      await using peer = new Child(listener, ["-l", "127.0.0.1", String(port)]);
      await peer.write("hello\n");
      await using client = await retryConnect(() => ourClient(port));
      await client.waitFor("stdout", "server>hello\n");
      await client.write("héllo 世界\n");
      await peer.waitFor("stdout", "héllo 世界");
      await peer.write("回复 二\n");
      await client.waitFor("stdout", "server>回复 二\n");
      await client.write("exit\n");
      const done = await client.finished();
      assert.equal(done.stdout, "server>hello\nserver>回复 二\n");
      assert.equal(done.stderr, "");
      assert.equal(done.code, 0);
      const peerDone = await peer.finished();
      assert.equal(peerDone.stdout, "héllo 世界exit");
    },
  );
}

/**
 * Starts a client until it gets past connecting: a listener started a
 * moment ago (nc -l) may not listen yet, and probing it would use up its
 * only connection.
 */
async function retryConnect(start: () => Child): Promise<Child> {
  let stderr = "";
  return await poll("the listener to come up", async () => {
    const client = start();
    const state = await client.until(
      "a greeting or an exit",
      () => client.stdout.includes("server>") ? "up" : client.exited && "down",
    );
    if (state === "up") return client;
    stderr = client.stderr;
    await client[Symbol.asyncDispose]();
  }, { ms: 5_000, everyMs: 50, seen: () => stderr });
}

interop(
  "IPv6: tcp-client and tcp-server chat with the python peers on ::1",
  ["python", "ipv6", "signals"],
  async () => {
    await using pyServer = pythonPeer("tcp_server.py", ["::1", "0"], {
      stdin: "reply one\n",
    });
    const pyPort = await listeningPort(pyServer);
    await using client = pysocket([
      "tcp-client",
      "-6",
      "--port",
      String(pyPort),
    ], {
      flags: ["--unstable-net", `--allow-net=[::1]:${pyPort}`],
      stdin: "héllo 世界\nexit\n",
    });
    const done = await client.finished();
    assert.equal(done.stdout, "server>hello\nserver>reply one\n");
    assert.equal(done.stderr, "");
    assert.equal(done.code, 0);
    await pyServer.waitFor("stdout", "::1 disconnected\n");

    const { server, port } = await ourServer("::1", ["-6"]);
    await using _server = server;
    await server.write("reply two\n");
    await using pyClient = pythonPeer("tcp_client.py", ["::1", String(port)], {
      stdin: "héllo 世界\nexit\n",
    });
    const pyDone = await pyClient.finished();
    assert.equal(
      pyDone.stdout,
      "server>hello\nclient>server>reply two\nclient>",
    );
    await server.waitFor("stderr", "::1 disconnected\n");
    server.kill("SIGINT");
    const stopped = await server.finished();
    assert.deepEqual(lines(stopped.stderr), [
      `listening on [::1]:${port}`,
      "::1 connected",
      "::1 disconnected",
    ]);
    assert.equal(stopped.stdout, "client>héllo 世界\n");
    assert.equal(stopped.code, 130);
  },
);

interop(
  "Unix stream sockets: tcp-client and tcp-server chat with the python peers",
  ["python", "unix-sockets", "signals"],
  async () => {
    using dir = tempDir();
    const pyPath = `${dir.path}/py.sock`;
    await using pyServer = pythonPeer("tcp_server.py", ["--unix", pyPath], {
      stdin: "reply one\n",
    });
    await listeningPath(pyServer);
    await using client = pysocket(["tcp-client", "--unix", pyPath], {
      flags: [
        "--unstable-net",
        `--allow-read=${pyPath}`,
        `--allow-write=${pyPath}`,
        `--allow-net=unix:${pyPath}`,
      ],
      stdin: "héllo 世界\nexit\n",
    });
    const done = await client.finished();
    assert.equal(done.stdout, "server>hello\nserver>reply one\n");
    assert.equal(done.stderr, "");
    assert.equal(done.code, 0);
    await pyServer.waitFor("stdout", "disconnected\n");
    assert.equal(
      pyServer.stdout,
      " connected\nclient>héllo 世界\nserver> disconnected\n",
    );

    const ourPath = `${dir.path}/ours.sock`;
    await using server = pysocket(["tcp-server", "--unix", ourPath], {
      flags: [
        "--unstable-net",
        `--allow-read=${ourPath}`,
        `--allow-write=${ourPath}`,
        `--allow-net=unix:${ourPath}`,
      ],
    });
    assert.equal(await listeningPath(server), ourPath);
    await server.write("reply two\n");
    await using pyClient = pythonPeer("tcp_client.py", ["--unix", ourPath], {
      stdin: "héllo 世界\nexit\n",
    });
    const pyDone = await pyClient.finished();
    assert.equal(
      pyDone.stdout,
      "server>hello\nclient>server>reply two\nclient>",
    );
    assert.equal(pyDone.code, 0);
    await server.waitFor("stderr", "disconnected\n");
    server.kill("SIGINT");
    const stopped = await server.finished();
    assert.equal(stopped.stdout, "client>héllo 世界\n");
    assert.deepEqual(lines(stopped.stderr), [
      `listening on ${ourPath}`,
      "unix peer connected",
      "unix peer disconnected",
    ]);
    assert.equal(stopped.code, 130);
    assert.throws(() => Deno.statSync(ourPath), Deno.errors.NotFound);
  },
);

interop(
  "tcp-server reports a reset in one line and serves the next client",
  ["python", "signals"],
  async () => {
    const { server, port } = await ourServer();
    await using _server = server;
    await server.write("got it\nnext\n");
    await using resetter = pythonPeer("raw_peer.py", [
      "127.0.0.1",
      String(port),
      "recv",
      "text:bye now",
      "recv",
      "reset",
    ]);
    const reset = await resetter.finished();
    assert.equal(reset.stdout, "server>hello\nserver>got it\n");
    await server.waitFor("stderr", /connected\n.*\n/);
    await using next = pythonPeer(
      "tcp_client.py",
      ["127.0.0.1", String(port)],
      {
        stdin: "still there?\nexit\n",
      },
    );
    const nextDone = await next.finished();
    assert.equal(nextDone.stdout, "server>hello\nclient>server>next\nclient>");
    await server.waitFor(
      "stderr",
      /connected\n.*\n.*connected\n.*disconnected\n/,
    );
    server.kill("SIGINT");
    const stopped = await server.finished();
    assert.equal(stopped.stdout, "client>bye now\nclient>still there?\n");
    assert.deepEqual(lines(stopped.stderr), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      "127.0.0.1 disconnected: the connection was reset",
      "127.0.0.1 connected",
      "127.0.0.1 disconnected",
    ]);
    assert.equal(stopped.code, 130);
  },
);

for (const when of ["waited for a reply", "was idle at its prompt"]) {
  interop(
    `tcp-client says in one line that the server died while it ${when}`,
    ["python"],
    async () => {
      await using server = pythonPeer("tcp_server.py", ["127.0.0.1", "0"]);
      const port = await listeningPort(server);
      await using client = ourClient(port);
      await client.waitFor("stdout", "server>hello\n");
      if (when === "waited for a reply") {
        await client.write("are you there?\n");
        await server.waitFor("stdout", "client>are you there?\nserver>");
      }
      server.kill("SIGKILL");
      const done = await client.finished();
      assert.equal(done.stdout, "server>hello\n");
      assert.equal(
        done.stderr,
        `pysocket tcp-client: the server at 127.0.0.1:${port} closed the connection` +
          "\n",
      );
      assert.equal(done.code, 1);
    },
  );
}

interop(
  "tcp-server notices a reset while it waits for its own reply",
  ["python", "signals"],
  async () => {
    const { server, port } = await ourServer();
    await using _server = server;
    await using resetter = pythonPeer("raw_peer.py", [
      "127.0.0.1",
      String(port),
      "recv",
      "text:hi",
      "sleep:0.1",
      "reset",
    ]);
    assert.equal((await resetter.finished()).stdout, "server>hello\n");
    // No reply was ever typed: the reset alone ends the session.
    await server.waitFor("stderr", "disconnected: the connection was reset\n");
    server.kill("SIGINT");
    const stopped = await server.finished();
    assert.equal(stopped.stdout, "client>hi\n");
    assert.equal(stopped.code, 130);
  },
);

interop(
  "tcp-client at end of input sends exit: the tutorial's server ends the session",
  ["python"],
  async () => {
    await using server = pythonPeer("tcp_server.py", ["127.0.0.1", "0"], {
      stdin: "reply one\n",
    });
    const port = await listeningPort(server);
    await using client = ourClient(port, "héllo 世界\n");
    const done = await client.finished();
    assert.equal(done.stdout, "server>hello\nserver>reply one\n");
    assert.equal(done.stderr, "");
    assert.equal(done.code, 0);
    await server.waitFor("stdout", "disconnected\n");
    assert.equal(
      server.stdout,
      "127.0.0.1 connected\nclient>héllo 世界\nserver>127.0.0.1 disconnected\n",
    );
  },
);

interop(
  "a second client waits in tcp-server's backlog until the first leaves",
  ["python", "signals"],
  async () => {
    const { server, port } = await ourServer();
    await using _server = server;
    await server.write("reply one\n");
    await using first = pythonPeer("tcp_client.py", [
      "127.0.0.1",
      String(port),
    ]);
    await first.waitFor("stdout", "server>hello\nclient>");
    await using second = pythonPeer("raw_peer.py", [
      "127.0.0.1",
      String(port),
      "say:queued",
      "recv",
      "text:exit",
    ]);
    await second.waitFor("stdout", "queued\n");
    await first.write("héllo 世界\n");
    await first.waitFor("stdout", "server>reply one\nclient>");
    assert.equal(second.stdout, "queued\n");
    await first.write("exit\n");
    assert.equal((await first.finished()).code, 0);
    const done = await second.finished();
    assert.equal(done.stdout, "queued\nserver>hello\n");
    await server.waitFor("stderr", /disconnected\n.*\n.*disconnected\n/);
    server.kill("SIGINT");
    const stopped = await server.finished();
    assert.deepEqual(lines(stopped.stderr), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      "127.0.0.1 disconnected",
      "127.0.0.1 connected",
      "127.0.0.1 disconnected",
    ]);
  },
);

interop(
  "tcp-server --timeout disconnects a silent client and serves the next",
  ["python", "signals"],
  async () => {
    const { server, port } = await ourServer("127.0.0.1", [
      "--timeout",
      "0.3",
    ]);
    await using _server = server;
    await server.write("reply one\n");
    await using silent = pythonPeer("raw_peer.py", [
      "127.0.0.1",
      String(port),
      "recv",
      "recv",
    ]);
    assert.equal(
      (await silent.finished()).stdout,
      "server>hello\nserver closed\n",
    );
    await using next = pythonPeer(
      "tcp_client.py",
      ["127.0.0.1", String(port)],
      {
        stdin: "héllo 世界\nexit\n",
      },
    );
    const done = await next.finished();
    assert.equal(done.stdout, "server>hello\nclient>server>reply one\nclient>");
    await server.waitFor("stderr", /disconnected\n/);
    server.kill("SIGINT");
    const stopped = await server.finished();
    assert.deepEqual(lines(stopped.stderr), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      "127.0.0.1 disconnected: no message for 0.3 s (--timeout)",
      "127.0.0.1 connected",
      "127.0.0.1 disconnected",
    ]);
    assert.equal(stopped.code, 130);
  },
);

interop(
  "tcp-client --timeout gives up in one line when the server does not reply",
  ["python"],
  async () => {
    // The tutorial's server waits at its prompt for a reply never typed.
    await using server = pythonPeer("tcp_server.py", ["127.0.0.1", "0"]);
    const port = await listeningPort(server);
    await using client = pysocket([
      "tcp-client",
      "--port",
      String(port),
      "--timeout",
      "0.3",
    ], {
      flags: ["--unstable-net", `--allow-net=127.0.0.1:${port}`],
      stdin: "anyone?\n",
    });
    const done = await client.finished();
    assert.equal(done.stdout, "server>hello\n");
    assert.equal(
      done.stderr,
      `pysocket tcp-client: no reply from 127.0.0.1:${port} within 0.3 s (--timeout)\n`,
    );
    assert.equal(done.code, 1);
  },
);

interop(
  "tcp-server still replies to a client that half-closed after its message",
  ["python", "signals"],
  async () => {
    const { server, port } = await ourServer();
    await using _server = server;
    // Like `printf 'hi\n' | nc -N`: send, shut down the sending side, and
    // read the answer, which the server types after the half-close.
    await using peer = pythonPeer("raw_peer.py", [
      "127.0.0.1",
      String(port),
      "recv",
      "text:hi",
      "shutdown",
      "say:half-closed",
      "recv",
      "recv",
    ]);
    await peer.waitFor("stdout", "half-closed\n");
    await server.waitFor("stdout", "client>hi\n");
    await server.write("ok\n");
    const done = await peer.finished();
    assert.equal(
      done.stdout,
      "server>hello\nhalf-closed\nserver>ok\nserver closed\n",
    );
    await server.waitFor("stderr", /disconnected.*\n/);
    server.kill("SIGINT");
    const stopped = await server.finished();
    assert.equal(stopped.stdout, "client>hi\n");
    assert.deepEqual(lines(stopped.stderr), [
      `listening on 127.0.0.1:${port}`,
      "127.0.0.1 connected",
      "127.0.0.1 disconnected: the client closed the connection without sending exit",
    ]);
  },
);

interop(
  "nc -C: a CRLF line end is not part of the message either",
  ["nc", "sh", "signals"],
  async () => {
    const { server, port } = await ourServer();
    await using _server = server;
    await server.write("ok\n");
    await using nc = new Child("sh", [
      "-c",
      `printf 'hi\\nexit\\n' | nc -C 127.0.0.1 ${port}`,
    ]);
    const done = await nc.finished();
    assert.equal(done.stdout, "hellook");
    await server.waitFor("stderr", "127.0.0.1 disconnected\n");
    server.kill("SIGINT");
    assert.equal((await server.finished()).stdout, "client>hi\n");
  },
);

interop(
  "tcp-server --echo: invalid UTF-8, terminal escapes and split characters",
  ["python", "signals"],
  async () => {
    const { server, port } = await ourServer("127.0.0.1", ["--echo"]);
    await using _server = server;
    await using peer = pythonPeer("raw_peer.py", [
      "127.0.0.1",
      String(port),
      "recv",
      "hex:fffe206f6b", // two invalid bytes, " ok"
      "recv",
      "hex:6573631b5b33316d0a", // "esc", ESC [31m, newline
      "recv",
      "hex:e4b8", // the first two bytes of 世 ...
      "sleep:0.02",
      "hex:96", // ... and its last, a moment later
      "recv",
      "hex:6162e4", // "ab" and the first byte of 世 ...
      "recv",
      "hex:b896", // ... and the rest in the next message
      "recv",
      "text:exit",
    ]);
    const echoed = await peer.finished();
    // --echo sends back exactly the bytes received.
    assert.equal(
      echoed.stdout,
      "server>hello\nserver>\ufffd\ufffd ok\nserver>esc\x1b[31m\n\n" +
        "server>世\nserver>ab\ufffd\nserver>\ufffd\ufffd\n",
    );
    await server.waitFor("stderr", "127.0.0.1 disconnected\n");
    server.kill("SIGINT");
    const stopped = await server.finished();
    assert.deepEqual(lines(stopped.stdout), [
      "client>\ufffd\ufffd ok",
      "client>esc\\x1b[31m",
      "client>世",
      "client>ab",
      "client>世",
    ]);
  },
);

// One recv is one message (up to 64 KiB, lib/cli/_messages.ts BUFSIZE), as in the
// tutorial: a 100 KiB message arrives as several lines whose text, joined,
// is the message; a character is never cut between two lines.

/** The message text of each `PREFIX>` line of a transcript. */
function messages(text: string, prefix: string): string[] {
  return lines(text).map((line) => {
    assert.ok(line.startsWith(`${prefix}>`), line.slice(0, 80));
    return line.slice(prefix.length + 1);
  });
}

interop(
  "tcp-client receives a 100 KiB message whole, in one line per read",
  ["python"],
  async () => {
    await using peer = pythonPeer("big_peer.py", [
      "server-sends",
      "127.0.0.1",
      "0",
    ]);
    const port = await listeningPort(peer);
    await using client = ourClient(port);
    // Each read is a message, shown as it comes: nothing is typed until
    // all of it has arrived.
    await client.until(
      "the whole message",
      () =>
        client.stdout.endsWith("\n") &&
        messages(client.stdout, "server").join("") === BIG,
    );
    const seen = lines(client.stdout).length;
    await client.write("exit\n");
    const done = await client.finished();
    assert.equal(messages(done.stdout, "server").join(""), BIG);
    assert.ok(seen >= 2, `${seen} lines: a read is at most 64 KiB`);
    assert.equal(done.code, 0);
    const peerDone = await peer.finished();
    assert.equal(peerDone.stdout, "client>exit\n");
  },
);

interop(
  "tcp-client sends a 100 KiB line as one message",
  ["python"],
  async () => {
    await using peer = pythonPeer("big_peer.py", [
      "server-receives",
      "127.0.0.1",
      "0",
    ]);
    const port = await listeningPort(peer);
    await using client = ourClient(port, `${BIG}\nexit\n`);
    const done = await client.finished();
    assert.equal(done.stdout, "server>hello\nserver>got it\n");
    assert.equal(done.code, 0);
    const peerDone = await peer.finished();
    assert.equal(
      peerDone.stdout,
      "client>102400 bytes, equal=True\nclient>exit\n",
    );
  },
);

interop(
  "tcp-server sends a 100 KiB line as one reply",
  ["python", "signals"],
  async () => {
    const { server, port } = await ourServer();
    await using _server = server;
    // More than a pipe holds: the write ends once the server reads it.
    const written = server.write(`${BIG}\n`);
    await using peer = pythonPeer("big_peer.py", [
      "client-receives",
      "127.0.0.1",
      String(port),
    ]);
    const peerDone = await peer.finished();
    assert.equal(
      peerDone.stdout,
      "server>hello\nserver>102400 bytes, equal=True\n",
    );
    await written;
    await server.waitFor("stderr", "disconnected\n");
    server.kill("SIGINT");
    const stopped = await server.finished();
    assert.equal(stopped.stdout, "client>give\n");
    assert.equal(stopped.code, 130);
  },
);

interop(
  "tcp-server --echo receives a 100 KiB message whole, in one line per read",
  ["python", "signals"],
  async () => {
    const { server, port } = await ourServer("127.0.0.1", ["--echo"]);
    await using _server = server;
    await using peer = pythonPeer("big_peer.py", [
      "client-sends",
      "127.0.0.1",
      String(port),
    ]);
    const peerDone = await peer.finished();
    assert.equal(
      peerDone.stdout,
      "server>hello\nserver>102400 bytes, equal=True\n",
    );
    await server.waitFor("stderr", "disconnected\n");
    server.kill("SIGINT");
    const stopped = await server.finished();
    const received = messages(stopped.stdout, "client");
    assert.equal(received.join(""), BIG);
    assert.ok(received.length >= 2, `${received.length} lines`);
  },
);
