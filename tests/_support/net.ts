/**
 * Shared helpers for the library tests (`socket_test.ts`, `udp_test.ts`,
 * `errors_test.ts`, `address_test.ts`, `text_test.ts`,
 * `permissions_test.ts`, `tutorial_test.ts`).
 *
 * Everything here works on real loopback sockets and real child processes.
 * Every child is started by {@linkcode Child} or {@linkcode run}, killed by
 * its own PID when its deadline passes or the test ends, and awaited.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import * as socket from "../../mod.ts";

/** The repository root, with a trailing slash. */
export const ROOT: string = fileURLToPath(new URL("../..", import.meta.url));
/** The absolute file URL of `mod.ts`, for scripts written to temp dirs. */
export const MOD_URL: string = new URL("../../mod.ts", import.meta.url).href;

/** How long a wait for a child's output may take before the test fails. */
export const WAIT_MS = 10_000;

/** Sleeps for `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Waits for `promise`, failing with `what` after `ms` milliseconds. The
 * timer is always cleared, so the test leaks none.
 */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no result within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

// deno-lint-ignore no-explicit-any
type ErrorClass<T> = abstract new (...args: any[]) => T;

/** Checks the class and the given own properties of a thrown value. */
function checkError<T extends Error>(
  err: unknown,
  Class: ErrorClass<T>,
  props: Record<string, unknown>,
  what: string,
): T {
  assert.ok(
    err instanceof Class,
    `${what}: expected ${Class.name}, got ${
      err instanceof Error ? `${err.constructor.name}: ${err.message}` : err
    }`,
  );
  for (const [key, expected] of Object.entries(props)) {
    const actual: unknown = (err as unknown as Record<string, unknown>)[key];
    if (expected instanceof RegExp && typeof actual === "string") {
      assert.match(actual, expected, `${what}: ${key}`);
    } else {
      assert.deepStrictEqual(actual, expected, `${what}: ${key}`);
    }
  }
  return err;
}

/**
 * Asserts that `operation` rejects with an instance of `Class` whose
 * properties match `props` (strings and numbers exactly, regexps by match),
 * and returns the error.
 */
export async function rejectsWith<T extends Error>(
  operation: Promise<unknown> | (() => Promise<unknown>),
  Class: ErrorClass<T>,
  props: Record<string, unknown> = {},
  what = "operation",
): Promise<T> {
  try {
    await (typeof operation === "function" ? operation() : operation);
  } catch (err) {
    return checkError(err, Class, props, what);
  }
  assert.fail(`${what}: expected ${Class.name}, but it succeeded`);
}

/** The synchronous twin of {@linkcode rejectsWith}. */
export function throwsWith<T extends Error>(
  operation: () => unknown,
  Class: ErrorClass<T>,
  props: Record<string, unknown> = {},
  what = "operation",
): T {
  try {
    operation();
  } catch (err) {
    return checkError(err, Class, props, what);
  }
  assert.fail(`${what}: expected ${Class.name}, but it succeeded`);
}

/**
 * Calls a non-blocking operation until it stops throwing
 * `BlockingIOError`, as a Python program polls a non-blocking socket, and
 * fails after `ms`. Any other error is thrown at once.
 */
export async function untilReady<T>(
  operation: () => Promise<T>,
  ms = 2000,
): Promise<T> {
  const until = performance.now() + ms;
  while (true) {
    try {
      return await operation();
    } catch (err) {
      if (!(err instanceof socket.BlockingIOError)) throw err;
      if (performance.now() > until) {
        assert.fail(`still BlockingIOError after ${ms} ms`);
      }
      await sleep(5);
    }
  }
}

/** A listening server, a client connected to it, and the accepted side. */
export class TcpPair implements Disposable {
  constructor(
    /** The listening socket. */
    readonly server: socket.Socket,
    /** The connecting side. */
    readonly client: socket.Socket,
    /** The accepted side. */
    readonly conn: socket.Socket,
  ) {}

  /** Closes all three. */
  [Symbol.dispose](): void {
    this.conn.close();
    this.client.close();
    this.server.close();
  }
}

/** Opens a connected TCP pair on `host` (127.0.0.1 or ::1), port 0. */
export async function tcpPair(host = "127.0.0.1"): Promise<TcpPair> {
  const family = host.includes(":") ? socket.AF_INET6 : socket.AF_INET;
  const server = socket.socket(family, socket.SOCK_STREAM);
  const client = socket.socket(family, socket.SOCK_STREAM);
  try {
    server.bind([host, 0]);
    server.listen();
    await client.connect(server.getsockname());
    const [conn] = await server.accept();
    return new TcpPair(server, client, conn);
  } catch (err) {
    client.close();
    server.close();
    throw err;
  }
}

/** Returns the port of an IP socket address. */
export function portOf(address: socket.Address): number {
  assert.ok(Array.isArray(address), `not an IP address: ${address}`);
  return address[1];
}

/**
 * A port that was free a moment ago: bound with port 0, then released.
 * For children that must be told their port in advance.
 */
export function freePort(
  host = "127.0.0.1",
  type: number = socket.SOCK_STREAM,
): number {
  const family = host.includes(":") ? socket.AF_INET6 : socket.AF_INET;
  using probe = socket.socket(family, type);
  probe.bind([host, 0]);
  return portOf(probe.getsockname());
}

/**
 * Reads a `/proc` file. Deno grants `/proc` only to `--allow-all`, so
 * without it `cat` (a child awaited here) reads it instead.
 */
async function readProc(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotCapable)) throw err;
  }
  const { success, stdout } = await new Deno.Command("cat", {
    args: [path],
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!success) throw new Error(`cannot read ${path}`);
  return new TextDecoder().decode(stdout);
}

/**
 * Whether a socket of `kind` is bound to `port`, read from Linux's
 * `/proc/net` tables: TCP sockets must be listening. Reading the table
 * touches nothing, where a probe connection would be accepted by the
 * program under test.
 */
async function isBound(port: number, kind: "tcp" | "udp"): Promise<boolean> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const table of [kind, `${kind}6`]) {
    let text: string;
    try {
      text = await readProc(`/proc/net/${table}`);
    } catch {
      continue; // No such table (no IPv6), or not Linux.
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4 || !fields[1].endsWith(hex)) continue;
      if (kind === "udp" || fields[3] === "0A") return true; // 0A: LISTEN
    }
  }
  return false;
}

/**
 * Waits until a child has bound `port` (a listening TCP socket, or a UDP
 * socket), so a client started next is not refused.
 */
export async function waitUntilBound(
  port: number,
  kind: "tcp" | "udp",
  child?: Child,
): Promise<void> {
  const until = performance.now() + WAIT_MS;
  while (!(await isBound(port, kind))) {
    if (child?.exited) {
      assert.fail(
        `${child.command} exited before binding port ${port}\n${child.output()}`,
      );
    }
    if (performance.now() > until) {
      assert.fail(
        `nothing bound ${kind} port ${port} within ${WAIT_MS} ms${
          child ? `\n${child.output()}` : ""
        }`,
      );
    }
    await sleep(20);
  }
}

/** What a finished child left behind. */
export interface Finished {
  /** The exit code. */
  code: number;
  /** Everything written on stdout. */
  stdout: string;
  /** Everything written on stderr. */
  stderr: string;
}

/** Options for {@linkcode Child}. */
export interface ChildOptions {
  /** Written to stdin, which is then closed. When absent stdin stays open. */
  stdin?: string | Uint8Array;
  /** The working directory. @default ROOT */
  cwd?: string;
  /** Kill the child after this many milliseconds. @default 20_000 */
  lifetimeMs?: number;
}

/**
 * A running child process whose stdout and stderr are collected as text.
 * `await using` kills it by PID (if still running) and awaits it.
 */
export class Child implements AsyncDisposable {
  /** The command line, for failure messages. */
  readonly command: string;
  /** Everything read from stdout so far. */
  stdout = "";
  /** Everything read from stderr so far. */
  stderr = "";
  /** Whether the process has exited. */
  exited = false;
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #stdinOpen = true;
  #status: Promise<Deno.CommandStatus>;
  #drained: Promise<void>;
  #waiters = new Set<() => void>();
  #outputDone = false;
  #killTimer: ReturnType<typeof setTimeout>;

  constructor(cmd: string, args: string[], options: ChildOptions = {}) {
    this.command = [cmd, ...args].join(" ");
    this.#child = new Deno.Command(cmd, {
      args,
      cwd: options.cwd ?? ROOT,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).spawn();
    this.#stdin = this.#child.stdin.getWriter();
    this.#status = this.#child.status.then((status) => {
      this.exited = true;
      clearTimeout(this.#killTimer);
      this.#notify();
      return status;
    });
    this.#drained = Promise.all([
      this.#collect(this.#child.stdout, "stdout"),
      this.#collect(this.#child.stderr, "stderr"),
    ]).then(() => {});
    this.#killTimer = setTimeout(
      () => this.kill(),
      options.lifetimeMs ?? 20_000,
    );
    if (options.stdin !== undefined) {
      // A child that exits without reading makes the write fail: fine.
      this.write(options.stdin).then(() => this.closeStdin(), () => {});
    }
  }

  async #collect(
    stream: ReadableStream<Uint8Array>,
    name: "stdout" | "stderr",
  ): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this[name] += decoder.decode(chunk, { stream: true });
      this.#notify();
    }
    this[name] += decoder.decode();
    this.#notify();
  }

  #notify(): void {
    for (const wake of this.#waiters) wake();
  }

  /** Both outputs, labelled, for failure messages. */
  output(): string {
    return `--- ${this.command}\n--- stdout:\n${this.stdout}\n--- stderr:\n${this.stderr}`;
  }

  /** Writes text (as UTF-8) or bytes to stdin. */
  async write(data: string | Uint8Array): Promise<void> {
    await this.#stdin.write(
      typeof data === "string" ? new TextEncoder().encode(data) : data,
    );
  }

  /** Closes stdin, so the child reads end of input. */
  async closeStdin(): Promise<void> {
    if (!this.#stdinOpen) return;
    this.#stdinOpen = false;
    await this.#stdin.close().catch(() => {});
  }

  /**
   * Waits until `stream` contains `pattern` (a string, or a regexp), or
   * fails with the output so far after `ms`.
   */
  async waitFor(
    pattern: string | RegExp,
    stream: "stdout" | "stderr" = "stdout",
    ms = WAIT_MS,
  ): Promise<void> {
    const found = () =>
      typeof pattern === "string"
        ? this[stream].includes(pattern)
        : pattern.test(this[stream]);
    if (found()) return;
    let wake = () => {};
    const seen = new Promise<void>((resolve, reject) => {
      wake = () => {
        if (found()) resolve();
        else if (this.exited && this.#outputDone) {
          reject(
            new Error(
              `exited without writing ${pattern} on ${stream}\n${this.output()}`,
            ),
          );
        }
      };
    });
    this.#waiters.add(wake);
    this.#drained.then(() => {
      this.#outputDone = true;
      wake();
    });
    try {
      await within(seen, ms, `waiting for ${pattern} on ${stream}`).catch(
        (err) => {
          throw new Error(`${err.message}\n${this.output()}`);
        },
      );
    } finally {
      this.#waiters.delete(wake);
    }
  }

  /** Waits for the child to exit by itself (at most `ms`) and reports. */
  async finished(ms = WAIT_MS): Promise<Finished> {
    await this.closeStdin();
    const status = await within(this.#status, ms, `${this.command} to exit`)
      .catch((err) => {
        throw new Error(`${err.message}\n${this.output()}`);
      });
    await this.#drained;
    return { code: status.code, stdout: this.stdout, stderr: this.stderr };
  }

  /** Kills the child by its PID if it still runs. */
  kill(): void {
    if (this.exited) return;
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // It exited meanwhile.
    }
  }

  /** Kills (if needed) and awaits the child and its output. */
  async [Symbol.asyncDispose](): Promise<void> {
    clearTimeout(this.#killTimer);
    this.kill();
    await this.closeStdin();
    await this.#status;
    await this.#drained;
  }
}

/** Runs a command to completion, with stdin given, and returns its output. */
export async function run(
  cmd: string,
  args: string[],
  options: ChildOptions & { timeoutMs?: number } = {},
): Promise<Finished> {
  await using child = new Child(cmd, args, {
    stdin: options.stdin ?? "",
    cwd: options.cwd,
  });
  return await child.finished(options.timeoutMs ?? WAIT_MS);
}

/** Runs `python3 -c code args...` to completion. */
export function python(
  code: string,
  args: string[] = [],
  options: { stdin?: string | Uint8Array; timeoutMs?: number } = {},
): Promise<Finished> {
  return run("python3", ["-u", "-c", code, ...args], options);
}

/**
 * Evaluates a python3 expression (after `setup` statements) with `json`,
 * `socket`, `errno` and `os` imported, and returns its JSON value.
 */
export async function pythonJson<T = unknown>(
  expression: string,
  setup = "",
): Promise<T> {
  const code = `import json, socket, errno, os, sys\n${setup}\n` +
    `print(json.dumps(${expression}))`;
  const { code: status, stdout, stderr } = await python(code);
  assert.equal(status, 0, `python3 failed:\n${stderr}`);
  return JSON.parse(stdout) as T;
}

/** A temporary directory removed at the end of the `using` block. */
export class TempDir implements Disposable {
  /** The directory's path. */
  readonly path: string;
  constructor() {
    this.path = Deno.makeTempDirSync({ prefix: "pysocket_test_" });
  }
  /** A path inside the directory. */
  join(name: string): string {
    return `${this.path}/${name}`;
  }
  /** Removes the directory and everything in it. */
  [Symbol.dispose](): void {
    Deno.removeSync(this.path, { recursive: true });
  }
}

/** The arguments of `deno run` for a script, with the given flags. */
export function denoRun(flags: string[], script: string, args: string[] = []) {
  return ["run", "--no-prompt", ...flags, script, ...args];
}

/** Reads from `sock` until end of stream and returns everything. */
export async function recvAll(sock: socket.Socket): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let total = 0;
  while (true) {
    const data = await sock.recv(65536);
    if (data.length === 0) break;
    parts.push(data);
    total += data.length;
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** Reads from `sock` until `size` bytes arrived (or end of stream). */
export async function recvExactly(
  sock: socket.Socket,
  size: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let offset = 0;
  while (offset < size) {
    const data = await sock.recv(size - offset);
    if (data.length === 0) break;
    out.set(data, offset);
    offset += data.length;
  }
  return out.subarray(0, offset);
}

/** UTF-8 text of bytes, for assertions. */
export function text(data: Uint8Array): string {
  return new TextDecoder().decode(data);
}
