/**
 * `--stream` on the UDP programs, `nc -u`'s mode: both directions at once,
 * bytes unchanged (binary, long lines), the server's session with its
 * first client, strangers dropped on both sides, the echo server, quiet
 * ends and --idle-timeout, usage errors (such as --unix, which Deno's
 * Unix datagram sockets cannot do in both directions at once), and
 * interop with ncat -u and the tutorial's Python client. The programs run
 * as real processes; their stdout is read as bytes.
 *
 * @module
 */

import assert from "node:assert/strict";
import { concat, random } from "../_support/data.ts";
import { freePort } from "../_support/net.ts";
import { WAIT_MS } from "../_support/paths.ts";
import { needs } from "../_support/platform.ts";
import { Child } from "../_support/process.ts";
import { pysocket, runPysocket, startServer } from "../_support/pysocket.ts";
import { pythonPeer } from "../_support/python.ts";
import { within } from "../_support/wait.ts";
import { AF_INET, SOCK_DGRAM, socket } from "../../mod.ts";

const encode = (text: string) => new TextEncoder().encode(text);
const decode = (data: Uint8Array) => new TextDecoder().decode(data);

/** Starts `udp-server --stream` on 127.0.0.1, port 0. */
function udpServer(args: string[] = []) {
  return startServer([
    "udp-server",
    "--stream",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    ...args,
  ]);
}

/** Starts `udp-client --stream` for the server at `port`. */
function udpClient(port: number, args: string[] = []): Child {
  return pysocket(["udp-client", "--stream", "--port", String(port), ...args]);
}

/** A UDP socket of the test's own on loopback. */
function peer() {
  const sock = socket(AF_INET, SOCK_DGRAM);
  sock.bind(["127.0.0.1", 0]);
  return sock;
}

Deno.test("udp --stream: lines, raw bytes and a 100 KB line cross both ways; the server keeps its input until a client comes; both exit 0 once quiet", async () => {
  const { server, port } = await udpServer();
  await using _server = server;
  // The server's input is all there (and ended) before any client exists.
  const down = concat([encode("for the client\n"), random(3000)]);
  await server.write(down);
  await server.closeStdin();

  await using client = udpClient(port);
  const up = concat([
    encode("one\ntwo\n"),
    new Uint8Array([0xff, 0xfe, 0x0a]), // Invalid UTF-8, passed unchanged.
    new Uint8Array(100_000).fill(0x61), // Longer than a datagram: in pieces.
    encode("\nlast, without newline"),
  ]);
  await client.write(up);
  await client.closeStdin();
  const [c, s] = await Promise.all([client.finished(), server.finished()]);
  assert.equal(c.code, 0, c.stderr);
  assert.equal(s.code, 0, s.stderr);
  assert.deepEqual(server.stdoutBytes(), up);
  assert.deepEqual(client.stdoutBytes(), down);
  assert.equal(c.stderr, "");
  assert.match(
    s.stderr,
    /^listening on 127\.0\.0\.1:\d+\n127\.0\.0\.1 connected\n127\.0\.0\.1 disconnected\n$/,
  );
});

Deno.test("udp-server --stream talks only with its first client; udp-client --stream hears only its server", async () => {
  const { server, port } = await udpServer();
  await using _server = server;
  using first = peer(), stranger = peer();
  await first.sendto(encode("first 1\n"), ["127.0.0.1", port]);
  await server.waitFor("stderr", /127\.0\.0\.1 connected\n/);
  await stranger.sendto(encode("stranger\n"), ["127.0.0.1", port]);
  await first.sendto(encode("first 2\n"), ["127.0.0.1", port]);
  await server.write(encode("to the first\n"));
  const [reply] = await within(
    first.recvfrom(1024),
    WAIT_MS,
    "the server's line",
  );
  assert.equal(decode(reply), "to the first\n");
  await server.closeStdin();
  assert.equal((await server.finished()).code, 0);
  assert.equal(decode(server.stdoutBytes()), "first 1\nfirst 2\n");

  // The client's socket is connected: the kernel drops the stranger's.
  using fake = peer();
  await using client = udpClient(fake.getsockname()[1] as number);
  await client.write(encode("hello\n"));
  const [hello, from] = await within(
    fake.recvfrom(1024),
    WAIT_MS,
    "the client's line",
  );
  assert.equal(decode(hello), "hello\n");
  await stranger.sendto(encode("stranger\n"), from);
  await fake.sendto(encode("from the server\n"), from);
  await client.closeStdin();
  assert.equal((await client.finished()).code, 0);
  assert.equal(decode(client.stdoutBytes()), "from the server\n");
});

Deno.test("udp-server --stream --echo answers many senders at once with their own bytes; --max-message drops longer datagrams", async () => {
  const { server, port } = await udpServer(["--echo", "--max-message", "100"]);
  await using _server = server;
  const senders = Array.from({ length: 5 }, () => peer());
  try {
    await Promise.all(senders.map(async (sock, i) => {
      for (let n = 0; n < 20; n++) {
        const message = encode(`sender ${i} datagram ${n}`);
        await sock.sendto(message, ["127.0.0.1", port]);
        const [back] = await within(
          sock.recvfrom(1024),
          WAIT_MS,
          `echo ${i}/${n}`,
        );
        assert.deepEqual(back, message);
      }
    }));
    // Too long: dropped, so the next reply is the short one sent after it.
    const [sock] = senders;
    await sock.sendto(new Uint8Array(101), ["127.0.0.1", port]);
    await sock.sendto(encode("short"), ["127.0.0.1", port]);
    const [back] = await within(sock.recvfrom(1024), WAIT_MS, "the short echo");
    assert.equal(decode(back), "short");
  } finally {
    for (const sock of senders) sock.close();
  }
  assert.equal(server.stdoutBytes().length, 0); // It prints nothing per datagram.
});

Deno.test("udp-client --stream: --idle-timeout gives up in one line while input is open", async () => {
  using silent = peer();
  await using client = udpClient(silent.getsockname()[1] as number, [
    "--idle-timeout",
    "0.3",
  ]);
  await client.write(encode("anyone?\n"));
  const done = await client.finished();
  assert.equal(done.code, 1);
  assert.match(
    done.stderr,
    /^pysocket udp-client: no datagram from or to 127\.0\.0\.1:\d+ for 0\.3 s \(--idle-timeout\)\n$/,
  );
});

Deno.test("udp --stream: usage errors get one line and exit code 2", async () => {
  for (
    const [args, message] of [
      [["udp-client", "--stream", "--timeout", "1"], /use --idle-timeout/],
      [["udp-server", "--stream", "--json"], /--json cannot go there/],
      [["udp-client", "--idle-timeout", "1"], /applies to --stream/],
      [["udp-server", "--stream", "--unix", "/tmp/x.sock"], /Unix datagram/],
    ] as const
  ) {
    const done = await runPysocket([...args]);
    assert.equal(done.code, 2, `${args.join(" ")}: ${done.stderr}`);
    assert.match(done.stderr, message);
    assert.equal(done.stderr.trim().split("\n").length, 1);
  }
});

const ncat = needs("ncat");

Deno.test(
  `udp --stream with ncat -u, both ways round${ncat.why}`,
  { ignore: ncat.ignore },
  async () => {
    // ncat -u -l as the server, our client.
    const port = freePort();
    await using listener = new Child("ncat", [
      "-u",
      "-l",
      "-v",
      "127.0.0.1",
      String(port),
    ]);
    await listener.waitFor("stderr", /Listening on 127\.0\.0\.1:\d+/);
    await using client = udpClient(port);
    await client.write(encode("to ncat\n"));
    await listener.waitFor("stderr", /Connection from 127\.0\.0\.1/);
    await listener.write(encode("from ncat\n"));
    await waitForOutput(client, "from ncat\n");
    await client.closeStdin();
    assert.equal((await client.finished()).code, 0);
    assert.equal(decode(listener.stdoutBytes()), "to ncat\n");

    // Our server, ncat -u as the client.
    const { server, port: ours } = await udpServer();
    await using _server = server;
    await using nc = new Child("ncat", ["-u", "127.0.0.1", String(ours)]);
    await nc.write(encode("to pysocket\n"));
    await server.waitFor("stderr", /127\.0\.0\.1 connected\n/);
    await server.write(encode("from pysocket\n"));
    await waitForOutput(nc, "from pysocket\n");
    await server.closeStdin();
    assert.equal((await server.finished()).code, 0);
    assert.equal(decode(server.stdoutBytes()), "to pysocket\n");
  },
);

const py = needs("python");

Deno.test(
  `udp-server --stream answers the tutorial's Python client${py.why}`,
  { ignore: py.ignore },
  async () => {
    const { server, port } = await udpServer();
    await using _server = server;
    await server.write(encode("hello, python\n"));
    await server.closeStdin();
    await using client = pythonPeer("udp_client.py", [
      "127.0.0.1",
      String(port),
    ]);
    await client.write("hi\n");
    await client.waitFor("stdout", "server>hello, python\n");
    await client.write("exit\n");
    assert.equal((await client.finished()).code, 0);
    assert.equal((await server.finished()).code, 0);
    // The tutorial sends each line without a newline: the bytes as sent.
    assert.equal(decode(server.stdoutBytes()), "hiexit");
  },
);

/** Waits until `child`'s stdout ends with `text`. */
async function waitForOutput(child: Child, text: string): Promise<void> {
  await child.until(
    JSON.stringify(text),
    () => child.stdout.endsWith(text),
  );
}
