/**
 * The `pysocket` command line: `--help` and `--version`, each program's
 * module run on its own, and bad command lines, which get one line on
 * stderr and exit code 2. The real program runs with no permissions at
 * all: none of this needs any.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ROOT } from "../_support/paths.ts";
import { assertOneLine, pysocket, runPysocket } from "../_support/pysocket.ts";

const VERSION: string = JSON.parse(
  Deno.readTextFileSync(new URL("../../deno.json", import.meta.url)),
).version;

Deno.test("`--help` prints usage with examples and permissions, exit 0", async () => {
  const top = await runPysocket(["--help"], { flags: [] });
  assert.equal(top.code, 0);
  assert.equal(top.stderr, "");
  assert.match(top.stdout, /^Usage: pysocket <command> \[options\]\n/);
  for (
    const command of ["tcp-server", "tcp-client", "udp-server", "udp-client"]
  ) {
    assert.match(top.stdout, new RegExp(`\n  ${command} `));
    const help = await runPysocket([command, "--help"], { flags: [] });
    assert.equal(help.code, 0);
    assert.equal(help.stderr, "");
    assert.match(help.stdout, new RegExp(`^Usage: pysocket ${command} `));
    assert.match(help.stdout, /\nExamples:\n/);
    assert.match(help.stdout, /\nPermissions \(deno run\): --allow-net/);
  }
});

Deno.test("`--version` prints the version from deno.json, exit 0", async () => {
  for (const args of [["--version"], ["udp-client", "--version"]]) {
    const done = await runPysocket(args, { flags: [] });
    assert.deepEqual(done, {
      code: 0,
      stdout: `pysocket ${VERSION}\n`,
      stderr: "",
    });
  }
});

Deno.test("each program module runs on its own", async () => {
  for (const name of ["tcp_server", "tcp_client", "udp_server", "udp_client"]) {
    await using program = pysocket(["--help"], {
      flags: [],
      entry: `${ROOT}lib/cli/${name}.ts`,
      stdin: "",
    });
    const done = await program.finished();
    assert.equal(done.code, 0);
    assert.match(
      done.stdout,
      new RegExp(`^Usage: pysocket ${name.replace("_", "-")} `),
    );
  }
});

Deno.test("bad command lines get one line on stderr and exit 2", async () => {
  const cases: [string[], RegExp][] = [
    [
      [],
      /^pysocket: missing command: give one of tcp-server, tcp-client, udp-server, udp-client, relay, probe, flags \(see pysocket --help\)\n$/,
    ],
    [["chat"], /^pysocket: unknown command "chat": /],
    [["-x"], /^pysocket: unknown option "-x" before the command: /],
    [
      ["tcp-client", "--port", "70000"],
      /^pysocket tcp-client: --port must be a number from 0 to 65535, got "70000" \(see pysocket tcp-client --help\)\n$/,
    ],
    [
      ["tcp-server", "--port", "abc"],
      /^pysocket tcp-server: --port must be a number from 0 to 65535, got "abc" /,
    ],
    [
      ["tcp-client", "--port", "0"],
      /^pysocket tcp-client: --port 0 is for servers/,
    ],
    [
      ["udp-client", "--nope"],
      /^pysocket udp-client: unknown option '--nope' \(see pysocket udp-client --help\)\n$/,
    ],
    [
      ["tcp-client", "--port"],
      /^pysocket tcp-client: option '--port <value>' argument missing /,
    ],
    [
      ["tcp-client", "8888"],
      /^pysocket tcp-client: unexpected argument '8888'/,
    ],
    [
      ["udp-server", "--timeout", "5"],
      /^pysocket udp-server: unknown option '--timeout'/,
    ],
    [["tcp-client", "--echo"], /^pysocket tcp-client: unknown option '--echo'/],
    [
      ["tcp-client", "--timeout=-1"],
      /^pysocket tcp-client: --timeout must be a number of seconds above 0, got "-1"/,
    ],
    [
      ["tcp-server", "--timeout", "soon"],
      /^pysocket tcp-server: --timeout must be a number of seconds above 0, got "soon"/,
    ],
    [
      ["tcp-client", "-4", "-6"],
      /^pysocket tcp-client: -4 and -6 exclude each other/,
    ],
    [
      ["tcp-client", "-4", "--host", "::1"],
      /^pysocket tcp-client: -4 conflicts with the IPv6 address ::1/,
    ],
    [
      ["tcp-server", "--unix", "/tmp/x.sock", "--port", "1"],
      /^pysocket tcp-server: --unix replaces --host, --port, -4 and -6/,
    ],
  ];
  for (const [args, pattern] of cases) {
    const done = await runPysocket(args, { flags: [] });
    assert.equal(done.stdout, "", args.join(" "));
    assertOneLine(done, 2, pattern);
  }
});
