/**
 * The one way the tests run Python: the tutorial's peers in `tests/peers/`,
 * inline programs, and expressions whose JSON value a test compares with
 * pysocket's.
 *
 * The interpreter is {@linkcode PYTHON}: `python3` on Linux and macOS, and
 * `python` on Windows, where python.org's installer and the CI images name
 * it so (a `python3` there is at best the Microsoft Store's stub). A test
 * that needs it says `needs("python")` (`platform.ts`), which checks that
 * this command is on the PATH.
 *
 * Every Python child runs unbuffered (`-u`) with UTF-8 standard streams,
 * and writes `\n` line ends on every system: the peers reconfigure their
 * stdout themselves (`tests/peers/_address.py`), and inline programs get
 * the same two lines put before them, so a transcript never depends on
 * Windows' `\r\n`.
 *
 * @module
 */

import assert from "node:assert/strict";
import { Child, type ChildOptions, type Finished, run } from "./process.ts";
import { PEERS, WAIT_MS } from "./paths.ts";

/** The Python 3 interpreter's command name on this system. */
export const PYTHON: string = Deno.build.os === "windows"
  ? "python"
  : "python3";

/** UTF-8 on stdin, stdout and stderr, whatever the locale. */
const ENV = { PYTHONIOENCODING: "utf-8" };

/** Put before inline programs: `\n` line ends on stdout and stderr everywhere. */
const NEWLINES = "import sys as _sys; " +
  '_sys.stdout.reconfigure(newline="\\n"); ' +
  '_sys.stderr.reconfigure(newline="\\n"); del _sys\n';

/** Starts a peer from `tests/peers/` with `args`, such as `["127.0.0.1", "0"]`. */
export function pythonPeer(
  script: string,
  args: string[],
  options: ChildOptions = {},
): Child {
  return new Child(PYTHON, ["-u", `${PEERS}${script}`, ...args], {
    ...options,
    env: { ...ENV, ...options.env },
  });
}

/**
 * The command line of a peer from `tests/peers/`, for a terminal to run
 * as a person would type it (see `cli/interactive_test.ts`).
 */
export function pythonPeerArgv(script: string, args: string[]): string[] {
  return [PYTHON, `${PEERS}${script}`, ...args];
}

/** Starts an inline Python program (`python -u -c code args...`). */
export function pythonChild(
  code: string,
  args: string[] = [],
  options: ChildOptions = {},
): Child {
  return new Child(PYTHON, ["-u", "-c", NEWLINES + code, ...args], {
    ...options,
    env: { ...ENV, ...options.env },
  });
}

/** Runs an inline Python program to completion, with `stdin` given. */
export function runPython(
  code: string,
  args: string[] = [],
  options: ChildOptions & { timeoutMs?: number } = {},
): Promise<Finished> {
  return run(PYTHON, ["-u", "-c", NEWLINES + code, ...args], {
    ...options,
    env: { ...ENV, ...options.env },
  });
}

/**
 * Evaluates a Python expression (after `setup` statements) with `json`,
 * `socket`, `errno`, `os` and `sys` imported, and returns its JSON value.
 */
export async function pythonJson<T = unknown>(
  expression: string,
  setup = "",
): Promise<T> {
  const code = `import json, socket, errno, os, sys\n${setup}\n` +
    `print(json.dumps(${expression}))`;
  const { code: status, stdout, stderr } = await runPython(code, [], {
    timeoutMs: WAIT_MS,
  });
  assert.equal(status, 0, `${PYTHON} failed:\n${stderr}`);
  return JSON.parse(stdout) as T;
}
