/**
 * `socketpair()`: the AF_UNIX pair (default where the system has it) and
 * the loopback TCP pair, both directions, end of stream, the errors for
 * what pysocket does not pair, and the permissions each kind needs, in
 * child processes with exact grants.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socket from "../../mod.ts";
import { rejectsWith } from "../_support/assert.ts";
import { text } from "../_support/data.ts";
import { recvAll, recvExactly } from "../_support/net.ts";
import { MOD_URL } from "../_support/paths.ts";
import { needs } from "../_support/platform.ts";
import { run } from "../_support/process.ts";
import { tempDir } from "../_support/temp_dir.ts";

const { bytes } = socket;
const unix = needs("unix-sockets");
const ipv6 = needs("ipv6");

async function exchange(a: socket.Socket, b: socket.Socket): Promise<void> {
  await a.sendall(bytes("to b"));
  assert.equal(text(await recvExactly(b, 4)), "to b");
  await b.sendall(bytes("to a"));
  assert.equal(text(await recvExactly(a, 4)), "to a");
  a.close();
  assert.equal((await recvAll(b)).length, 0);
  b.close();
}

Deno.test(
  `socketpair() with no arguments is an AF_UNIX pair that talks both ways, and leaves no file behind${unix.why}`,
  { ignore: unix.ignore },
  async () => {
    const before = new Set(
      [...Deno.readDirSync(Deno.env.get("TMPDIR") ?? "/tmp")].map((e) =>
        e.name
      ),
    );
    const [a, b] = await socket.socketpair();
    assert.equal(a.family, socket.AF_UNIX);
    assert.equal(b.family, socket.AF_UNIX);
    assert.equal(a.type, socket.SOCK_STREAM);
    const left = [...Deno.readDirSync(Deno.env.get("TMPDIR") ?? "/tmp")]
      .filter((e) =>
        e.name.startsWith("pysocket-pair-") && !before.has(e.name)
      );
    assert.deepEqual(left, []);
    await exchange(a, b);
  },
);

Deno.test("socketpair(AF_INET) is a loopback TCP pair: each end's peer is the other", async () => {
  const [a, b] = await socket.socketpair(socket.AF_INET);
  assert.equal(a.family, socket.AF_INET);
  assert.deepEqual(a.getpeername(), b.getsockname());
  assert.deepEqual(b.getpeername(), a.getsockname());
  assert.equal((a.getsockname() as [string, number])[0], "127.0.0.1");
  await exchange(a, b);
});

Deno.test(
  `socketpair(AF_INET6) pairs on ::1${ipv6.why}`,
  { ignore: ipv6.ignore },
  async () => {
    const [a, b] = await socket.socketpair(socket.AF_INET6);
    assert.equal((a.getsockname() as string[])[0], "::1");
    await exchange(a, b);
  },
);

Deno.test("socketpair() refuses datagram pairs, other families and protocols with ValueError", async () => {
  await rejectsWith(
    socket.socketpair(socket.AF_INET, socket.SOCK_DGRAM),
    socket.ValueError,
    { message: /SOCK_STREAM/ },
  );
  await rejectsWith(socket.socketpair(12345), socket.ValueError);
  await rejectsWith(
    socket.socketpair(socket.AF_INET, socket.SOCK_STREAM, 6),
    socket.ValueError,
  );
});

const PAIR = `
import * as socket from "${MOD_URL}";
const family = { unix: socket.AF_UNIX, inet: socket.AF_INET }[Deno.args[0]];
try {
  const [a, b] = await socket.socketpair(family);
  await a.sendall(socket.bytes("ok"));
  console.log(socket.str(await b.recv(16)));
  a.close();
  b.close();
} catch (err) {
  console.log(err.constructor.name, err.message);
}
`;

Deno.test("socketpair() permissions: AF_INET needs --allow-net=127.0.0.1; AF_UNIX needs read and write for the temp directory and unrestricted net", async () => {
  using dir = tempDir();
  const script = dir.join("pair.ts");
  Deno.writeTextFileSync(script, PAIR);
  const deno = (flags: string[], kind: string) =>
    run(Deno.execPath(), ["run", "--no-prompt", ...flags, script, kind], {
      cwd: dir.path,
    });
  const tmp = Deno.build.os === "windows"
    ? ""
    : "=" + (Deno.env.get("TMPDIR") ?? "/tmp");
  const runs = await Promise.all([
    deno(["--allow-net=127.0.0.1"], "inet"),
    deno([], "inet"),
    ...(unix.ignore ? [] : [
      deno(
        [`--allow-read${tmp}`, `--allow-write${tmp}`, "--allow-net"],
        "unix",
      ),
      deno([`--allow-read${tmp}`, `--allow-write${tmp}`], "unix"),
    ]),
  ]);
  for (const done of runs) assert.equal(done.code, 0, done.stderr);
  assert.equal(runs[0].stdout, "ok\n");
  assert.match(runs[1].stdout, /^PermissionError .*--allow-net/);
  if (!unix.ignore) {
    assert.equal(runs[2].stdout, "ok\n");
    assert.match(
      runs[3].stdout,
      /^PermissionError .*needs --allow-read, --allow-write and --allow-net .*AF_INET/,
    );
  }
});
