/**
 * A private network for the tests that must bind the wildcard address.
 *
 * Tests never listen on `0.0.0.0` or `::` in the test process (the `test`
 * task denies it). Where the wildcard is what a test checks (Python's
 * `getsockname()` after an automatic bind, a dual-stack `"::"` room), the
 * test runs its child inside a private network namespace of its own, with
 * only its own loopback up, where nothing outside can reach it:
 * `unshare -rn sh -c 'ip link set lo up && exec "$@"' sh CMD ARGS...`.
 *
 * {@linkcode isolatedArgv} wraps one child's command line; {@linkcode
 * isolatedTest} runs a whole test (its servers and its peers) there, by
 * running `deno test --filter NAME` on its own file inside a namespace.
 * {@linkcode canIsolateNet} tells whether this machine can do it (Linux with
 * unprivileged user namespaces, or root, and `unshare` and `ip` on the
 * PATH); a test that needs it is ignored otherwise, and {@linkcode
 * isolatedNet} is the suffix its name gets.
 *
 * @module
 */

import { fileURLToPath } from "node:url";
import assert from "node:assert/strict";
import { probe, run } from "./process.ts";
import { LIFETIME_MS } from "./paths.ts";

/** Set (to `1`) in the environment of a test run inside a namespace. */
const INSIDE = "PYSOCKET_TEST_ISOLATED_NET";

/** The shell line that brings up loopback in the new namespace, then runs the command. */
const LO_UP = 'ip link set lo up && exec "$@"';

/**
 * Wraps a command line (program and arguments) so that it runs in a private
 * network namespace with only loopback up.
 *
 * @param argv The program and its arguments.
 * @returns The program and arguments that run it isolated.
 */
export function isolatedArgv(argv: readonly string[]): string[] {
  return ["unshare", "-rn", "sh", "-c", LO_UP, "sh", ...argv];
}

function probeIsolation(): boolean {
  if (Deno.build.os !== "linux") return false;
  // Inside, loopback must be up and the only interface besides it is none.
  const result = probe(
    "unshare",
    ["-rn", "sh", "-c", LO_UP, "sh", "ip", "-o", "link", "show", "up"],
  );
  return result !== null && result.code === 0 &&
    /\blo\b/.test(result.stdout) &&
    result.stdout.trim().split("\n").length === 1;
}

/** Whether this machine can run a child in a private network namespace. */
export const canIsolateNet: boolean = probeIsolation();

/**
 * The `ignore` flag and name suffix of a test that runs its child in a
 * private network namespace: `""` where it can.
 */
export const isolatedNet: { ignore: boolean; why: string } = canIsolateNet
  ? { ignore: false, why: "" }
  : {
    ignore: true,
    why:
      " (ignored: needs a private network namespace, unshare -rn and ip, to bind the wildcard)",
  };

/**
 * Declares a test whose body runs inside a private network namespace, so
 * it may listen on the wildcard: the test process runs `deno test
 * --filter NAME` on `file` there (the body then runs as a plain test), and
 * passes when that one test passed. Ignored, saying why, where the machine
 * cannot isolate; `ignore` adds a condition of the test's own.
 *
 * @param file The test module's `import.meta.url`.
 * @param name The test's name (unique in its file: the filter matches it).
 * @param body The test, as run inside.
 * @param ignore Whether the test is ignored for a reason of its own.
 */
export function isolatedTest(
  file: string,
  name: string,
  body: () => Promise<void>,
  ignore = false,
): void {
  if (Deno.env.get(INSIDE) === "1") {
    Deno.test({ name, ignore, fn: body });
    return;
  }
  Deno.test({
    name: `${name}${isolatedNet.why}`,
    ignore: ignore || isolatedNet.ignore,
    async fn() {
      const [cmd, ...args] = isolatedArgv([
        Deno.execPath(),
        "test",
        "--allow-all",
        "--no-check",
        `--filter=${name}`,
        fileURLToPath(file),
      ]);
      const { code, stdout, stderr } = await run(cmd, args, {
        env: { [INSIDE]: "1" },
        timeoutMs: LIFETIME_MS,
      });
      assert.equal(code, 0, `${stdout}\n${stderr}`);
      assert.match(stdout, /\bok \| 1 passed\b/, stdout);
    },
  });
}
