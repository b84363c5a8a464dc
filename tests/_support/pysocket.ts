/**
 * The `pysocket` command as a child process: `deno run --no-prompt FLAGS
 * cli.ts ARGS`, with exactly the `deno run` flags a test gives, plus what
 * its output contract promises (a server's `listening on` line first on
 * stderr; a failure as one line on stderr, without a stack trace).
 *
 * @module
 */

import assert from "node:assert/strict";
import { Child, type ChildOptions, type Finished, lines } from "./process.ts";
import { CLI, WAIT_MS } from "./paths.ts";

/**
 * The `deno run` flags of a pysocket child when a test gives none: UDP
 * enabled, and net access to 127.0.0.1 only (every port, TCP and UDP).
 */
export const DEFAULT_FLAGS: readonly string[] = [
  "--unstable-net",
  "--allow-net=127.0.0.1",
];

/** Options for {@linkcode pysocket}. */
export interface PysocketOptions extends ChildOptions {
  /** The exact `deno run` flags. @default DEFAULT_FLAGS */
  flags?: readonly string[];
  /** The module to run instead of `cli.ts`. */
  entry?: string;
}

/** The command line (program and arguments) that runs pysocket. */
export function pysocketArgv(
  args: readonly string[],
  flags: readonly string[] = DEFAULT_FLAGS,
  entry: string = CLI,
): string[] {
  return [Deno.execPath(), "run", "--no-prompt", ...flags, entry, ...args];
}

/** Starts `pysocket ARGS` with exactly the flags given. */
export function pysocket(
  args: readonly string[],
  options: PysocketOptions = {},
): Child {
  const { flags, entry, ...rest } = options;
  const [cmd, ...argv] = pysocketArgv(args, flags, entry);
  return new Child(cmd, argv, rest);
}

/**
 * Runs `pysocket ARGS` to its end with `stdin` given (empty by default) and
 * returns what it left behind; one still running after `timeoutMs` is
 * killed, and this throws.
 */
export async function runPysocket(
  args: readonly string[],
  options: PysocketOptions & { timeoutMs?: number } = {},
): Promise<Finished> {
  const { timeoutMs = WAIT_MS, ...rest } = options;
  await using child = pysocket(args, { ...rest, stdin: rest.stdin ?? "" });
  return await child.finished(timeoutMs);
}

/**
 * Waits for a server's `listening on HOST:PORT` stderr line (pysocket's
 * servers and the Python peers print the same) and returns the port.
 */
export async function listeningPort(server: Child): Promise<number> {
  const match = await server.waitFor("stderr", /listening on .*:(\d+)\b/);
  return Number(match[1]);
}

/** Waits for a Unix socket server's `listening on PATH` line; returns PATH. */
export async function listeningPath(server: Child): Promise<string> {
  const match = await server.waitFor("stderr", /listening on (.*)\n/);
  return match[1];
}

/**
 * Starts a pysocket server (ARGS give `--port 0`) and waits for the stderr
 * line that says where it listens, `listening` (whose first group is the
 * port); a server that never says so is killed before this throws.
 */
export async function startServer(
  args: readonly string[],
  options: PysocketOptions & { listening?: RegExp } = {},
): Promise<{ server: Child; port: number }> {
  const { listening = /listening on .*:(\d+)\b/, ...rest } = options;
  const server = pysocket(args, rest);
  try {
    const match = await server.waitFor("stderr", listening);
    return { server, port: Number(match[1]) };
  } catch (err) {
    await server[Symbol.asyncDispose]();
    throw err;
  }
}

/**
 * Asserts a failure reported as the output contract says: exit `code`, one
 * line on stderr matching `pattern`, no stack trace, no JSON error event.
 */
export function assertOneLine(
  done: Finished,
  code: number,
  pattern: RegExp,
): void {
  assert.equal(done.code, code, done.stderr);
  assert.equal(lines(done.stderr).length, 1, done.stderr);
  assert.match(done.stderr, pattern);
  assert.doesNotMatch(done.stderr, /^\s+at /m);
  assert.doesNotMatch(done.stdout, /\{"event":"error"/);
}
