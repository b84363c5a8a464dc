/**
 * Where things are, and how long the tests wait: the one place that knows
 * the repository's layout and the deadlines every support module shares.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/** The repository root, with a trailing separator. */
export const ROOT: string = fileURLToPath(new URL("../../", import.meta.url));

/**
 * The `pysocket` command's entry point, `cli.ts`. `PYSOCKET_TEST_CLI`
 * points the command's tests at another checkout's `cli.ts`, to check that
 * a new test fails on the code before a fix.
 */
export const CLI: string = Deno.env.get("PYSOCKET_TEST_CLI") ??
  fileURLToPath(new URL("../../cli.ts", import.meta.url));

/** The file URL of `mod.ts`, for scripts written to temporary folders. */
export const MOD_URL: string = new URL("../../mod.ts", import.meta.url).href;

/** The folder of the Python peers (`tests/peers/`), with a trailing separator. */
export const PEERS: string = fileURLToPath(
  new URL("../peers/", import.meta.url),
);

/** How long a wait for output, a line or an exit may take before a test fails. */
export const WAIT_MS = 10_000;

/** How long any child process may live before it is killed by its PID. */
export const LIFETIME_MS = 30_000;
