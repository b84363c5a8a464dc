/**
 * `pysocket flags COMMAND...`: the one line of `deno run` flags a command
 * line needs. Each printed line is used as it is, with `--no-config` (so
 * deno.json's `"unstable"` does not help), to run that command for real:
 * servers, clients, UDP, Unix sockets, TLS files, relay and probe. And the
 * missing-permission line names the same flags, worked out in one place.
 *
 * @module
 */

import assert from "node:assert/strict";
import { random, sha256 } from "../_support/data.ts";
import { freePort } from "../_support/net.ts";
import { needs } from "../_support/platform.ts";
import { lines } from "../_support/process.ts";
import {
  assertOneLine,
  pysocket,
  runPysocket,
  startServer,
} from "../_support/pysocket.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { makeCerts } from "../_support/tls_certs.ts";

/** What `pysocket flags ARGS` prints, as a list of flags (checked: one line). */
async function flagsOf(args: string[]): Promise<string[]> {
  const done = await runPysocket(["flags", ...args], { flags: [] });
  assert.equal(done.code, 0, done.stderr);
  assert.equal(done.stderr, "");
  assert.equal(lines(done.stdout).length, 1, done.stdout);
  return done.stdout.trim().split(" ");
}

/** Exactly the printed flags, without deno.json's settings. */
async function exactly(args: string[]): Promise<string[]> {
  return ["--no-config", ...await flagsOf(args)];
}

Deno.test("flags: the lines printed, one per command line", async () => {
  const cases: [string[], string][] = [
    [["tcp-server", "--port", "9000"], "--allow-net=0.0.0.0:9000"],
    [
      ["udp-client", "--port", "9000"],
      "--allow-net=127.0.0.1:9000,127.0.0.1:0 --unstable-net",
    ],
    [
      ["relay", "127.0.0.1:8080", "tls:127.0.0.1:8443", "--ca", "ca.pem"],
      "--allow-net=127.0.0.1:8080,127.0.0.1:8443 --allow-read=ca.pem",
    ],
    [
      ["relay", "udp:127.0.0.1:5353", "udp:127.0.0.1:53"],
      "--allow-net=127.0.0.1,127.0.0.1:53,127.0.0.1:0 --unstable-net",
    ],
    [["probe", "::1", "1-1024"], "--allow-net=[::1]"],
  ];
  for (const [args, expected] of cases) {
    assert.equal((await flagsOf(args)).join(" "), expected);
  }
});

Deno.test("flags: a TCP server and a client run with exactly the printed flags", async () => {
  const port = freePort();
  const serverArgs = [
    "tcp-server",
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--echo",
  ];
  const { server } = await startServer(serverArgs, {
    flags: await exactly(serverArgs),
  });
  await using _server = server;
  const clientArgs = ["tcp-client", "--port", String(port)];
  const done = await runPysocket(clientArgs, {
    flags: await exactly(clientArgs),
    stdin: "hi\n",
  });
  assert.equal(done.code, 0, done.stderr);
  assert.equal(done.stdout, "server>hello\nserver>hi\n");
});

Deno.test("flags: UDP programs run with exactly the printed flags (--unstable-net included)", async () => {
  const port = freePort();
  const serverArgs = [
    "udp-server",
    "--host",
    "127.0.0.1",
    "--port",
    String(port),
    "--echo",
  ];
  const serverFlags = await exactly(serverArgs);
  assert.ok(serverFlags.includes("--unstable-net"));
  const { server } = await startServer(serverArgs, { flags: serverFlags });
  await using _server = server;
  const clientArgs = ["udp-client", "--port", String(port), "--timeout", "5"];
  const done = await runPysocket(clientArgs, {
    flags: await exactly(clientArgs),
    stdin: "hi\n",
  });
  assert.equal(done.code, 0, done.stderr);
  assert.equal(done.stdout, "server>hi\n");
});

const unix = needs("unix-sockets");

Deno.test(
  `flags: Unix socket programs run with exactly the printed flags${unix.why}`,
  { ignore: unix.ignore },
  async () => {
    using dir = tempDir();
    const path = dir.join("s.sock");
    const serverArgs = ["tcp-server", "--unix", path, "--stream", "--echo"];
    const { server } = await startServer(serverArgs, {
      flags: await exactly(serverArgs),
      listening: /listening on ()\//,
    });
    await using _server = server;
    const clientArgs = ["tcp-client", "--unix", path, "--stream"];
    const done = await runPysocket(clientArgs, {
      flags: await exactly(clientArgs),
      stdin: "through a unix socket\n",
    });
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, "through a unix socket\n");
  },
);

Deno.test("flags: a TLS server on port 0, its PEM files, and a verifying client run with exactly the printed flags", async () => {
  const certs = await makeCerts();
  const serverArgs = [
    "tcp-server",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--echo",
    "--tls",
    "--cert",
    certs.serverCert,
    "--key",
    certs.serverKey,
  ];
  const { server, port } = await startServer(serverArgs, {
    flags: await exactly(serverArgs),
  });
  await using _server = server;
  const clientArgs = [
    "tcp-client",
    "--port",
    String(port),
    "--tls",
    "--ca",
    certs.caCert,
  ];
  const done = await runPysocket(clientArgs, {
    flags: await exactly(clientArgs),
    stdin: "secret\n",
  });
  assert.equal(done.code, 0, done.stderr);
  assert.equal(done.stdout, "server>hello\nserver>secret\n");
});

Deno.test("flags: a relay and a probe run with exactly the printed flags", async () => {
  const echoPort = freePort();
  const echoArgs = [
    "tcp-server",
    "--host",
    "127.0.0.1",
    "--port",
    String(echoPort),
    "--stream",
    "--echo",
  ];
  const { server: echo } = await startServer(echoArgs, {
    flags: await exactly(echoArgs),
  });
  await using _echo = echo;
  const relayPort = freePort();
  const relayArgs = [
    "relay",
    `127.0.0.1:${relayPort}`,
    `127.0.0.1:${echoPort}`,
  ];
  const { server: relay } = await startServer(relayArgs, {
    flags: await exactly(relayArgs),
  });
  await using _relay = relay;
  const data = random(256 << 10);
  const clientArgs = ["tcp-client", "--port", String(relayPort), "--stream"];
  await using client = pysocket(clientArgs, {
    flags: await exactly(clientArgs),
  });
  await client.write(data);
  await client.closeStdin();
  const done = await client.finished();
  assert.equal(done.code, 0, done.stderr);
  assert.equal(await sha256(client.stdoutBytes()), await sha256(data));

  const probeArgs = ["probe", "127.0.0.1", `${relayPort},${freePort()}`];
  const probed = await runPysocket(probeArgs, {
    flags: await exactly(probeArgs),
  });
  assert.equal(probed.code, 0, probed.stderr);
  assert.equal(probed.stdout, `${relayPort} open\n`);
});

Deno.test("flags: the missing-permission line names what pysocket flags prints", async () => {
  const port = freePort();
  const cases = [
    ["tcp-client", "--port", String(port)],
    ["tcp-server", "--host", "127.0.0.1", "--port", "0"],
    ["relay", "127.0.0.1:0", `127.0.0.1:${port}`],
    ["probe", "127.0.0.1", String(port)],
  ];
  for (const args of cases) {
    const printed = (await flagsOf(args)).join(" ");
    const done = await runPysocket(args, {
      flags: ["--allow-net=127.0.0.1:1"],
      stdin: "hi\n",
    });
    const hint = /run again with (.*)\n$/.exec(done.stderr);
    assert.ok(hint, done.stderr);
    assert.equal(hint[1], printed);
  }
});

Deno.test("flags: a bad command line is reported as the command reports it, exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [[], /^pysocket flags: missing command: give one of tcp-server, /],
    [["nope"], /^pysocket flags: unknown command "nope"/],
    [["flags"], /^pysocket flags: unknown command "flags"/],
    [["tcp-server", "--port", "x"], /^pysocket tcp-server: --port must be/],
    [["relay", "127.0.0.1:1"], /^pysocket relay: missing TARGET/],
  ];
  for (const [args, pattern] of cases) {
    assertOneLine(
      await runPysocket(["flags", ...args], { flags: [] }),
      2,
      pattern,
    );
  }
});
