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
import { Child, lines } from "../_support/process.ts";
import { MOD_URL } from "../_support/paths.ts";
import { tempDir } from "../_support/temp_dir.ts";
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

/**
 * A program run in a child with `flags`: `body` starts a server from code
 * with the command line's mark to give up outgoing permission (`mark`
 * true) or without it, and code inside the session's handler (its
 * `onEvent` for `connected`, called in the session) tries to connect to
 * `127.0.0.1:OUT` and prints what happened.
 */
async function connectFromSession(
  program: "tcp_server" | "relay",
  options: string,
  mark: boolean,
  flags: string[],
  clientPort: number,
  outPort: number,
): Promise<string> {
  using dir = tempDir();
  const script = dir.join("session.ts");
  Deno.writeTextFileSync(
    script,
    `
import { create_connection, PermissionError } from "${MOD_URL}";
import { ${
      program === "relay" ? "relay as start" : "tcpServer as start"
    } } from "${new URL(`../../lib/cli/${program}.ts`, import.meta.url).href}";
import { GIVE_UP_OUTGOING } from "${
      new URL("../../lib/cli/_plan.ts", import.meta.url).href
    }";
const stop = new AbortController();
start({ ${options}, ${mark ? "[GIVE_UP_OUTGOING]: true" : ""} } as never, {
  signal: stop.signal,
  stdout: () => {},
  onEvent: (e) => {
    if (e.event === "listening") console.error("listening on " + e.address);
    if (e.event !== "connected") return;
    create_connection(["127.0.0.1", ${outPort}]).then((sock) => {
      sock.close();
      console.log("connected out");
    }, (err) => {
      console.log(err instanceof PermissionError ? "PermissionError" : String(err));
    }).finally(() => stop.abort());
  },
});
`,
  );
  await using child = new Child(Deno.execPath(), [
    "run",
    "--no-prompt",
    "--no-config",
    ...flags,
    script,
  ]);
  await child.waitFor("stderr", /listening on /);
  const conn = await Deno.connect({ hostname: "127.0.0.1", port: clientPort });
  try {
    const done = await child.finished();
    return done.stdout.trim();
  } finally {
    conn.close();
  }
}

Deno.test("a TCP server run as the command gives up outgoing permission once it listens: a session's connect gets PermissionError", async () => {
  using out = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const outPort = (out.addr as Deno.NetAddr).port;
  const port = freePort();
  const options = `host: "127.0.0.1", port: ${port}, stream: true, echo: true`;
  const flags = ["--allow-net=127.0.0.1"];
  assert.equal(
    await connectFromSession("tcp_server", options, true, flags, port, outPort),
    "PermissionError",
  );
  // Started from code without the mark, the same session can connect out.
  const again = freePort();
  assert.equal(
    await connectFromSession(
      "tcp_server",
      options.replace(String(port), String(again)),
      false,
      flags,
      again,
      outPort,
    ),
    "connected out",
  );
});

Deno.test("a relay run as the command with exact flags keeps only its target: a session's connect to its own address gets PermissionError", async () => {
  using target = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const targetPort = (target.addr as Deno.NetAddr).port;
  const port = freePort();
  const options =
    `listen: "127.0.0.1:${port}", target: "127.0.0.1:${targetPort}"`;
  const flags = [`--allow-net=127.0.0.1:${port},127.0.0.1:${targetPort}`];
  const accepted = target.accept();
  assert.equal(
    await connectFromSession("relay", options, true, flags, port, port),
    "PermissionError",
  );
  // The session's own connection to the target was made all the same.
  (await accepted).close();
});
