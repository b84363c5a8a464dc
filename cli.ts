/**
 * The `pysocket` command: the Python socket tutorial's chat programs.
 *
 * @example
 * ```sh
 * deno run --allow-net=127.0.0.1:8888 jsr:@pysocket/pysocket/cli tcp-client
 * ```
 *
 * @module
 */

/**
 * Runs the command line and returns the exit code.
 *
 * @param args The arguments, without the program name.
 * @returns The process exit code.
 *
 * @example
 * ```ts
 * import { main } from "./cli.ts";
 * console.log(await main(["--version"])); // 0
 * ```
 */
export async function main(args: string[]): Promise<number> {
  await Promise.resolve();
  if (args[0] === "--version") {
    console.log("pysocket 0.1.0");
    return 0;
  }
  console.error("pysocket: the chat programs are not built yet");
  return 2;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
