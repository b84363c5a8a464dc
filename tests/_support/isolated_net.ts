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
 * {@linkcode canIsolateNet} tells whether this machine can do it (Linux with
 * unprivileged user namespaces, or root, and `unshare` and `ip` on the
 * PATH); a test that needs it is ignored otherwise, and {@linkcode
 * isolatedNet} is the suffix its name gets.
 *
 * @module
 */

import { probe } from "./process.ts";

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
