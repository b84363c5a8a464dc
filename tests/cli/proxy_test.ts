/**
 * `tcp-client --proxy HOST:PORT --proxy-type socks5|http`: through real
 * proxies started on loopback with their own temporary configuration
 * (tinyproxy for HTTP CONNECT, dante's danted for SOCKS5), and through a
 * small Python SOCKS5 proxy (tests/peers/socks5_proxy.py) for the login
 * path, which danted ties to the system's user accounts.
 *
 * @module
 */

import assert from "node:assert/strict";
import { needs } from "../_support/platform.ts";
import { Child } from "../_support/process.ts";
import { freePort, waitUntilBound } from "../_support/net.ts";
import {
  assertOneLine,
  listeningPort,
  pysocket,
  runPysocket,
  startServer,
} from "../_support/pysocket.ts";
import { pythonChild, pythonPeer } from "../_support/python.ts";
import { makeCerts } from "../_support/tls_certs.ts";
import { tempDir } from "../_support/temp_dir.ts";

/** The upper-casing peer (tests/peers/upper_peer.py) on a port of its own. */
async function upperPeer(
  ...mode: string[]
): Promise<{ peer: Child; port: number }> {
  const peer = pythonPeer("upper_peer.py", ["127.0.0.1", "0", ...mode]);
  return { peer, port: await listeningPort(peer) };
}

/** Starts a proxy from its config file and waits until it listens. */
async function startProxy(
  command: string,
  args: string[],
  port: number,
): Promise<Child> {
  const proxy = new Child(command, args);
  await waitUntilBound(port, "tcp", proxy);
  return proxy;
}

const tiny = needs("proc", "python", "tinyproxy");

Deno.test(
  `--proxy-type http: the bytes cross tinyproxy's CONNECT tunnel both ways, with only the proxy's address allowed${tiny.why}`,
  { ignore: tiny.ignore },
  async () => {
    using dir = tempDir();
    const proxyPort = freePort();
    const conf = dir.join("tinyproxy.conf");
    Deno.writeTextFileSync(
      conf,
      `Port ${proxyPort}\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nLogLevel Connect\nMaxClients 5\n`,
    );
    await using proxy = await startProxy(
      "tinyproxy",
      ["-d", "-c", conf],
      proxyPort,
    );
    // tinyproxy hangs up both ways when one side shuts down, so the client
    // keeps its side open (--no-shutdown) and the peer answers the first
    // line without waiting for the end of the stream, then closes.
    const { peer, port } = await upperPeer("1", "line");
    await using _peer = peer;
    const done = await runPysocket(
      [
        "tcp-client",
        "--stream",
        "--port",
        String(port),
        "--proxy",
        `127.0.0.1:${proxyPort}`,
        "--proxy-type",
        "http",
        "--no-shutdown",
      ],
      {
        stdin: "through http\n",
        flags: [`--allow-net=127.0.0.1:${proxyPort}`],
      },
    );
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, "banner\nTHROUGH HTTP\n");
    assert.equal(done.stderr, "");
    await peer.waitFor("stdout", /got b'through http\\n'/);
    assert.match(
      proxy.stdout + proxy.stderr,
      new RegExp(`CONNECT 127\\.0\\.0\\.1:${port} HTTP/1\\.1`),
    );
  },
);

const dante = needs("proc", "python", "danted");

Deno.test(
  `--proxy-type socks5: danted resolves the target name localhost and carries the bytes; -v names the proxy${dante.why}`,
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
    await using _proxy = await startProxy(
      "danted",
      ["-f", conf, "-p", dir.join("danted.pid")],
      proxyPort,
    );
    const { peer, port } = await upperPeer();
    await using _peer = peer;
    const done = await runPysocket(
      [
        "tcp-client",
        "--stream",
        "--host",
        "localhost",
        "--port",
        String(port),
        "--proxy",
        `127.0.0.1:${proxyPort}`,
        "--proxy-type",
        "socks5",
        "-v",
      ],
      {
        stdin: "through socks\n",
        flags: [`--allow-net=127.0.0.1:${proxyPort}`],
      },
    );
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, "banner\nTHROUGH SOCKS\n");
    assert.match(
      done.stderr,
      new RegExp(
        `^\\* SOCKS5 proxy 127\\.0\\.0\\.1:${proxyPort} connected us to localhost:${port}\n`,
      ),
    );
    assert.match(
      done.stderr,
      new RegExp(`\\* closed localhost:${port}: sent 14 bytes, received 21\n$`),
    );
  },
);

const py = needs("python");

/** The Python SOCKS5 proxy, wanting `login` (`user:password`) if given. */
async function pythonProxy(
  login?: string,
): Promise<{ proxy: Child; port: number }> {
  const proxy = pythonPeer(
    "socks5_proxy.py",
    ["127.0.0.1", "0", ...(login ? [login] : [])],
  );
  return { proxy, port: await listeningPort(proxy) };
}

function socksArgs(port: number, proxyPort: number): string[] {
  return [
    "tcp-client",
    "--stream",
    "--port",
    String(port),
    "--proxy",
    `127.0.0.1:${proxyPort}`,
    "--proxy-type",
    "socks5",
  ];
}

Deno.test(
  `--proxy-type socks5: the login comes from PYSOCKET_PROXY_AUTH, read with --allow-env for that one variable${py.why}`,
  { ignore: py.ignore },
  async () => {
    const { proxy, port: proxyPort } = await pythonProxy("alice:s3:cret");
    await using _proxy = proxy;
    const { peer, port } = await upperPeer();
    await using _peer = peer;
    const done = await runPysocket(socksArgs(port, proxyPort), {
      stdin: "logged in\n",
      env: { PYSOCKET_PROXY_AUTH: "alice:s3:cret" },
      flags: [
        `--allow-net=127.0.0.1:${proxyPort}`,
        "--allow-env=PYSOCKET_PROXY_AUTH",
      ],
    });
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, "banner\nLOGGED IN\n");
    await proxy.waitFor("stdout", /LOGIN ok alice\nCONNECT 127\.0\.0\.1 \d+/);
  },
);

Deno.test(
  `--proxy-type socks5: a proxy that wants a login it did not get, or refuses the one given, is one line naming PYSOCKET_PROXY_AUTH, exit 1${py.why}`,
  { ignore: py.ignore },
  async () => {
    const { proxy, port: proxyPort } = await pythonProxy("alice:right");
    await using _proxy = proxy;
    const flags = [
      `--allow-net=127.0.0.1:${proxyPort}`,
      "--allow-env=PYSOCKET_PROXY_AUTH",
    ];
    const none = await runPysocket(socksArgs(9, proxyPort), { flags });
    assertOneLine(
      none,
      1,
      /^pysocket tcp-client: cannot connect to 127\.0\.0\.1:9: the SOCKS5 proxy at 127\.0\.0\.1:\d+ accepts none of our login methods: set PYSOCKET_PROXY_AUTH=user:password and let deno read it with --allow-env=PYSOCKET_PROXY_AUTH\n$/,
    );
    const wrong = await runPysocket(socksArgs(9, proxyPort), {
      flags,
      env: { PYSOCKET_PROXY_AUTH: "alice:wrong" },
    });
    assertOneLine(
      wrong,
      1,
      /: the SOCKS5 proxy at 127\.0\.0\.1:\d+ refused the login: check the user name and password in PYSOCKET_PROXY_AUTH\n$/,
    );
    await proxy.waitFor("stdout", /LOGIN bad alice/);
  },
);

Deno.test(
  `--proxy: a target that refuses, and a proxy that is not there, are one line each, exit 1${py.why}`,
  { ignore: py.ignore },
  async () => {
    const { proxy, port: proxyPort } = await pythonProxy();
    await using _proxy = proxy;
    const closed = freePort();
    const refused = await runPysocket(socksArgs(closed, proxyPort), {
      flags: [`--allow-net=127.0.0.1:${proxyPort}`],
    });
    assertOneLine(
      refused,
      1,
      new RegExp(
        `^pysocket tcp-client: cannot connect to 127\\.0\\.0\\.1:${closed}: the SOCKS5 proxy at 127\\.0\\.0\\.1:${proxyPort} could not connect to 127\\.0\\.0\\.1:${closed}: connection refused by the target\n$`,
      ),
    );
    const nowhere = freePort();
    const absent = await runPysocket(socksArgs(closed, nowhere), {
      flags: [`--allow-net=127.0.0.1:${nowhere}`],
    });
    assertOneLine(
      absent,
      1,
      /: cannot reach the proxy at 127\.0\.0\.1:\d+: connection refused \(check --proxy\)\n$/,
    );
  },
);

Deno.test("--proxy without permission for the proxy: the hint names the proxy's address, not the target's", async () => {
  const done = await runPysocket(
    ["tcp-client", "--stream", "--port", "9", "--proxy", "127.0.0.1:1080"],
    { flags: ["--allow-net=127.0.0.1:9"] },
  );
  assertOneLine(
    done,
    1,
    /missing permission: .*run again with --allow-net=127\.0\.0\.1:1080 --allow-env=PYSOCKET_PROXY_AUTH\n$/,
  );
});

Deno.test("--proxy and --proxy-type: each bad value is one line, exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [
      ["--proxy", "localhost"],
      /--proxy must be HOST:PORT \(\[ADDRESS\]:PORT for IPv6\), port 1 to 65535, got "localhost"/,
    ],
    [["--proxy", "127.0.0.1:0"], /--proxy must be HOST:PORT/],
    [["--proxy", "::1:1080"], /--proxy must be HOST:PORT/],
    [
      ["--proxy", "127.0.0.1:1080", "--proxy-type", "socks4"],
      /--proxy-type must be socks5 or http, got "socks4"/,
    ],
    [["--proxy-type", "http"], /--proxy-type needs --proxy HOST:PORT/],
    [
      ["--proxy", "[::1]:1080", "--unix", "/tmp/x.sock"],
      /--proxy reaches TCP servers, not --unix/,
    ],
  ];
  for (const [args, pattern] of cases) {
    const done = await runPysocket(["tcp-client", "--stream", ...args]);
    assertOneLine(done, 2, pattern);
  }
});

const pyTls = needs("python", "openssl");

Deno.test(
  `--tls through a SOCKS5 proxy: the certificate is checked for --host, end to end through the tunnel${pyTls.why}`,
  { ignore: pyTls.ignore },
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
      ],
      { flags: ["--allow-net=127.0.0.1", "--allow-read"] },
    );
    await using _server = server;
    const { proxy, port: proxyPort } = await pythonProxy();
    await using _proxy = proxy;
    await using client = pysocket(
      [
        "tcp-client",
        "--stream",
        "--tls",
        "--ca",
        certs.caCert,
        "--host",
        "localhost",
        "--port",
        String(port),
        "--proxy",
        `127.0.0.1:${proxyPort}`,
        "--proxy-type",
        "socks5",
      ],
      {
        flags: [`--allow-net=127.0.0.1:${proxyPort}`, "--allow-read"],
        stdin: "sealed\n",
      },
    );
    await server.waitFor("stdout", "sealed\n");
    await server.write("reply\n");
    await server.closeStdin();
    const [c, s] = await Promise.all([client.finished(), server.finished()]);
    assert.equal(c.code, 0, c.stderr);
    assert.equal(s.code, 0, s.stderr);
    assert.equal(c.stdout, "reply\n");
    await proxy.waitFor("stdout", `CONNECT localhost ${port}`);
  },
);

Deno.test(
  `--timeout bounds the proxy's answer: a proxy that accepts and never speaks is one line, exit 1${py.why}`,
  { ignore: py.ignore },
  async () => {
    // Listening, never accepting: the kernel completes the connection, and
    // nobody ever answers the greeting.
    await using mute = pythonChild(
      `import socket, sys, time
s = socket.create_server(("127.0.0.1", 0))
print("listening on 127.0.0.1:%d" % s.getsockname()[1], file=sys.stderr)
time.sleep(60)`,
    );
    const proxyPort = await listeningPort(mute);
    for (const type of ["socks5", "http"]) {
      const done = await runPysocket(
        [
          "tcp-client",
          "--stream",
          "--port",
          "9",
          "--proxy",
          `127.0.0.1:${proxyPort}`,
          "--proxy-type",
          type,
          "--timeout",
          "1",
        ],
        { flags: [`--allow-net=127.0.0.1:${proxyPort}`] },
      );
      assertOneLine(
        done,
        1,
        new RegExp(
          `^pysocket tcp-client: cannot connect to 127\\.0\\.0\\.1:9: the proxy at 127\\.0\\.0\\.1:${proxyPort} did not answer within 1 s\n$`,
        ),
      );
    }
  },
);
