/**
 * The README's "netcat and socat users" table, run: each row's pysocket
 * command is run against loopback peers (Python programs, tinyproxy),
 * with the row's example values replaced by real ones (a free port for
 * `8080` and `8443`, a proxy for `1080` and `3128`, temporary files for
 * `file.bin`, `ca.pem`, `cert.pem`, `key.pem` and `/tmp/app.sock`), and
 * servers told `--host 127.0.0.1` when the row gives no host (tests never
 * listen on every address).
 *
 * Each pysocket program has a runner in {@linkcode RUNNERS}; a row whose
 * command starts with a program that has none is a failing test that
 * names the row, so no row goes untested. The relay rows put a Python
 * target behind the relay (a SOCKS5 proxy between them for `--proxy`) and
 * a Python client in front; the probe rows check a listening port and the
 * next; the flags rows run the command with exactly the flags printed.
 *
 * @module
 */

import assert from "node:assert/strict";
import { needs, type Skip } from "../_support/platform.ts";
import { Child } from "../_support/process.ts";
import { freePort, waitUntilBound } from "../_support/net.ts";
import {
  listeningPort,
  runPysocket,
  startServer,
} from "../_support/pysocket.ts";
import { ROOT } from "../_support/paths.ts";
import { pythonChild, pythonPeer } from "../_support/python.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { makeCerts } from "../_support/tls_certs.ts";

/** One row of the table. */
interface Row {
  task: string;
  theirs: string;
  ours: string;
}

/** A row's pysocket command, split. */
interface Command {
  env: Record<string, string>;
  program: string;
  args: string[];
  /** The file after `<`, if any. */
  stdinFile?: string;
}

const MARKER =
  "<!-- toolbox table: each row is run by tests/cli/toolbox_test.ts -->";

/** The rows of the table in README.md. */
function readRows(): Row[] {
  const readme = Deno.readTextFileSync(`${ROOT}README.md`);
  const start = readme.indexOf(MARKER);
  assert.notEqual(start, -1, `README.md has no ${MARKER}`);
  const rows: Row[] = [];
  for (
    const line of readme.slice(start + MARKER.length).trimStart().split("\n")
  ) {
    if (!line.startsWith("|")) break;
    const cells = line.split(/(?<!\\)\|/).slice(1, -1).map((c) => c.trim());
    if (cells[0] === "Task" || /^-+$/.test(cells[0])) continue;
    const [task, theirs, ours] = cells;
    rows.push({ task, theirs, ours: ours.replace(/^`|`$/g, "") });
  }
  return rows;
}

/** Splits `VAR=value pysocket PROGRAM ARGS [< FILE]`. */
function parseCommand(row: Row): Command {
  const words = row.ours.split(/\s+/);
  const env: Record<string, string> = {};
  while (/^[A-Z_]+=/.test(words[0])) {
    const [name, ...value] = words.shift()!.split("=");
    env[name] = value.join("=");
  }
  assert.equal(
    words.shift(),
    "pysocket",
    `README row "${row.task}": the command must start with pysocket`,
  );
  const program = words.shift() ?? "";
  const redirect = words.indexOf("<");
  const stdinFile = redirect === -1 ? undefined : words[redirect + 1];
  const args = redirect === -1 ? words : words.slice(0, redirect);
  return { env, program, args, stdinFile };
}

/** The value after `flag`, if given. */
function valueOf(args: string[], ...flags: string[]): string | undefined {
  const at = args.findIndex((arg) => flags.includes(arg));
  return at === -1 ? undefined : args[at + 1];
}

/** Sets the value after `flag`. */
function setValue(args: string[], flag: string, value: string): void {
  const at = args.indexOf(flag);
  if (at !== -1) args[at + 1] = value;
}

/** Python's `repr` of ASCII bytes, as the peers print them. */
function pyRepr(text: string): string {
  return `b'${
    text.replaceAll("\\", "\\\\").replaceAll("\r", "\\r").replaceAll(
      "\n",
      "\\n",
    ).replaceAll("'", "\\'")
  }'`;
}

const FLAGS = [
  "--unstable-net",
  "--allow-net=127.0.0.1,localhost",
  "--allow-read",
  "--allow-write",
  "--allow-env=PYSOCKET_PROXY_AUTH",
];
const INPUT = "line one\nline two\n";

/**
 * A TCP (or Unix) server the client rows talk to: sends `banner\n`, reads
 * until end of stream or 2 s of silence, prints `got <bytes>`, answers them
 * upper-cased, and closes (ending TLS with close_notify).
 */
function targetPeer(where: string, cert?: string, key?: string): Child {
  return pythonChild(
    `import socket, ssl, sys
where = sys.argv[1]
if where.startswith("/"):
    s = socket.socket(socket.AF_UNIX)
    s.bind(where)
    s.listen()
    print("listening on %s" % where, file=sys.stderr)
else:
    s = socket.create_server(("127.0.0.1", 0))
    print("listening on 127.0.0.1:%d" % s.getsockname()[1], file=sys.stderr)
conn, _ = s.accept()
if len(sys.argv) > 2:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[2], sys.argv[3])
    conn = context.wrap_socket(conn, server_side=True)
conn.sendall(b"banner\\n")
conn.settimeout(2)
data = b""
try:
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        data += chunk
except (TimeoutError, OSError):
    pass
print("got %r" % data)
try:
    conn.sendall(data.upper())
    if isinstance(conn, ssl.SSLSocket):
        conn = conn.unwrap()
    conn.close()
except (OSError, ValueError):
    pass`,
    [where, ...(cert ? [cert, key!] : [])],
  );
}

/** A client of the server rows: sends a line, reads to the end, prints it. */
function clientPeer(port: number, line: string, echo: boolean, ca?: string) {
  return pythonChild(
    `import socket, ssl, sys
port, line, echo = int(sys.argv[1]), sys.argv[2].encode(), sys.argv[3] == "1"
conn = socket.create_connection(("127.0.0.1", port), timeout=10)
if len(sys.argv) > 4:
    context = ssl.create_default_context(cafile=sys.argv[4])
    conn = context.wrap_socket(conn, server_hostname="localhost")
conn.sendall(line)
if echo:
    conn.shutdown(socket.SHUT_WR)
data = b""
while True:
    chunk = conn.recv(65536)
    if not chunk:
        break
    data += chunk
print("reply %r" % data)
if isinstance(conn, ssl.SSLSocket):
    conn = conn.unwrap()
elif not echo:
    conn.shutdown(socket.SHUT_WR)
conn.close()`,
    [String(port), line, echo ? "1" : "0", ...(ca ? [ca] : [])],
  );
}

/** Runs one row's command; the command's program chose the runner. */
type Runner = (row: Row, command: Command) => Promise<void>;

/** What a program's rows need from the system, and how they run. */
interface ProgramRunner {
  needs: (command: Command) => Skip;
  run: Runner;
}

const python = () => needs("python");

/** `tcp-client` rows: a target peer, and a proxy when the row has one. */
const tcpClient: ProgramRunner = {
  needs(command) {
    const type = valueOf(command.args, "--proxy-type");
    if (valueOf(command.args, "--proxy") && type !== "socks5") {
      return needs("python", "proc", "tinyproxy");
    }
    if (command.args.includes("--tls")) return needs("python", "openssl");
    if (command.args.includes("--unix")) return needs("python", "unix-sockets");
    return python();
  },
  async run(row, command) {
    using dir = tempDir();
    const args = [...command.args];
    const tls = args.includes("--tls");
    const certs = tls ? await makeCerts() : null;
    if (certs) setValue(args, "--ca", certs.caCert);
    const unix = valueOf(args, "--unix");
    const where = unix ? dir.join("app.sock") : "tcp";
    if (unix) setValue(args, "--unix", where);
    await using peer = targetPeer(
      where,
      certs?.serverCert,
      certs?.serverKey,
    );
    if (unix) await peer.waitFor("stderr", "listening on");
    else setValue(args, "--port", String(await listeningPort(peer)));
    // The proxy the row names.
    const proxyType = valueOf(args, "--proxy-type") ?? "http";
    let proxy: Child | null = null;
    if (valueOf(args, "--proxy")) {
      if (proxyType === "socks5") {
        const login = command.env.PYSOCKET_PROXY_AUTH;
        proxy = pythonPeer(
          "socks5_proxy.py",
          ["127.0.0.1", "0", ...(login ? [login] : [])],
        );
        setValue(args, "--proxy", `127.0.0.1:${await listeningPort(proxy)}`);
      } else {
        const port = freePort();
        const conf = dir.join("tinyproxy.conf");
        Deno.writeTextFileSync(
          conf,
          `Port ${port}\nListen 127.0.0.1\nTimeout 30\nAllow 127.0.0.1\nLogLevel Connect\n`,
        );
        proxy = new Child("tinyproxy", ["-d", "-c", conf]);
        await waitUntilBound(port, "tcp", proxy);
        setValue(args, "--proxy", `127.0.0.1:${port}`);
      }
    }
    await using _proxy = proxy ?? { [Symbol.asyncDispose]: async () => {} };
    let stdin = INPUT;
    if (command.stdinFile) {
      const file = dir.join("file.bin");
      Deno.writeTextFileSync(file, INPUT);
      stdin = Deno.readTextFileSync(file);
    }
    const done = await runPysocket([command.program, ...args], {
      stdin,
      env: command.env,
      flags: unix
        ? FLAGS.map((flag) =>
          flag.startsWith("--allow-net=") ? `${flag},unix:${where}` : flag
        )
        : FLAGS,
    });
    assert.equal(done.code, 0, `row "${row.task}": ${done.stderr}`);
    const recvOnly = args.includes("--recv-only");
    const crlf = args.includes("--crlf") || args.includes("-C");
    const sent = recvOnly ? "" : crlf ? INPUT.replaceAll("\n", "\r\n") : INPUT;
    await peer.waitFor("stdout", `got ${pyRepr(sent)}\n`);
    if (args.includes("--send-only")) assert.equal(done.stdout, "");
    else if (valueOf(args, "--quit-after-eof", "-q")) {
      // It may end before the answer comes.
      assert.match(done.stdout, /^banner\n/);
    } else assert.equal(done.stdout, `banner\n${sent.toUpperCase()}`);
    if (args.includes("--hexdump")) {
      assert.match(done.stderr, /^> \S+ 18 bytes\n00000000 {2}6c 69 6e 65 /m);
      // The banner may come alone or with the answer, in one read.
      assert.match(done.stderr, /^< \S+ \d+ bytes\n00000000 {2}62 61 6e /m);
    }
    if (args.includes("-v") || args.includes("--verbose")) {
      assert.match(done.stderr, /^\* connected to /m);
      assert.match(done.stderr, /^\* closed .*: sent 18 bytes/m);
    }
    if (proxy && proxyType === "socks5") {
      await proxy.waitFor("stdout", /CONNECT 127\.0\.0\.1 \d+/);
      if (command.env.PYSOCKET_PROXY_AUTH) {
        await proxy.waitFor("stdout", "LOGIN ok");
      }
    } else if (proxy) {
      await proxy.until(
        "tinyproxy's CONNECT line",
        () => /CONNECT 127\.0\.0\.1:\d+ HTTP/.test(proxy.stdout + proxy.stderr),
      );
    }
  },
};

/** `tcp-server` rows: Python clients, one, two in turn, or an echo. */
const tcpServer: ProgramRunner = {
  needs(command) {
    return command.args.includes("--tls")
      ? needs("python", "openssl")
      : python();
  },
  async run(row, command) {
    const args = [...command.args];
    setValue(args, "--port", "0");
    if (!valueOf(args, "--host")) args.push("--host", "127.0.0.1");
    const certs = args.includes("--tls") ? await makeCerts() : null;
    if (certs) {
      setValue(args, "--cert", certs.serverCert);
      setValue(args, "--key", certs.serverKey);
    }
    const echo = args.includes("--echo");
    const keepOpen = args.includes("--keep-open") || args.includes("-k");
    const { server, port } = await startServer([command.program, ...args], {
      flags: FLAGS,
    });
    await using _server = server;
    if (!echo) {
      await server.write("from server\n");
      await server.closeStdin();
    }
    const ask = async (line: string) => {
      await using peer = clientPeer(port, line, echo, certs?.caCert);
      const match = await peer.waitFor("stdout", /reply (.*)\n/);
      return match[1];
    };
    assert.equal(
      await ask("line one\n"),
      pyRepr(echo ? "line one\n" : "from server\n"),
      `row "${row.task}"`,
    );
    if (!echo && !keepOpen) {
      const done = await server.finished();
      assert.equal(done.code, 0, `row "${row.task}": ${done.stderr}`);
      assert.equal(done.stdout, "line one\n");
      return;
    }
    // The next client is served too (stdin has ended: it gets no bytes).
    assert.equal(await ask("line two\n"), pyRepr(echo ? "line two\n" : ""));
    await server.waitFor("stderr", /disconnected\n(.|\n)*disconnected\n/);
    assert.equal(server.exited, false, `row "${row.task}": it stopped`);
    if (!echo) assert.equal(server.stdout, "line one\nline two\n");
    server.kill("SIGTERM");
    assert.equal((await server.finished()).code, 143);
  },
};

/** `udp-client` rows: a Python UDP server that answers the first datagram. */
const udpClient: ProgramRunner = {
  needs: python,
  async run(row, command) {
    const args = [...command.args];
    await using peer = pythonChild(
      `import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("listening on 127.0.0.1:%d" % s.getsockname()[1], file=sys.stderr)
data, sender = s.recvfrom(65536)
print("got %r" % data)
s.sendto(b"from server\\n", sender)`,
    );
    setValue(args, "--port", String(await listeningPort(peer)));
    const done = await runPysocket([command.program, ...args], {
      stdin: "line one\n",
      flags: FLAGS,
    });
    assert.equal(done.code, 0, `row "${row.task}": ${done.stderr}`);
    assert.equal(done.stdout, "from server\n");
    await peer.waitFor("stdout", `got ${pyRepr("line one\n")}`);
  },
};

/** `udp-server` rows: a Python UDP client sends a line, reads the answer. */
const udpServer: ProgramRunner = {
  needs: python,
  async run(row, command) {
    const args = [...command.args];
    setValue(args, "--port", "0");
    if (!valueOf(args, "--host")) args.push("--host", "127.0.0.1");
    const { server, port } = await startServer([command.program, ...args], {
      flags: FLAGS,
      stdin: "from server\n",
    });
    await using _server = server;
    await using peer = pythonChild(
      `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))  # Tests never listen on the wildcard.
s.settimeout(10)
s.sendto(b"line one\\n", ("127.0.0.1", ${port}))
print("reply %r" % s.recvfrom(65536)[0])`,
    );
    await peer.waitFor("stdout", `reply ${pyRepr("from server\n")}`);
    await server.waitFor("stdout", "line one\n");
    const done = await server.finished();
    assert.equal(done.code, 0, `row "${row.task}": ${done.stderr}`);
  },
};

/** `relay` rows: a target peer behind the relay, a Python client in front. */
const relay: ProgramRunner = {
  needs(command) {
    return command.args.some((arg) => arg === "--tls" || arg.startsWith("tls:"))
      ? needs("python", "openssl")
      : python();
  },
  async run(_row, command) {
    const args = [...command.args];
    const [listen, target] = args;
    if (listen.startsWith("udp:")) {
      // An upper-casing UDP peer behind the relay.
      await using peer = pythonChild(
        `import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
print("listening on 127.0.0.1:%d" % s.getsockname()[1], file=sys.stderr)
data, sender = s.recvfrom(65536)
print("got %r" % data)
s.sendto(data.upper(), sender)`,
      );
      args[0] = "udp:127.0.0.1:0";
      args[1] = `udp:127.0.0.1:${await listeningPort(peer)}`;
      const { server, port } = await startServer([command.program, ...args], {
        flags: FLAGS,
      });
      await using _server = server;
      await using client = pythonChild(
        `import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(10)
s.sendto(b"line one\\n", ("127.0.0.1", ${port}))
print("reply %r" % s.recvfrom(65536)[0])`,
      );
      await client.waitFor("stdout", `reply ${pyRepr("LINE ONE\n")}`);
      await peer.waitFor("stdout", `got ${pyRepr("line one\n")}`);
      return;
    }
    const tlsListen = args.includes("--tls");
    const tlsTarget = target.startsWith("tls:");
    const certs = tlsListen || tlsTarget ? await makeCerts() : null;
    if (certs) {
      setValue(args, "--cert", certs.serverCert);
      setValue(args, "--key", certs.serverKey);
      setValue(args, "--ca", certs.caCert);
    }
    await using peer = targetPeer(
      "tcp",
      tlsTarget ? certs!.serverCert : undefined,
      tlsTarget ? certs!.serverKey : undefined,
    );
    args[0] = "127.0.0.1:0";
    args[1] = target.replace(/:\d+$/, `:${await listeningPort(peer)}`);
    let proxy: Child | null = null;
    if (valueOf(args, "--proxy")) {
      proxy = pythonPeer("socks5_proxy.py", ["127.0.0.1", "0"]);
      setValue(args, "--proxy", `127.0.0.1:${await listeningPort(proxy)}`);
    }
    await using _proxy = proxy ?? { [Symbol.asyncDispose]: async () => {} };
    const { server, port } = await startServer([command.program, ...args], {
      flags: FLAGS,
    });
    await using _server = server;
    // A TLS client ends its side with close_notify only as it closes:
    // it waits for the target's answer (sent after 2 s of silence).
    await using client = clientPeer(
      port,
      "line one\n",
      !tlsListen,
      tlsListen ? certs!.caCert : undefined,
    );
    await client.waitFor("stdout", `reply ${pyRepr("banner\nLINE ONE\n")}`);
    await peer.waitFor("stdout", `got ${pyRepr("line one\n")}`);
    await server.waitFor(
      "stderr",
      /session ended \(9 bytes from the client, 16 from the target\)\n/,
    );
    if (args.includes("--hexdump")) {
      assert.match(server.stderr, /^< \S+ 9 bytes\n00000000 {2}6c 69 6e 65 /m);
      assert.match(
        server.stderr,
        /^> 127\.0\.0\.1:\d+ 9 bytes\n00000000 {2}6c 69 6e 65 /m,
      );
    }
    if (proxy) await proxy.waitFor("stdout", /CONNECT 127\.0\.0\.1 \d+/);
  },
};

/** `probe` rows: 8080 stands for a listening port, 8081 for the next one. */
const probe: ProgramRunner = {
  needs: () => needs(),
  async run(row, command) {
    using open = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (open.addr as Deno.NetAddr).port;
    const args = command.args.map((arg) =>
      arg.replaceAll("8081", String(port + 1)).replaceAll("8080", String(port))
    );
    const done = await runPysocket([command.program, ...args], {
      flags: FLAGS,
    });
    assert.equal(done.code, 0, `row "${row.task}": ${done.stderr}`);
    if (args.includes("-v") && command.args.some((a) => a.includes("8081"))) {
      // The next port is closed unless another program happens to use it.
      assert.match(
        done.stdout,
        new RegExp(`^${port} open\\n${port + 1} (closed|open)\\n$`),
      );
      assert.match(done.stderr, /of 2 ports on 127\.0\.0\.1\n$/);
    } else assert.equal(done.stdout, `${port} open\n`);
  },
};

/** `flags` rows: exactly the printed flags run the command they are for. */
const flags: ProgramRunner = {
  needs: () => needs(),
  async run(row, command) {
    const port = freePort();
    const args = command.args.map((arg) => arg.replace("8080", String(port)));
    const printed = await runPysocket([command.program, ...args], {
      flags: [],
    });
    assert.equal(printed.code, 0, `row "${row.task}": ${printed.stderr}`);
    const { server } = await startServer(args, {
      flags: ["--no-config", ...printed.stdout.trim().split(" ")],
    });
    await using _server = server;
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    try {
      const buffer = new Uint8Array(64);
      const n = await conn.read(buffer);
      assert.ok(n !== null, `row "${row.task}": no greeting`);
      assert.equal(new TextDecoder().decode(buffer.subarray(0, n)), "hello");
    } finally {
      conn.close();
    }
  },
};

/** The runner of each pysocket program that rows may use. */
const RUNNERS: Record<string, ProgramRunner> = {
  "tcp-client": tcpClient,
  "tcp-server": tcpServer,
  "udp-client": udpClient,
  "udp-server": udpServer,
  relay,
  probe,
  flags,
};

const ROWS = readRows();

Deno.test("the README's toolbox table has its rows, each a pysocket command with a runner", () => {
  assert.ok(ROWS.length >= 20, `only ${ROWS.length} rows`);
  for (const row of ROWS) {
    const { program } = parseCommand(row);
    assert.ok(
      Object.hasOwn(RUNNERS, program),
      `README row "${row.task}": no runner for the program "${program}"; add one to RUNNERS in tests/cli/toolbox_test.ts`,
    );
  }
});

for (const row of ROWS) {
  const command = parseCommand(row);
  const runner = Object.hasOwn(RUNNERS, command.program)
    ? RUNNERS[command.program]
    : null;
  // A row without a runner fails in the test above, by name.
  if (!runner) continue;
  const skip = runner.needs(command);
  Deno.test(
    `README row "${row.task}": ${row.ours}${skip.why}`,
    { ignore: skip.ignore },
    () => runner.run(row, command),
  );
}
