/**
 * The `pysocket` command with too few `deno run` flags: each program names
 * the exact flags it needs, in one line on stderr, and exits 1; a UDP
 * server that may not reply says so; UDP without `--unstable-net` says
 * that instead of failing with a trace.
 *
 * @module
 */

import assert from "node:assert/strict";
import { freePort, udpSocket } from "../_support/net.ts";
import { lines } from "../_support/process.ts";
import {
  assertOneLine,
  runPysocket,
  startServer,
} from "../_support/pysocket.ts";

const TCP_SERVER = ["tcp-server", "--host", "127.0.0.1", "--port", "0"];
const UDP_SERVER = ["udp-server", "--host", "127.0.0.1", "--port", "0"];
const NET_PORT0 = "--allow-net=127.0.0.1:0";

Deno.test("missing permissions: one line naming the exact flags, exit 1", async () => {
  const port = freePort();
  const cases: [string[], string[], string][] = [
    [
      ["--allow-net=127.0.0.1:1"],
      ["tcp-client", "--port", String(port)],
      `--allow-net=127.0.0.1:${port}`,
    ],
    [[], ["tcp-server"], "--allow-net=0.0.0.0:8888"],
    [[], [...TCP_SERVER], "--allow-net=127.0.0.1:0"],
    [
      [`--allow-net=127.0.0.1:${port}`],
      ["udp-client", "--port", String(port)],
      `--allow-net=127.0.0.1:${port},127.0.0.1:0`,
    ],
    [[], ["udp-server", "-6", "--host", "::1"], "--allow-net=[::1]"],
  ];
  for (const [flags, args, flag] of cases) {
    const done = await runPysocket(args, { flags, stdin: "hi\n" });
    assertOneLine(
      done,
      1,
      new RegExp(
        `^pysocket ${
          args[0]
        }: missing permission: Deno needs net access to "[^"]+"; run again with ${
          flag.replace(/[.[\]]/g, "\\$&")
        }\n$`,
      ),
    );
  }
});

Deno.test("udp-server without permission to reply says which flag it needs", async () => {
  const { server: srv, port } = await startServer([...UDP_SERVER, "--echo"], {
    flags: [NET_PORT0],
    listening: /^listening on \S*:(\d+)\n/,
  });
  await using _srv = srv;
  using client = udpSocket();
  await client.send(new TextEncoder().encode("hi"), {
    transport: "udp",
    hostname: "127.0.0.1",
    port,
  });
  const done = await srv.finished();
  assert.equal(done.code, 1);
  assert.match(
    lines(done.stderr).at(-1)!,
    /^pysocket udp-server: missing permission: Deno needs net access to "127\.0\.0\.1:\d+"; run again with --allow-net=127\.0\.0\.1$/,
  );
});

Deno.test("UDP without --unstable-net: one line that says so, exit 1", async () => {
  const done = await runPysocket([...UDP_SERVER], {
    flags: ["--no-config", NET_PORT0],
  });
  assertOneLine(done, 1, /^pysocket udp-server: .*--unstable-net/);
});
