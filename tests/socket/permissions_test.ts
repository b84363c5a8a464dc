/**
 * pysocket inside Deno's permission sandbox: scripts written to a temp dir
 * (importing mod.ts by its absolute file URL) run with exact `--allow-net`
 * grants. What is granted works; what is not throws a `PermissionError`
 * naming the flag to add; importing the module asks for nothing.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socket from "../../mod.ts";
import { freePort } from "../_support/net.ts";
import { MOD_URL } from "../_support/paths.ts";
import { needs } from "../_support/platform.ts";
import { run } from "../_support/process.ts";
import { type TempDir, tempDir } from "../_support/temp_dir.ts";

const HOST = "127.0.0.1";
/** One of the attempts outside the grant binds an AF_UNIX socket. */
const unix = needs("unix-sockets");

const SERVE = `
import * as socket from "${MOD_URL}";
const [host, port] = [Deno.args[0], Number(Deno.args[1])];
using server = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
server.bind([host, port]);
server.listen(5);
using client = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
await client.connect([host, port]);
const [conn] = await server.accept();
await client.sendall(socket.bytes("ping", "utf-8"));
console.log(socket.str(await conn.recv(1024), "utf-8"));
conn.close();
`;

const OUTSIDE = `
import * as socket from "${MOD_URL}";
const [host, port, dir] = [Deno.args[0], Number(Deno.args[1]), Deno.args[2]];
const other = port === 65535 ? port - 1 : port + 1;
const attempts = {
  connect_other_port: () => socket.socket().connect([host, other]),
  bind_port_0: () => socket.socket().bind([host, 0]),
  create_connection_localhost: () => socket.create_connection(["localhost", port]),
  getaddrinfo_localhost: () => socket.getaddrinfo("localhost", port),
  gethostname: () => socket.gethostname(),
  unix_bind: () => socket.socket(socket.AF_UNIX).bind(dir + "/x.sock"),
};
for (const [name, attempt] of Object.entries(attempts)) {
  try {
    await attempt();
    console.log(JSON.stringify({ name, ok: true }));
  } catch (err) {
    console.log(JSON.stringify({
      name,
      class: err.constructor.name,
      isOSError: err instanceof socket.OSError,
      errno: err.errno,
      message: err.message,
    }));
  }
}
`;

const UNCAUGHT = `
import * as socket from "${MOD_URL}";
await socket.socket().connect([Deno.args[0], Number(Deno.args[1])]);
`;

const NO_PERMISSIONS = `
import * as socket from "${MOD_URL}";
using sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
using udp = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM);
sock.settimeout(1);
const checks = [
  sock.fileno() > 0,
  socket.inet_ntoa(socket.inet_aton("127.1")) === "127.0.0.1",
  socket.str(socket.bytes("é")) === "é",
  socket.errno.ECONNREFUSED > 0,
  (await socket.getaddrinfo("127.0.0.1", 80)).length === 3,
  udp.getsockname()[0] === "::",
];
console.log(checks.every(Boolean) ? "ok" : JSON.stringify(checks));
`;

const UDP = `
import * as socket from "${MOD_URL}";
const [host, port] = [Deno.args[0], Number(Deno.args[1])];
try {
  using sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
  sock.bind([host, port]);
  await sock.sendto(socket.bytes("to myself"), [host, port]);
  const [data, addr] = await sock.recvfrom(1024);
  console.log(socket.str(data), addr[1] === port);
} catch (err) {
  console.log(err.constructor.name, err.errno, err.message);
}
`;

const PORT_ZERO = `
import * as socket from "${MOD_URL}";
using a = socket.socket();
a.bind(["127.0.0.1", 0]);
a.listen(100);
using b = socket.create_server(["127.0.0.1", 0], { backlog: 100 });
const ports = [a, b].map((s) => s.getsockname()[1]);
console.log(ports.every((port) => port > 0) ? "listening" : ports);
`;

/** Writes the scripts into a fresh temp dir (which has no deno.json). */
function scripts(dir: TempDir): Record<string, string> {
  const files: Record<string, string> = {
    serve: SERVE,
    outside: OUTSIDE,
    uncaught: UNCAUGHT,
    none: NO_PERMISSIONS,
    udp: UDP,
    portZero: PORT_ZERO,
  };
  const paths: Record<string, string> = {};
  for (const [name, code] of Object.entries(files)) {
    paths[name] = dir.join(`${name}.ts`);
    Deno.writeTextFileSync(paths[name], code);
  }
  return paths;
}

/** `deno run --no-prompt FLAGS script ARGS` in the temp dir. */
function deno(dir: TempDir, flags: string[], script: string, args: string[]) {
  return run(
    Deno.execPath(),
    ["run", "--no-prompt", ...flags, script, ...args],
    {
      cwd: dir.path,
    },
  );
}

Deno.test("a script granted --allow-net=127.0.0.1:PORT serves and connects on that address", async () => {
  using dir = tempDir();
  const paths = scripts(dir);
  const port = freePort(HOST);
  const done = await deno(dir, [`--allow-net=${HOST}:${port}`], paths.serve, [
    HOST,
    String(port),
  ]);
  assert.equal(done.code, 0, done.stderr);
  assert.equal(done.stdout, "ping\n");
  assert.equal(done.stderr, "");
});

Deno.test(
  `outside its grant a script gets a PermissionError (an OSError, EACCES) naming the exact flag, not a crash${unix.why}`,
  { ignore: unix.ignore },
  async () => {
    using dir = tempDir();
    const paths = scripts(dir);
    const port = freePort(HOST);
    const other = port === 65535 ? port - 1 : port + 1;
    const done = await deno(
      dir,
      [`--allow-net=${HOST}:${port}`],
      paths.outside,
      [
        HOST,
        String(port),
        dir.path,
      ],
    );
    assert.equal(done.code, 0, done.stderr);
    const results = Object.fromEntries(
      done.stdout.trim().split("\n").map((line) => {
        const result = JSON.parse(line);
        return [result.name, result];
      }),
    );
    const expected: Record<string, string> = {
      connect_other_port: `--allow-net=${HOST}:${other}`,
      bind_port_0: `--allow-net=${HOST}:0`,
      create_connection_localhost: `--allow-net=localhost:${port}`,
      getaddrinfo_localhost: "--allow-net=localhost",
      gethostname: "--allow-sys=hostname",
      unix_bind: `--allow-read=${dir.path}/x.sock`,
    };
    for (const [name, flag] of Object.entries(expected)) {
      const result = results[name];
      assert.ok(result, `no result for ${name}:\n${done.stdout}`);
      assert.equal(
        result.class,
        "PermissionError",
        `${name}: ${result.message}`,
      );
      assert.equal(result.isOSError, true, name);
      assert.equal(result.errno, socket.errno.EACCES, name);
      assert.ok(
        result.message.endsWith(flag),
        `${name}: ${result.message} should end with ${flag}`,
      );
    }
  },
);

Deno.test("an uncaught refusal ends the script with PermissionError and the flag to add", async () => {
  using dir = tempDir();
  const paths = scripts(dir);
  const port = freePort(HOST);
  const done = await deno(
    dir,
    [`--allow-net=${HOST}:${port}`],
    paths.uncaught,
    [
      HOST,
      String(port + (port === 65535 ? -1 : 1)),
    ],
  );
  assert.equal(done.code, 1);
  assert.match(
    done.stderr,
    /^error: Uncaught \(in promise\) PermissionError: \[Errno \d+\] Permission denied: .*run again with --allow-net=127\.0\.0\.1:\d+\n/,
  );
});

Deno.test("importing mod.ts with no permissions at all asks for nothing, and calls that need none work", async () => {
  using dir = tempDir();
  const paths = scripts(dir);
  const done = await deno(dir, [], paths.none, []);
  assert.equal(done.code, 0, done.stderr);
  assert.equal(done.stdout, "ok\n");
  assert.equal(done.stderr, "");
});

Deno.test("UDP works with --unstable-net and an exact grant; without --unstable-net it is a clear OSError", async () => {
  using dir = tempDir();
  const paths = scripts(dir);
  const port = freePort(HOST);
  const args = [HOST, String(port)];
  const grant = `--allow-net=${HOST}:${port}`;
  const [stable, unstable] = await Promise.all([
    deno(dir, [grant], paths.udp, args),
    deno(dir, ["--unstable-net", grant], paths.udp, args),
  ]);
  assert.equal(unstable.code, 0, unstable.stderr);
  assert.equal(unstable.stdout, "to myself true\n");
  assert.equal(stable.code, 0, stable.stderr);
  assert.match(
    stable.stdout,
    new RegExp(`^OSError ${socket.errno.EOPNOTSUPP} .*--unstable-net`),
  );
});

Deno.test("listen(backlog) after bind to port 0 works when the grant names only port 0", async () => {
  using dir = tempDir();
  const paths = scripts(dir);
  const done = await deno(dir, [`--allow-net=${HOST}:0`], paths.portZero, []);
  assert.equal(done.code, 0, done.stderr);
  assert.equal(done.stdout, "listening\n");
});
