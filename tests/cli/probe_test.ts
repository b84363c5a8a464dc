/**
 * `pysocket probe HOST PORTS` (`nc -z`): listening and closed ports with
 * the exit codes of `nc -z`, a port that does not answer in time, `--json`,
 * and bad port lists refused with exit 2. The ports are real sockets on
 * 127.0.0.1; the probe is a real process with exact permission flags.
 *
 * @module
 */

import assert from "node:assert/strict";
import { freePort } from "../_support/net.ts";
import { needs } from "../_support/platform.ts";
import { lines } from "../_support/process.ts";
import { assertOneLine, runPysocket } from "../_support/pysocket.ts";
import { pythonChild } from "../_support/python.ts";

const FLAGS = ["--allow-net=127.0.0.1"];

/** Listens on `count` ports of 127.0.0.1; returns them. */
function listeners(count: number): Deno.Listener[] {
  return Array.from(
    { length: count },
    () => Deno.listen({ hostname: "127.0.0.1", port: 0 }),
  );
}

const portOf = (listener: Deno.Listener) =>
  (listener.addr as Deno.NetAddr).port;

Deno.test("probe: open ports print in the order given, exit 0; closed ones only with -v", async () => {
  const open = listeners(3);
  try {
    const closed = [freePort(), freePort()];
    const order = [portOf(open[2]), closed[0], portOf(open[0]), closed[1]];
    // Options after the arguments, and a duplicate checked once.
    const list = [...order, portOf(open[1]), portOf(open[0])].join(",");
    const quiet = await runPysocket(["probe", "127.0.0.1", list], {
      flags: FLAGS,
    });
    assert.equal(quiet.code, 0, quiet.stderr);
    assert.equal(
      quiet.stdout,
      [order[0], order[2], portOf(open[1])].map((p) => `${p} open\n`).join(""),
    );
    assert.equal(quiet.stderr, "");
    const verbose = await runPysocket(
      ["probe", "127.0.0.1", list, "-v", "--concurrency", "2"],
      { flags: FLAGS },
    );
    assert.equal(verbose.code, 0, verbose.stderr);
    assert.deepEqual(lines(verbose.stdout), [
      `${order[0]} open`,
      `${order[1]} closed`,
      `${order[2]} open`,
      `${order[3]} closed`,
      `${portOf(open[1])} open`,
    ]);
    assert.equal(
      verbose.stderr,
      "3 open, 2 closed, 0 timed out of 5 ports on 127.0.0.1\n",
    );
  } finally {
    for (const listener of open) listener.close();
  }
});

Deno.test("probe: no open port exits 1, as nc -z does; a range of closed ports", async () => {
  const port = freePort();
  const done = await runPysocket(
    ["probe", "127.0.0.1", `${port}-${port}`],
    { flags: FLAGS },
  );
  assert.equal(done.code, 1, done.stderr);
  assert.equal(done.stdout, "");
  assert.equal(done.stderr, "");
});

Deno.test("probe --json: one port event per port, stdout only JSON", async () => {
  const [open] = listeners(1);
  try {
    const closed = freePort();
    const done = await runPysocket(
      // An option before the arguments.
      ["probe", "--json", "127.0.0.1", `${portOf(open)},${closed}`],
      { flags: FLAGS },
    );
    assert.equal(done.code, 0, done.stderr);
    assert.deepEqual(lines(done.stdout).map((line) => JSON.parse(line)), [
      { event: "port", host: "127.0.0.1", port: portOf(open), state: "open" },
      { event: "port", host: "127.0.0.1", port: closed, state: "closed" },
    ]);
  } finally {
    open.close();
  }
});

const py = needs("python", "quiet-closed-port");

/**
 * A listener whose backlog is full: Linux drops further connection
 * attempts without an answer, so they time out.
 */
const FULL_BACKLOG = `
import socket, sys, time
server = socket.socket()
server.bind(("127.0.0.1", 0))
server.listen(0)
port = server.getsockname()[1]
held = []
for _ in range(4):
    c = socket.socket()
    c.setblocking(False)
    c.connect_ex(("127.0.0.1", port))
    held.append(c)
time.sleep(0.5)
print("listening on 127.0.0.1:%d" % port, file=sys.stderr, flush=True)
time.sleep(60)
`;

Deno.test(
  `probe -v: a port that does not answer within --timeout is "timed out"${py.why}`,
  { ignore: py.ignore },
  async () => {
    await using full = pythonChild(FULL_BACKLOG, []);
    const port = Number(
      (await full.waitFor("stderr", /listening on .*:(\d+)\n/))[1],
    );
    const done = await runPysocket(
      ["probe", "127.0.0.1", String(port), "-v", "--timeout", "0.5"],
      { flags: FLAGS },
    );
    assert.equal(done.code, 1, done.stderr);
    assert.equal(done.stdout, `${port} timed out\n`);
  },
);

Deno.test("probe: bad port lists and more than 65,535 ports are one line, exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [["127.0.0.1"], /missing PORTS/],
    [[], /missing HOST/],
    [["127.0.0.1", "0"], /"0" is not a port/],
    [["127.0.0.1", "65536"], /"65536" is not a port/],
    [["127.0.0.1", "90-80"], /"90-80" is not a port .* LOW <= HIGH/],
    [["127.0.0.1", "22,,80"], /"" is not a port/],
    [["127.0.0.1", "1-65535,1"], /more than 65,535 ports/],
    [["127.0.0.1", "80", "--concurrency", "0"], /--concurrency must be/],
    [["127.0.0.1", "80", "--timeout=-1"], /--timeout must be/],
  ];
  for (const [args, pattern] of cases) {
    const done = await runPysocket(["probe", ...args], { flags: FLAGS });
    assertOneLine(done, 2, pattern);
  }
});

Deno.test("probe: without permission, one line naming the flag, exit 1", async () => {
  const done = await runPysocket(["probe", "127.0.0.1", "80"], {
    flags: ["--allow-net=127.0.0.1:1"],
  });
  assertOneLine(
    done,
    1,
    /^pysocket probe: missing permission: Deno needs net access to "127\.0\.0\.1:80"; run again with --allow-net=127\.0\.0\.1\n$/,
  );
});
