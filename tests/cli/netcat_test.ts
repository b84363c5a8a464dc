/**
 * netcat's everyday options on `--stream`, against nc (OpenBSD), ncat and
 * Python peers on loopback: end of input (`--no-shutdown`,
 * `--quit-after-eof`), `--crlf`, `--send-only`, `--recv-only` and
 * `tcp-server --stream --keep-open`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { needs } from "../_support/platform.ts";
import { Child } from "../_support/process.ts";
import { freePort, waitUntilBound } from "../_support/net.ts";
import {
  assertOneLine,
  pysocket,
  runPysocket,
  startServer,
} from "../_support/pysocket.ts";
import { pythonChild } from "../_support/python.ts";

/** Sleeps `ms` milliseconds. */
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

/** `nc -l` or `ncat -l` on a free port, once it listens. */
async function listener(
  command: "nc" | "ncat",
  flags: string[],
  stdin?: string,
): Promise<{ peer: Child; port: number }> {
  const port = freePort();
  const peer = new Child(
    command,
    [...flags, "-l", "127.0.0.1", String(port)],
    stdin === undefined ? {} : { stdin },
  );
  await waitUntilBound(port, "tcp", peer);
  return { peer, port };
}

function client(port: number, ...args: string[]): string[] {
  return ["tcp-client", "--stream", "--port", String(port), ...args];
}

const nc = needs("proc", "nc");
const ncat = needs("proc", "ncat");

Deno.test(
  `default end of input: our side shuts down, nc -N answers after reading to the end, the client exits 0 once nc has finished${nc.why}`,
  { ignore: nc.ignore },
  async () => {
    const { peer, port } = await listener("nc", ["-N"], "answer\n");
    await using _peer = peer;
    const done = await runPysocket(client(port), { stdin: "question\n" });
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, "answer\n");
    assert.equal((await peer.finished()).stdout, "question\n");
  },
);

for (const command of ["nc", "ncat"] as const) {
  const skip = command === "nc" ? nc : ncat;
  Deno.test(
    `--no-shutdown --quit-after-eof: ${command} -l is never told the end, and the client ends 0.5 s after its input; without -q it waits for ${command}${skip.why}`,
    { ignore: skip.ignore },
    async () => {
      {
        const { peer, port } = await listener(command, []);
        await using _peer = peer;
        const done = await runPysocket(
          client(port, "--no-shutdown", "--quit-after-eof", "0.5"),
          { stdin: "hi\n" },
        );
        assert.equal(done.code, 0, done.stderr);
        await peer.waitFor("stdout", "hi\n");
      }
      {
        const { peer, port } = await listener(command, []);
        await using _peer = peer;
        await using waiting = pysocket(client(port, "--no-shutdown"), {
          stdin: "hi\n",
        });
        await peer.waitFor("stdout", "hi\n");
        await sleep(1000);
        assert.equal(waiting.exited, false, "it ended without -q");
        // The peer's end of stream ends it.
        peer.kill("SIGTERM");
        assert.equal((await waiting.finished()).code, 0);
      }
    },
  );
}

Deno.test(
  `--no-shutdown: ncat --recv-only is not told the end of the stream and keeps waiting; by default it is, and exits 0${ncat.why}`,
  { ignore: ncat.ignore },
  async () => {
    for (const noShutdown of [false, true]) {
      const { server, port } = await startServer([
        "tcp-server",
        "--stream",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        ...(noShutdown ? ["--no-shutdown"] : []),
      ]);
      await using _server = server;
      await server.write("from server\n");
      await server.closeStdin();
      await using peer = new Child("ncat", [
        "--recv-only",
        "127.0.0.1",
        String(port),
      ]);
      await peer.waitFor("stdout", "from server\n");
      if (!noShutdown) {
        assert.equal((await peer.finished()).code, 0);
        assert.equal((await server.finished()).code, 0);
        continue;
      }
      await sleep(1000);
      assert.equal(peer.exited, false, "ncat saw the end of the stream");
      peer.kill("SIGTERM");
      await peer.finished();
      assert.equal((await server.finished()).code, 0);
    }
  },
);

const py = needs("python");

Deno.test(
  `--crlf: every line reaches a Python peer ending in \\r\\n, lines that had it unchanged; tcp-server --crlf too${py.why}`,
  { ignore: py.ignore },
  async () => {
    const check = `import socket, sys
def check(conn):
    data = b""
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
    ok = all(line.endswith(b"\\r") for line in data.split(b"\\n")[:-1])
    print("%s %r" % ("crlf" if ok else "bare-lf", data))
`;
    await using server = pythonChild(
      check + `s = socket.create_server(("127.0.0.1", 0))
print("listening on 127.0.0.1:%d" % s.getsockname()[1], file=sys.stderr)
conn, _ = s.accept()
check(conn)
conn.close()`,
    );
    const port = Number(
      (await server.waitFor("stderr", /listening on .*:(\d+)\n/))[1],
    );
    const done = await runPysocket(client(port, "--crlf"), {
      stdin: "one\ntwo\r\nthree",
    });
    assert.equal(done.code, 0, done.stderr);
    await server.waitFor("stdout", "crlf b'one\\r\\ntwo\\r\\nthree'\n");

    const { server: ours, port: ourPort } = await startServer([
      "tcp-server",
      "--stream",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "-C",
    ], { stdin: "a\nb\n" });
    await using _ours = ours;
    await using peer = pythonChild(
      check + `conn = socket.create_connection(("127.0.0.1", ${ourPort}))
conn.shutdown(socket.SHUT_WR)
check(conn)`,
    );
    await peer.waitFor("stdout", "crlf b'a\\r\\nb\\r\\n'\n");
    assert.equal((await ours.finished()).code, 0);
  },
);

Deno.test(
  `--send-only: what ncat sends is dropped, the end of input ends the client; --recv-only: stdin is never sent, nc's bytes are shown${ncat.why}`,
  { ignore: ncat.ignore || nc.ignore },
  async () => {
    {
      const { peer, port } = await listener("ncat", []);
      await using _peer = peer;
      await peer.write("noise from ncat\n");
      const done = await runPysocket(client(port, "--send-only"), {
        stdin: "payload\n",
      });
      assert.equal(done.code, 0, done.stderr);
      assert.equal(done.stdout, "");
      await peer.waitFor("stdout", "payload\n");
    }
    {
      const { peer, port } = await listener("nc", ["-N"], "data\n");
      await using _peer = peer;
      const done = await runPysocket(client(port, "--recv-only"), {
        stdin: "never sent\n",
      });
      assert.equal(done.code, 0, done.stderr);
      assert.equal(done.stdout, "data\n");
      assert.equal((await peer.finished()).stdout, "");
    }
  },
);

Deno.test(
  `tcp-server --stream --keep-open: nc clients one after another, each heard; the server keeps listening${nc.why}`,
  { ignore: nc.ignore },
  async () => {
    const { server, port } = await startServer([
      "tcp-server",
      "--stream",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--keep-open",
    ]);
    await using _server = server;
    for (const word of ["first", "second", "third"]) {
      await using peer = new Child("nc", ["-N", "127.0.0.1", String(port)], {
        stdin: `${word}\n`,
      });
      await server.waitFor("stdout", `${word}\n`);
      await peer.finished();
    }
    // Our stdin is still open: what is typed now goes to the next client.
    await server.write("to the fourth\n");
    await using fourth = new Child("nc", ["-N", "127.0.0.1", String(port)], {
      stdin: "fourth\n",
    });
    await fourth.waitFor("stdout", "to the fourth\n");
    await server.waitFor("stdout", "fourth\n");
    assert.equal(server.exited, false);
    server.kill("SIGTERM");
    const done = await server.finished();
    assert.equal(done.code, 143, done.stderr);
    assert.equal(done.stdout, "first\nsecond\nthird\nfourth\n");
    assert.equal(done.stderr.match(/ connected\n/g)?.length, 4);
  },
);

Deno.test("the --stream options: every bad value or combination is one line, exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["tcp-client", "--quit-after-eof=-1", "--stream"],
      /--quit-after-eof must be a number of seconds, 0 or more, got "-1"/,
    ],
    [
      ["tcp-client", "--stream", "-q", "soon"],
      /--quit-after-eof must be a number of seconds, 0 or more, got "soon"/,
    ],
    [
      ["tcp-client", "--stream", "--send-only", "--recv-only"],
      /--send-only and --recv-only exclude each other: give one/,
    ],
    [
      ["tcp-client", "--stream", "--recv-only", "--crlf"],
      /--crlf is about sending stdin; --recv-only does not read it/,
    ],
    [
      ["tcp-client", "--crlf"],
      /--crlf applies to --stream; the chat sends each line without a line end/,
    ],
    [
      ["tcp-server", "--keep-open"],
      /--keep-open applies to --stream/,
    ],
    [
      ["tcp-server", "--stream", "--echo", "--keep-open"],
      /--keep-open applies to --stream; --room and --echo serve many clients already/,
    ],
    [
      ["udp-client", "--stream", "--crlf"],
      /unknown option '--crlf'/,
    ],
  ];
  for (const [args, pattern] of cases) {
    assertOneLine(await runPysocket(args), 2, pattern);
  }
});
