/**
 * The traffic view: `--hexdump` dumps each chunk that crosses, in each
 * direction, on stderr; `-v` adds connection lines. Checked line by line,
 * on TCP and UDP, plain and TLS, with stdout left exactly as without them.
 *
 * @module
 */

import assert from "node:assert/strict";
import { needs } from "../_support/platform.ts";
import { lines } from "../_support/process.ts";
import {
  DEFAULT_FLAGS,
  listeningPort,
  pysocket,
  runPysocket,
  startServer,
} from "../_support/pysocket.ts";
import { pythonChild, pythonPeer, runPython } from "../_support/python.ts";
import { makeCerts } from "../_support/tls_certs.ts";

const py = needs("python");

Deno.test(
  `--hexdump on tcp-server --stream: each chunk each way, offsets running on per direction, stdout unchanged${py.why}`,
  { ignore: py.ignore },
  async () => {
    const { server, port } = await startServer([
      "tcp-server",
      "--stream",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--hexdump",
    ]);
    await using _server = server;
    // Two chunks from the client, the second after the server's answer.
    await using client = pythonChild(
      `import socket
s = socket.create_connection(("127.0.0.1", ${port}))
s.sendall(b"GET / HTTP/1.0\\r\\n\\r\\n")
assert s.recv(100) == b"ok\\x00\\xff"
s.sendall(b"bye")
s.shutdown(socket.SHUT_WR)
assert s.recv(100) == b""
print("done")`,
    );
    await server.waitFor("stderr", /< 127\.0\.0\.1:\d+ 18 bytes\n.*\n.*\n/);
    await server.write(new Uint8Array([0x6f, 0x6b, 0x00, 0xff]));
    await server.closeStdin();
    await client.waitFor("stdout", /done/);
    const done = await server.finished();
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, "GET / HTTP/1.0\r\n\r\nbye");
    const peer = /< (127\.0\.0\.1:\d+)/.exec(done.stderr)![1];
    assert.deepEqual(lines(done.stderr).slice(1), [
      `127.0.0.1 connected`,
      `< ${peer} 18 bytes`,
      "00000000  47 45 54 20 2f 20 48 54  54 50 2f 31 2e 30 0d 0a  |GET / HTTP/1.0..|",
      "00000010  0d 0a                                             |..|",
      `> ${peer} 4 bytes`,
      "00000000  6f 6b 00 ff                                       |ok..|",
      `< ${peer} 3 bytes`,
      "00000012  62 79 65                                          |bye|",
      "127.0.0.1 disconnected",
    ]);
  },
);

Deno.test(
  `--hexdump and -v on the chat client: the tutorial server's hello, our line and exit are dumped; -v gives the resolved and local addresses and the counts at close${py.why}`,
  { ignore: py.ignore },
  async () => {
    await using peer = pythonPeer("tcp_server.py", ["127.0.0.1", "0"], {
      stdin: "fine\n",
    });
    const port = await listeningPort(peer);
    const done = await runPysocket(
      [
        "tcp-client",
        "--host",
        "localhost",
        "--port",
        String(port),
        "--hexdump",
        "-v",
      ],
      {
        stdin: "hi\n",
        flags: [`--allow-net=localhost:${port},127.0.0.1:${port}`],
      },
    );
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, "server>hello\nserver>fine\n");
    const to = `127.0.0.1:${port}`;
    assert.deepEqual(
      lines(done.stderr).map((line) =>
        line.replace(/from 127\.0\.0\.1:\d+$/, "from 127.0.0.1:N")
      ),
      [
        `* connected to ${to} (localhost:${port} resolved) from 127.0.0.1:N`,
        `< ${to} 5 bytes`,
        "00000000  68 65 6c 6c 6f                                    |hello|",
        `> ${to} 2 bytes`,
        "00000000  68 69                                             |hi|",
        `< ${to} 4 bytes`,
        "00000005  66 69 6e 65                                       |fine|",
        `> ${to} 4 bytes`,
        "00000002  65 78 69 74                                       |exit|",
        `* closed ${to}: sent 6 bytes, received 9`,
      ],
    );
  },
);

Deno.test(
  `--hexdump on udp-server --echo names each sender; --json keeps stdout to events only${py.why}`,
  { ignore: py.ignore },
  async () => {
    const { server, port } = await startServer([
      "udp-server",
      "--echo",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      "--hexdump",
      "--json",
    ], { flags: DEFAULT_FLAGS });
    await using _server = server;
    const sent = await runPython(
      `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))  # Tests never listen on the wildcard.
s.settimeout(10)
s.sendto(b"ping", ("127.0.0.1", ${port}))
print(s.recvfrom(100)[0].decode(), s.getsockname()[1])`,
    );
    const [echoed, from] = sent.stdout.trim().split(" ");
    assert.equal(echoed, "ping");
    await server.waitFor("stderr", /> 127\.0\.0\.1:\d+ 4 bytes\n.*\n/);
    server.kill("SIGTERM");
    const done = await server.finished();
    for (const line of lines(done.stdout)) assert.match(line, /^\{"event":/);
    const dump =
      "00000000  70 69 6e 67                                       |ping|";
    const dumped = lines(done.stderr).filter((line) => /^[<>0]/.test(line));
    assert.deepEqual(dumped, [
      `< 127.0.0.1:${from} 4 bytes`,
      dump,
      `> 127.0.0.1:${from} 4 bytes`,
      dump,
    ]);
  },
);

const tls = needs("openssl");

Deno.test(
  `-v over TLS: the client says whose certificate was verified; both sides count the bytes at close${tls.why}`,
  { ignore: tls.ignore },
  async () => {
    const certs = await makeCerts();
    const { server, port } = await startServer(
      [
        "tcp-server",
        "--stream",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--tls",
        "--cert",
        certs.serverCert,
        "--key",
        certs.serverKey,
        "-v",
      ],
      { flags: ["--allow-net=127.0.0.1", "--allow-read"] },
    );
    await using _server = server;
    await using client = pysocket(
      [
        "tcp-client",
        "--stream",
        "--port",
        String(port),
        "--tls",
        "--ca",
        certs.caCert,
        "--server-name",
        "localhost",
        "--verbose",
      ],
      { flags: ["--allow-net=127.0.0.1", "--allow-read"], stdin: "secret\n" },
    );
    await server.waitFor("stderr", /connected\n/);
    await server.closeStdin();
    const [c, s] = await Promise.all([client.finished(), server.finished()]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(s.stdout, "secret\n");
    assert.match(
      c.stderr,
      new RegExp(
        `^\\* connected to 127\\.0\\.0\\.1:${port} from 127\\.0\\.0\\.1:\\d+\n\\* TLS with 127\\.0\\.0\\.1:${port}: certificate verified for localhost \\(Deno does not report the protocol version\\)\n\\* closed 127\\.0\\.0\\.1:${port}: sent 7 bytes, received 0\n$`,
      ),
    );
    assert.match(
      s.stderr,
      /\* accepted 127\.0\.0\.1:\d+ on 127\.0\.0\.1:\d+ \(TLS handshake done\)\n/,
    );
    assert.match(
      s.stderr,
      /\* closed 127\.0\.0\.1:\d+: sent 0 bytes, received 7\n/,
    );
  },
);

Deno.test("--hexdump and --verbose are flags: a value is a usage error, exit 2", async () => {
  const done = await runPysocket(["tcp-client", "--hexdump=yes"]);
  assert.equal(done.code, 2, done.stderr);
  assert.equal(lines(done.stderr).length, 1);
});

Deno.test(
  `--hexdump in the other modes: a room member's line and the welcome it got; udp-client and udp-client --stream against a Python echo${py.why}`,
  { ignore: py.ignore },
  async () => {
    {
      const { server, port } = await startServer([
        "tcp-server",
        "--room",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--hexdump",
      ]);
      await using _server = server;
      await using member = pythonChild(
        `import socket
s = socket.create_connection(("127.0.0.1", ${port}))
s.recv(4096)
s.sendall(b"hi room\\n")
s.shutdown(socket.SHUT_WR)
while s.recv(4096):
    pass
print("done")`,
      );
      await member.waitFor("stdout", "done");
      await server.waitFor(
        "stderr",
        /< 127\.0\.0\.1:\d+ 8 bytes\n00000000 {2}68 69 20 72 6f 6f 6d 0a +\|hi room\.\|\n/,
      );
      assert.match(
        server.stderr,
        /> 127\.0\.0\.1:\d+ \d+ bytes\n00000000 {2}2a 20 77 65 6c 63 6f 6d {2}/,
      );
    }
    for (const mode of [[], ["--stream"]]) {
      await using echo = pythonChild(
        `import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("listening on 127.0.0.1:%d" % s.getsockname()[1], file=sys.stderr)
data, sender = s.recvfrom(65536)
s.sendto(data.upper(), sender)`,
      );
      const port = await listeningPort(echo);
      const done = await runPysocket(
        ["udp-client", ...mode, "--port", String(port), "--hexdump", "-v"],
        { stdin: "udp\n", flags: DEFAULT_FLAGS },
      );
      assert.equal(done.code, 0, done.stderr);
      const to = `127.0.0.1:${port}`;
      const sent = mode.length ? "udp\n" : "udp";
      assert.equal(done.stdout, mode.length ? "UDP\n" : "server>UDP\n");
      const n = sent.length;
      assert.deepEqual(
        lines(done.stderr).filter((line) => /^[<>]/.test(line)),
        [
          `> ${to} ${n} bytes`,
          `< ${to} ${n} bytes`,
          // The chat client says exit at the end of its input.
          ...(mode.length ? [] : [`> ${to} 4 bytes`]),
        ],
        done.stderr,
      );
      assert.match(
        done.stderr,
        // Towards loopback, the client binds loopback (least exposure).
        new RegExp(
          `^\\* sending datagrams to ${to} from 127\\.0\\.0\\.1:\\d+\n`,
        ),
      );
      assert.match(
        done.stderr,
        new RegExp(
          `\\* closed ${to}: sent ${
            mode.length ? 4 : 7
          } bytes, received ${n}\n$`,
        ),
      );
    }
  },
);
