/**
 * `--stream`, netcat's mode: full duplex with half-close in both
 * directions, binary data checked by SHA-256, the concurrent echo server,
 * TLS, and --idle-timeout. The programs run as real processes; their
 * stdout is read as bytes, not text.
 *
 * @module
 */

import assert from "node:assert/strict";
import { concat, random, sha256 } from "../_support/data.ts";
import { needs } from "../_support/platform.ts";
import {
  DEFAULT_FLAGS,
  pysocket,
  runPysocket,
  startServer,
} from "../_support/pysocket.ts";
import { pythonChild } from "../_support/python.ts";
import { makeCerts } from "../_support/tls_certs.ts";
import { create_connection, SHUT_WR } from "../../mod.ts";

/** Starts `tcp-server --stream` on 127.0.0.1, port 0, with `flags` added. */
function streamServer(args: string[] = [], flags: string[] = []) {
  return startServer(
    ["tcp-server", "--stream", "--host", "127.0.0.1", "--port", "0", ...args],
    { flags: [...DEFAULT_FLAGS, ...flags] },
  );
}

Deno.test("--stream: 3 MiB and 2 MiB of random bytes cross at once, both checksums intact, both exit 0", async () => {
  const { server, port } = await streamServer();
  await using _server = server;
  await using client = pysocket([
    "tcp-client",
    "--stream",
    "--port",
    String(port),
  ]);
  const up = random(3 << 20), down = random(2 << 20);
  await Promise.all([
    client.write(up).then(() => client.closeStdin()),
    server.write(down).then(() => server.closeStdin()),
  ]);
  const [c, s] = await Promise.all([client.finished(), server.finished()]);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(s.code, 0, s.stderr);
  assert.equal(await sha256(server.stdoutBytes()), await sha256(up));
  assert.equal(await sha256(client.stdoutBytes()), await sha256(down));
  assert.equal(c.stderr, "");
  assert.match(
    s.stderr,
    /127\.0\.0\.1 connected\n127\.0\.0\.1 disconnected\n$/,
  );
});

const py = needs("python");

Deno.test(
  `--stream client: end of input shuts down sending; the answer sent after it still arrives${py.why}`,
  {
    ignore: py.ignore,
  },
  async () => {
    // A server that answers only once it has read to the end of the stream.
    await using peer = pythonChild(
      `import hashlib, socket, sys
s = socket.create_server(("127.0.0.1", 0))
print("listening on 127.0.0.1:%d" % s.getsockname()[1], file=sys.stderr, flush=True)
conn, _ = s.accept()
h = hashlib.sha256()
while True:
    data = conn.recv(65536)
    if not data:
        break
    h.update(data)
conn.sendall(h.hexdigest().encode() + b"\\n")
conn.close()`,
    );
    const port = Number(
      (await peer.waitFor("stderr", /listening on .*:(\d+)\n/))[1],
    );
    await using client = pysocket([
      "tcp-client",
      "--stream",
      "--port",
      String(port),
    ]);
    const data = random(1 << 20);
    await client.write(data);
    await client.closeStdin();
    const done = await client.finished();
    assert.equal(done.code, 0, done.stderr);
    assert.equal(
      new TextDecoder().decode(client.stdoutBytes()),
      `${await sha256(data)}\n`,
    );
  },
);

Deno.test(
  `--stream server: a client that half-closed still gets what the server sends afterwards${py.why}`,
  {
    ignore: py.ignore,
  },
  async () => {
    const { server, port } = await streamServer();
    await using _server = server;
    const first = random(300_000), answer = random(500_000);
    await using peer = pythonChild(
      `import hashlib, socket, sys
s = socket.create_connection(("127.0.0.1", ${port}))
s.sendall(sys.stdin.buffer.read())
s.shutdown(socket.SHUT_WR)
h = hashlib.sha256()
while True:
    data = s.recv(65536)
    if not data:
        break
    h.update(data)
print(h.hexdigest())`,
    );
    await peer.write(first);
    await peer.closeStdin();
    // The server has all of it, and the end of stream, before it answers.
    await server.until(
      "all the bytes sent",
      () => server.stdoutBytes().length >= first.length,
    );
    assert.equal(await sha256(server.stdoutBytes()), await sha256(first));
    await server.write(answer);
    await server.closeStdin();
    const done = await server.finished();
    assert.equal(done.code, 0, done.stderr);
    await peer.finished();
    assert.equal(
      peer.stdout.trim(),
      await sha256(answer),
    );
  },
);

Deno.test("--stream --echo serves 20 clients at once, each getting its own bytes back, then end of stream", async () => {
  const { server, port } = await streamServer(["--echo"]);
  await using _server = server;
  const results = await Promise.all(
    Array.from({ length: 20 }, async () => {
      const data = random(256 * 1024);
      using sock = await create_connection(["127.0.0.1", port], 5);
      const sending = sock.sendall(data).then(() => sock.shutdown(SHUT_WR));
      const chunks: Uint8Array[] = [];
      while (true) {
        const chunk = await sock.recv(65536);
        if (chunk.length === 0) break;
        chunks.push(chunk);
      }
      await sending;
      return [await sha256(data), await sha256(concat(chunks))];
    }),
  );
  for (const [sent, got] of results) assert.equal(got, sent);
  assert.equal(server.stderr.match(/ connected\n/g)?.length, 20);
});

const tls = needs("openssl");

Deno.test(
  `--stream over TLS: bytes both ways, half-close by close_notify; no CA, no connection${tls.why}`,
  {
    ignore: tls.ignore,
  },
  async () => {
    const certs = await makeCerts();
    const read = [`--allow-read=${certs.dir}`];
    const { server, port } = await streamServer(
      ["--tls", "--cert", certs.serverCert, "--key", certs.serverKey],
      read,
    );
    await using _server = server;
    const untrusted = pysocket([
      "tcp-client",
      "--stream",
      "--tls",
      "--port",
      String(port),
    ]);
    await untrusted.closeStdin();
    const refused = await untrusted.finished();
    assert.equal(refused.code, 1);
    assert.match(
      refused.stderr,
      /cannot start TLS with 127\.0\.0\.1:\d+: .*certificate/,
    );

    await using client = pysocket([
      "tcp-client",
      "--stream",
      "--tls",
      "--ca",
      certs.caCert,
      "--port",
      String(port),
    ], { flags: [...DEFAULT_FLAGS, ...read] });
    const up = random(1 << 20), down = random(1 << 20);
    await Promise.all([
      client.write(up).then(() => client.closeStdin()),
      server.write(down).then(() => server.closeStdin()),
    ]);
    const [c, s] = await Promise.all([client.finished(), server.finished()]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(await sha256(server.stdoutBytes()), await sha256(up));
    assert.equal(await sha256(client.stdoutBytes()), await sha256(down));
  },
);

Deno.test("--stream --idle-timeout ends a silent session with exit 1 and one line", async () => {
  const { server, port } = await streamServer();
  await using _server = server;
  await using client = pysocket([
    "tcp-client",
    "--stream",
    "--idle-timeout",
    "0.5",
    "--port",
    String(port),
  ]);
  const started = Date.now();
  const done = await client.finished();
  assert.equal(done.code, 1);
  assert.match(
    done.stderr,
    /^pysocket tcp-client: no data from or to 127\.0\.0\.1:\d+ for 0\.5 s \(--idle-timeout\)\n$/,
  );
  assert.ok(Date.now() - started < 5000);
});

Deno.test("--stream refuses --json, and --idle-timeout without a mode that uses it", async () => {
  for (
    const [args, message] of [
      [["tcp-client", "--stream", "--json"], /--json cannot go there/],
      [["tcp-server", "--idle-timeout", "5"], /the chat server has --timeout/],
      [["tcp-server", "--stream", "--room"], /exclude each other/],
      [["tcp-server", "--max-clients", "3"], /--max-clients applies to --room/],
      [["tcp-client", "--ca", "ca.pem"], /--ca needs --tls/],
    ] as const
  ) {
    const { code, stderr } = await runPysocket(args, { flags: [] });
    assert.equal(code, 2);
    assert.match(stderr, message);
  }
});
