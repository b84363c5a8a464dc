/**
 * Spawn-and-read helpers for the chat program tests (`interop_*_test.ts`,
 * `interactive_test.ts`).
 *
 * A {@linkcode Proc} is one real child process with its stdout and stderr
 * collected as text while it runs, so a test can wait for a line to appear
 * (bounded by a deadline), write to stdin, and finally await the exit code.
 * Every `Proc` has a hard deadline after which it is killed, and
 * `await using` kills and awaits it by PID whatever the test did.
 *
 * @module
 */

import { fileURLToPath } from "node:url";

/** The repository root. */
export const ROOT: string = fileURLToPath(new URL("../..", import.meta.url));
/** The `pysocket` command's entry point. */
export const CLI: string = fileURLToPath(
  new URL("../../cli.ts", import.meta.url),
);
/** The folder of the python3 tutorial peers. */
export const PEERS: string = fileURLToPath(
  new URL("../peers/", import.meta.url),
);

/** How long a wait for output may take before the test fails. */
export const WAIT_MS = 10_000;
/** How long any child may live before it is killed. */
export const LIFETIME_MS = 30_000;

/** What a process left behind when it exited. */
export interface Finished {
  /** The exit code (128 + n when killed by signal n). */
  code: number;
  /** The signal that killed it, if any. */
  signal: Deno.Signal | null;
  /** Everything it wrote on stdout. */
  stdout: string;
  /** Everything it wrote on stderr. */
  stderr: string;
}

/** Options for {@linkcode Proc}. */
export interface ProcOptions {
  /**
   * Text written to stdin, after which stdin is closed. When absent stdin
   * stays open for {@linkcode Proc.write} until {@linkcode Proc.closeStdin}.
   */
  input?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
  /** The working directory. @default ROOT */
  cwd?: string;
  /** Kill the process after this many milliseconds. @default LIFETIME_MS */
  lifetimeMs?: number;
}

/** Which output stream to watch. */
export type Stream = "stdout" | "stderr";

/** A running child process whose output is collected as text. */
export class Proc implements AsyncDisposable {
  /** The command line, for failure messages. */
  readonly command: string;
  /** Everything read from stdout so far. */
  stdout = "";
  /** Everything read from stderr so far. */
  stderr = "";
  #child: Deno.ChildProcess;
  #stdin: WritableStreamDefaultWriter<Uint8Array>;
  #stdinClosed = false;
  #waiters = new Set<() => void>();
  #drained: Promise<void>;
  #status: Promise<Deno.CommandStatus>;
  #exited = false;
  #outputDone = false;
  #killTimer: ReturnType<typeof setTimeout>;

  constructor(cmd: string, args: string[], options: ProcOptions = {}) {
    this.command = [cmd, ...args].join(" ");
    this.#child = new Deno.Command(cmd, {
      args,
      cwd: options.cwd ?? ROOT,
      env: options.env,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#status = this.#child.status.then((status) => {
      this.#exited = true;
      this.#notify();
      return status;
    });
    this.#killTimer = setTimeout(
      () => this.kill("SIGKILL"),
      options.lifetimeMs ?? LIFETIME_MS,
    );
    this.#drained = Promise.all([
      this.#collect(this.#child.stdout, "stdout"),
      this.#collect(this.#child.stderr, "stderr"),
    ]).then(() => {
      this.#outputDone = true;
      this.#notify();
    });
    this.#stdin = this.#child.stdin.getWriter();
    if (options.input !== undefined) {
      // A process that exits early breaks the pipe: its exit code tells.
      this.write(options.input).then(() => this.closeStdin(), () => {});
    }
  }

  /** The process id. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Tells whether the process has exited. */
  get exited(): boolean {
    return this.#exited;
  }

  async #collect(stream: ReadableStream<Uint8Array>, name: Stream) {
    const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      this[name] += value;
      this.#notify();
    }
  }

  #notify() {
    for (const wake of this.#waiters) wake();
  }

  /**
   * Waits until `check` returns a value other than `undefined` or `false`,
   * re-checking whenever output arrives or the process exits.
   */
  async until<T>(
    what: string,
    check: () => T | undefined | false,
    timeoutMs = WAIT_MS,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const found = check();
      if (found !== undefined && found !== false) return found;
      const left = deadline - Date.now();
      if (left <= 0 || this.#outputDone) {
        throw new Error(
          `Gave up waiting for ${what} from \`${this.command}\`` +
            (this.#exited ? " (it exited)" : ` after ${timeoutMs} ms`) +
            `\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`,
        );
      }
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => wake = resolve);
      this.#waiters.add(wake);
      const timer = setTimeout(wake, Math.min(left, 1_000));
      await woken;
      clearTimeout(timer);
      this.#waiters.delete(wake);
    }
  }

  /**
   * Waits for `pattern` in a stream and returns the match. A string pattern
   * matches anywhere in the collected text.
   */
  waitFor(
    stream: Stream,
    pattern: string | RegExp,
    timeoutMs = WAIT_MS,
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

  /** Writes text to stdin. */
  async write(text: string): Promise<void> {
    await this.#stdin.write(new TextEncoder().encode(text));
  }

  /** Closes stdin (end of input); safe to call twice. */
  async closeStdin(): Promise<void> {
    if (this.#stdinClosed) return;
    this.#stdinClosed = true;
    await this.#stdin.close().catch(() => {});
  }

  /** Sends a signal unless the process has exited. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    if (this.#exited) return;
    try {
      this.#child.kill(signal);
    } catch { /* it exited meanwhile */ }
  }

  /**
   * Waits for the process to exit and its output to be read. If it is still
   * running after `timeoutMs` it is killed and this throws.
   */
  async finished(timeoutMs = WAIT_MS): Promise<Finished> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((resolve) => {
      timer = setTimeout(() => resolve("late"), timeoutMs);
    });
    const status = await Promise.race([this.#status, late]);
    clearTimeout(timer);
    if (status === "late") {
      this.kill("SIGKILL");
      await this.#status;
      await this.#drained;
      throw new Error(
        `\`${this.command}\` did not exit within ${timeoutMs} ms` +
          `\n--- stdout ---\n${this.stdout}\n--- stderr ---\n${this.stderr}`,
      );
    }
    await this.#drained;
    return {
      code: status.code,
      signal: status.signal,
      stdout: this.stdout,
      stderr: this.stderr,
    };
  }

  /** Kills the process if it still runs, and awaits its exit and output. */
  async [Symbol.asyncDispose](): Promise<void> {
    clearTimeout(this.#killTimer);
    await this.closeStdin();
    this.kill("SIGKILL");
    await this.#status;
    await this.#drained;
  }
}

/** Options for {@linkcode chat}. */
export interface ChatOptions extends ProcOptions {
  /**
   * The exact `--allow-net` value, `true` for the whole network, or
   * `false` for none.
   * @default "127.0.0.1"
   */
  allowNet?: string | boolean;
  /** Further `deno run` flags, like `--allow-read=PATH`. */
  denoFlags?: string[];
}

/**
 * Starts a chat program: `deno run --no-prompt --unstable-net
 * --allow-net=... cli.ts PROGRAM ARGS`.
 */
export function chat(
  program: string,
  args: string[],
  options: ChatOptions = {},
): Proc {
  const { allowNet = "127.0.0.1", denoFlags = [], ...rest } = options;
  const flags = ["run", "--no-prompt", "--unstable-net", ...denoFlags];
  if (allowNet === true) flags.push("--allow-net");
  else if (allowNet !== false) flags.push(`--allow-net=${allowNet}`);
  return new Proc(Deno.execPath(), [...flags, CLI, program, ...args], rest);
}

/** Starts a python3 peer from `tests/peers/` (unbuffered, UTF-8 I/O). */
export function python(
  script: string,
  args: string[],
  options: ProcOptions = {},
): Proc {
  return new Proc("python3", ["-u", `${PEERS}${script}`, ...args], {
    ...options,
    env: { PYTHONIOENCODING: "utf-8", ...options.env },
  });
}

/**
 * Waits for a server's `listening on HOST:PORT` stderr line (ours and the
 * python peers' print the same) and returns the port.
 */
export async function listeningPort(server: Proc): Promise<number> {
  const match = await server.waitFor("stderr", /listening on .*:(\d+)\b/);
  return Number(match[1]);
}

/** Waits for a Unix socket server's `listening on ...` stderr line. */
export async function listening(server: Proc): Promise<string> {
  const match = await server.waitFor("stderr", /listening on (.*)\n/);
  return match[1];
}

/**
 * A port that was free a moment ago, for peers that cannot bind port 0 and
 * report it (nc -l). TCP and UDP are checked together.
 */
export function freePort(hostname = "127.0.0.1"): number {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = Deno.listen({ hostname, port: 0 });
    const { port } = tcp.addr as Deno.NetAddr;
    try {
      const udp = Deno.listenDatagram({ hostname, port, transport: "udp" });
      udp.close();
      return port;
    } catch {
      continue;
    } finally {
      tcp.close();
    }
  }
  throw new Error("No free port found on " + hostname);
}

/** Splits output into lines, dropping the empty string after a final `\n`. */
export function lines(text: string): string[] {
  const all = text.split("\n");
  if (all.at(-1) === "") all.pop();
  return all;
}

/**
 * Tells whether a command is on the PATH, for tests that need a tool
 * (python3, nc, ncat, tmux) and say so in their name when it is missing.
 */
export function hasCommand(name: string): boolean {
  const windows = Deno.build.os === "windows";
  const dirs = (Deno.env.get("PATH") ?? "").split(windows ? ";" : ":");
  const suffixes = windows
    ? (Deno.env.get("PATHEXT") ?? ".EXE").split(";").concat("")
    : [""];
  for (const dir of dirs) {
    for (const suffix of suffixes) {
      try {
        if (Deno.statSync(`${dir}/${name}${suffix}`).isFile) return true;
      } catch {
        // Not there.
      }
    }
  }
  return false;
}

/**
 * Tells whether `nc` is OpenBSD netcat (Debian's netcat-openbsd), whose
 * flags and behaviour the tests rely on (`-C`, `-v` messages, quitting
 * when the peer closes).
 */
function isOpenBSDNetcat(): boolean {
  try {
    const { stdout, stderr } = new Deno.Command("nc", {
      args: ["-h"],
      stdin: "null",
    }).outputSync();
    const decoder = new TextDecoder();
    return /OpenBSD netcat/.test(
      decoder.decode(stdout) + decoder.decode(stderr),
    );
  } catch {
    return false;
  }
}

/**
 * The name suffix and `ignore` flag of a test that needs some commands:
 * `{ why: " (ignored: nc not found)", ignore: true }` when one is missing.
 * `nc` must be OpenBSD netcat. On Windows the tests that drive peers are
 * ignored: they stop programs with SIGINT and use POSIX tools.
 */
export function needs(...commands: string[]): { why: string; ignore: boolean } {
  if (Deno.build.os === "windows") {
    return { why: " (ignored: needs POSIX signals and tools)", ignore: true };
  }
  const missing = commands.filter((command) => !hasCommand(command));
  if (missing.length) {
    return { why: ` (ignored: ${missing.join(", ")} not found)`, ignore: true };
  }
  if (commands.includes("nc") && !isOpenBSDNetcat()) {
    return { why: " (ignored: nc is not OpenBSD netcat)", ignore: true };
  }
  return { why: "", ignore: false };
}

/** Tells whether this machine has an IPv6 loopback. */
export function hasIPv6(): boolean {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

/** A temporary directory, removed when disposed. */
export async function tempDir(): Promise<AsyncDisposable & { path: string }> {
  // Under /tmp, a Unix socket path stays short of its limit (104 bytes on
  // macOS, whose own temporary folder is long).
  const dir = Deno.build.os === "windows" ? undefined : "/tmp";
  const path = await Deno.makeTempDir({ dir, prefix: "pysocket-" });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }),
  };
}
