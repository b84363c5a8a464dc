/**
 * Tests for `scripts/compile.ts` and the executable it builds.
 *
 * The dry-run tests always run. The end-to-end test compiles `cli.ts` and
 * chats over TCP and UDP through the executable; it needs the `denort`
 * runtime, which `deno compile` downloads from Deno's servers. When no denort
 * is at hand (no `DENORT_BIN`, nothing in Deno's cache) the test is ignored
 * and says why in its name. CI sets `PYSOCKET_REQUIRE_DENORT=1` after
 * `deno task compile` has cached denort, so there it must run.
 *
 * The chat programs are used through their command-line contract:
 * `tcp-server`/`udp-server` with `--host`, `--port 0` and `--echo` print
 * `listening on HOST:PORT` as their first stderr line; `tcp-client`/
 * `udp-client` with `--host` and `--port` send each stdin line when stdin is
 * not a terminal and print the replies on stdout before exiting.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ROOT } from "../_support/paths.ts";
import { Child, type Finished, probe, run } from "../_support/process.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { TARGETS } from "../../scripts/compile.ts";

const COMPILE_SCRIPT = `${ROOT}scripts/compile.ts`;
const EXE_SUFFIX = Deno.build.os === "windows" ? ".exe" : "";
const DEADLINE_MS = 30_000;
/** How long `scripts/compile.ts` may take: a build compiles cli.ts and all it imports. */
const COMPILE_MS = 120_000;

/** Runs `scripts/compile.ts` as the `compile` task does. */
function runCompileScript(
  args: string[],
  env: Record<string, string> = {},
): Promise<Finished> {
  return run(Deno.execPath(), [
    "run",
    "--allow-read",
    "--allow-write",
    "--allow-run",
    "--allow-env",
    COMPILE_SCRIPT,
    ...args,
  ], { env, timeoutMs: COMPILE_MS });
}

/**
 * Finds the denort runtime `deno compile` would use for the host: the file
 * `DENORT_BIN` names, or the zip Deno cached in `<DENO_DIR>/dl/`.
 */
function findDenort(): string | undefined {
  const fromEnv = Deno.env.get("DENORT_BIN");
  if (fromEnv) return isFile(fromEnv) ? fromEnv : undefined;
  const info = probe(Deno.execPath(), ["info", "--json"]);
  if (info === null || info.code !== 0) return undefined;
  const { denoDir } = JSON.parse(info.stdout);
  const zip =
    `${denoDir}/dl/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip`;
  return isFile(zip) ? zip : undefined;
}

/** Tells whether `path` is an existing file. */
function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

/** Starts `tcp-server` or `udp-server` on port 0 and reads its real port. */
async function startServer(exe: string, program: string): Promise<{
  server: Child;
  port: number;
}> {
  const server = new Child(
    exe,
    [program, "--host", "127.0.0.1", "--port", "0", "--echo"],
    { lifetimeMs: DEADLINE_MS },
  );
  try {
    await server.until(
      "a first stderr line",
      () => server.stderr.includes("\n"),
    );
  } catch {
    // Reported below, with what it printed.
  }
  const firstLine = server.stderr.split("\n")[0];
  const port = Number(firstLine.match(/:(\d+)\b/)?.[1]);
  if (!port) {
    await server[Symbol.asyncDispose]();
    assert.fail(
      `${program} printed no address on its first stderr line ` +
        `(got ${JSON.stringify(firstLine)}); is DENORT_BIN a denort, not deno?`,
    );
  }
  return { server, port };
}

/** Runs `tcp-client` or `udp-client` with scripted stdin and returns stdout. */
async function runClient(
  exe: string,
  program: string,
  port: number,
  input: string,
): Promise<string> {
  const { code, stdout, stderr } = await run(
    exe,
    [program, "--host", "127.0.0.1", "--port", String(port)],
    { stdin: input, timeoutMs: DEADLINE_MS },
  );
  assert.equal(code, 0, `${program} failed: ${stderr}`);
  return stdout;
}

Deno.test("`compile.ts --all --print` lists one least-privilege build per target", async () => {
  // An empty DENORT_BIN counts as unset, which --all requires.
  const { code, stdout } = await runCompileScript(["--all", "--print"], {
    DENORT_BIN: "",
  });
  assert.equal(code, 0);
  const lines = stdout.trim().split("\n");
  assert.equal(lines.length, TARGETS.length);

  const targets = lines.map((line) => line.match(/ --target (\S+) /)?.[1]);
  assert.deepEqual(targets, [
    "x86_64-unknown-linux-gnu",
    "aarch64-unknown-linux-gnu",
    "x86_64-apple-darwin",
    "aarch64-apple-darwin",
    "x86_64-pc-windows-msvc",
  ]);
  for (const line of lines) {
    const target: string = line.match(/ --target (\S+) /)?.[1] ?? "";
    const exe = target.includes("windows") ? ".exe" : "";
    assert.match(line, / compile /);
    assert.match(line, / --output dist\/pysocket-(\S+) cli\.ts$/);
    assert.equal(
      line.match(/ --output (\S+) /)?.[1],
      `dist/pysocket-${target}${exe}`,
    );
    assert.deepEqual(line.match(/ --allow-[\w-]+/g), [" --allow-net"]);
    assert.match(line, / --unstable-net /);
    assert.match(line, / --no-prompt /);
    assert.doesNotMatch(line, / (-A|--allow-all)( |$)/);
  }
});

Deno.test("`compile.ts --print` lists one build named dist/pysocket for the host", async () => {
  const { code, stdout } = await runCompileScript(["--print"]);
  assert.equal(code, 0);
  const lines = stdout.trim().split("\n");
  assert.equal(lines.length, 1);
  assert.equal(lines[0].match(/ --target (\S+) /)?.[1], Deno.build.target);
  assert.equal(
    lines[0].match(/ --output (\S+) /)?.[1],
    `dist/pysocket${EXE_SUFFIX}`,
  );
});

Deno.test("`compile.ts` rejects unknown flags with a usage message", async () => {
  const { code, stderr } = await runCompileScript(["--targets"]);
  assert.equal(code, 2);
  assert.match(stderr, /Unknown option '--targets'/);
  assert.match(stderr, /Usage: deno task compile/);
});

const denort = findDenort();
const requireDenort = Deno.env.get("PYSOCKET_REQUIRE_DENORT") === "1";
const CHAT_TEST = "compiled executable runs TCP and UDP chat";

Deno.test({
  name: denort || requireDenort
    ? CHAT_TEST
    : `${CHAT_TEST} (ignored: no denort runtime available; set DENORT_BIN)`,
  ignore: !denort && !requireDenort,
  async fn() {
    assert.ok(
      denort,
      "PYSOCKET_REQUIRE_DENORT=1 but no denort found: set DENORT_BIN or run deno task compile first",
    );
    using outDir = tempDir();
    const build = await runCompileScript(["--out-dir", outDir.path]);
    assert.equal(build.code, 0, `compile failed:\n${build.stderr}`);
    const exe = `${outDir.path}/pysocket${EXE_SUFFIX}`;

    {
      const { server, port } = await startServer(exe, "tcp-server");
      await using _server = server;
      const reply = await runClient(
        exe,
        "tcp-client",
        port,
        "hello over tcp\n",
      );
      assert.match(reply, /hello over tcp/);
    }
    {
      const { server, port } = await startServer(exe, "udp-server");
      await using _server = server;
      const reply = await runClient(
        exe,
        "udp-client",
        port,
        "hello over udp\n",
      );
      assert.match(reply, /hello over udp/);
    }
  },
});
