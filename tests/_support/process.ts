/**
 * The process harness: every child a test starts (pysocket, Python peers,
 * nc, ncat, tmux, openssl, deno scripts) is a {@linkcode Child}.
 *
 * A `Child` is spawned with exactly the arguments given, in the repository
 * root unless told otherwise, with `NO_COLOR=1` added to the environment.
 * Its stdout and stderr are collected while it runs, stdout both as bytes
 * and as text, so a test can wait for a pattern (bounded by a deadline),
 * write to stdin, and await the exit code. Every child has a lifetime after
 * which it is killed by its PID, and `await using` kills (if needed) and
 * awaits it and its output whatever the test did.
 *
 * @module
 */

import { concat } from "./data.ts";
import { LIFETIME_MS, ROOT, WAIT_MS } from "./paths.ts";
import { Waiters, within } from "./wait.ts";

/** What a finished child left behind. */
export interface Finished {
  /** The exit code (128 + n when killed by signal n). */
  code: number;
  /** Everything written on stdout, as text. */
  stdout: string;
  /** Everything written on stderr, as text. */
  stderr: string;
}

/** Options for {@linkcode Child}. */
export interface ChildOptions {
  /**
   * Written to stdin, which is then closed. When absent stdin stays open
   * for {@linkcode Child.write} until {@linkcode Child.closeStdin}.
   */
  stdin?: string | Uint8Array;
  /** Environment variables added to the inherited ones. */
  env?: Record<string, string>;
  /** The working directory. @default ROOT */
  cwd?: string;
  /** Kill the child by its PID after this many milliseconds. @default LIFETIME_MS */
  lifetimeMs?: number;
}

/** Which output stream to watch. */
export type Stream = "stdout" | "stderr";

/** A running child process whose output is collected as it comes. */
export class Child implements AsyncDisposable {
  /** The command line, for failure messages. */
  readonly command: string;
  /** Everything read from stdout so far, decoded as UTF-8. */
  stdout = "";
  /** Everything read from stderr so far, decoded as UTF-8. */
  stderr = "";
  #stdoutChunks: Uint8Array[] = [];
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #stdinClosed = false;
  #waiters = new Waiters();
  #status: Promise<Deno.CommandStatus>;
  #drained: Promise<void>;
  #exited = false;
  #outputDone = false;
  #killTimer: ReturnType<typeof setTimeout>;

  /** Spawns `cmd` with exactly `args`. */
  constructor(cmd: string, args: string[], options: ChildOptions = {}) {
    this.command = [cmd, ...args].join(" ");
    this.#child = new Deno.Command(cmd, {
      args,
      cwd: options.cwd ?? ROOT,
      env: { NO_COLOR: "1", ...options.env },
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#killTimer = setTimeout(
      () => this.kill("SIGKILL"),
      options.lifetimeMs ?? LIFETIME_MS,
    );
    this.#status = this.#child.status.then((status) => {
      this.#exited = true;
      clearTimeout(this.#killTimer);
      this.#waiters.notify();
      return status;
    });
    this.#drained = Promise.all([
      this.#collect(this.#child.stdout, "stdout"),
      this.#collect(this.#child.stderr, "stderr"),
    ]).then(() => {
      this.#outputDone = true;
      this.#waiters.notify();
    });
    this.#stdin = this.#child.stdin.getWriter();
    if (options.stdin !== undefined) {
      // A child that exits without reading breaks the pipe: its exit code tells.
      this.write(options.stdin).then(() => this.closeStdin(), () => {});
    }
  }

  async #collect(stream: ReadableStream<Uint8Array>, name: Stream) {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      if (name === "stdout") this.#stdoutChunks.push(chunk);
      this[name] += decoder.decode(chunk, { stream: true });
      this.#waiters.notify();
    }
    this[name] += decoder.decode();
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Tells whether the process has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Everything read from stdout so far, as bytes. */
  stdoutBytes(): Uint8Array {
    return concat(this.#stdoutChunks);
  }

  /** The command and both outputs, labelled, for failure messages. */
  report(): string {
    return `--- ${this.command}\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`;
  }

  /**
   * Waits until `check` returns a value other than `undefined` or `false`,
   * re-checking whenever output arrives or the process exits, and returns
   * it. Fails after `timeoutMs`, or once the output has ended without it.
   */
  until<T>(
    what: string,
    check: () => T | undefined | false,
    timeoutMs: number = WAIT_MS,
  ): Promise<T> {
    return this.#waiters.until(`${what} from \`${this.command}\``, check, {
      ms: timeoutMs,
      over: () => this.#outputDone,
      seen: () => this.report(),
    });
  }

  /**
   * Waits for `pattern` in a stream and returns the match. A string pattern
   * matches anywhere in the text collected so far.
   */
  waitFor(
    stream: Stream,
    pattern: string | RegExp,
    timeoutMs: number = WAIT_MS,
  ): Promise<RegExpMatchArray> {
    const regexp = typeof pattern === "string"
      ? new RegExp(pattern.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
      : pattern;
    return this.until(
      `${regexp} on ${stream}`,
      () => this[stream].match(regexp) ?? undefined,
      timeoutMs,
    );
  }

  /** Writes text (as UTF-8) or bytes to stdin. */
  async write(data: string | Uint8Array): Promise<void> {
    await this.#stdin.write(
      typeof data === "string" ? new TextEncoder().encode(data) : data,
    );
  }

  /** Closes stdin, so the child reads end of input; safe to call twice. */
  async closeStdin(): Promise<void> {
    if (this.#stdinClosed) return;
    this.#stdinClosed = true;
    await this.#stdin.close().catch(() => {});
  }

  /** Sends `signal` to the child's PID unless it has exited. */
  kill(signal: Deno.Signal): void {
    if (this.#exited) return;
    try {
      this.#child.kill(signal);
    } catch {
      // It exited meanwhile.
    }
  }

  /**
   * Waits for the child to exit and its output to be read. A child still
   * running after `timeoutMs` is killed, and this throws with its output.
   */
  async finished(timeoutMs: number = WAIT_MS): Promise<Finished> {
    let status: Deno.CommandStatus;
    try {
      status = await within(
        this.#status,
        timeoutMs,
        `\`${this.command}\` to exit`,
      );
    } catch (err) {
      this.kill("SIGKILL");
      await this.#status;
      await this.#drained;
      throw new Error(`${(err as Error).message}\n${this.report()}`);
    }
    await this.#drained;
    return { code: status.code, stdout: this.stdout, stderr: this.stderr };
  }

  /** Kills the child by its PID if it still runs, and awaits it and its output. */
  async [Symbol.asyncDispose](): Promise<void> {
    clearTimeout(this.#killTimer);
    await this.closeStdin();
    this.kill("SIGKILL");
    await this.#status;
    await this.#drained;
  }
}

/** Runs a command to completion with `stdin` given (empty by default). */
export async function run(
  cmd: string,
  args: string[],
  options: ChildOptions & { timeoutMs?: number } = {},
): Promise<Finished> {
  const { timeoutMs = WAIT_MS, ...rest } = options;
  await using child = new Child(cmd, args, {
    ...rest,
    stdin: rest.stdin ?? "",
    lifetimeMs: rest.lifetimeMs ?? Math.max(LIFETIME_MS, timeoutMs),
  });
  return await child.finished(timeoutMs);
}

/**
 * Runs a command synchronously and returns what it left behind, or `null`
 * when it cannot be started. Only for deciding, while a test module loads,
 * whether its tests can run (`nc -h`, `deno info`): everything else uses
 * {@linkcode Child}.
 */
export function probe(cmd: string, args: string[]): Finished | null {
  try {
    const { code, stdout, stderr } = new Deno.Command(cmd, {
      args,
      stdin: "null",
    }).outputSync();
    const decoder = new TextDecoder();
    return {
      code,
      stdout: decoder.decode(stdout),
      stderr: decoder.decode(stderr),
    };
  } catch {
    return null;
  }
}

/** Splits output into lines, dropping the empty string after a final `\n`. */
export function lines(text: string): string[] {
  const all = text.split("\n");
  if (all.at(-1) === "") all.pop();
  return all;
}

/**
 * The resident memory of a process, in bytes, from `/proc/PID/status`, or
 * `null` where there is no `/proc` (macOS, Windows). Read with `cat`:
 * Deno asks for `--allow-all` to read `/proc` itself.
 */
export async function rssOf(pid: number): Promise<number | null> {
  try {
    const { code, stdout } = await run("cat", [`/proc/${pid}/status`]);
    if (code !== 0) return null;
    const kb = /VmRSS:\s+(\d+) kB/.exec(stdout);
    return kb ? Number(kb[1]) * 1024 : null;
  } catch {
    return null;
  }
}
