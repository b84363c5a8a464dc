/**
 * Child processes for the benchmark: every process is started through
 * {@link startProcess}, remembered until it has exited, and killed by its own
 * PID on timeout, on failure, and when the orchestrator stops.
 *
 * @module
 */

/** Lines read from one output stream of a child, with waiting by predicate. */
export class LineBuffer {
  /** Every complete line seen so far. */
  readonly lines: string[] = [];
  #cursor = 0;
  #closed = false;
  #waiters: (() => void)[] = [];
  /** Resolves when the stream has ended. */
  readonly done: Promise<void>;

  /**
   * Starts reading the stream in the background.
   *
   * @param stream The child's stdout or stderr.
   */
  constructor(stream: ReadableStream<Uint8Array>) {
    this.done = this.#pump(stream);
  }

  async #pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    let pending = "";
    try {
      for await (const chunk of stream) {
        pending += decoder.decode(chunk, { stream: true });
        let i;
        while ((i = pending.indexOf("\n")) >= 0) {
          this.lines.push(pending.slice(0, i));
          pending = pending.slice(i + 1);
        }
        this.#wake();
      }
    } catch {
      // The stream errors when the child is killed; what was read is kept.
    }
    if (pending) this.lines.push(pending);
    this.#closed = true;
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  /**
   * Waits for the next unread line that satisfies `match`, skipping others.
   *
   * @param match Returns a value for a wanted line, or undefined to skip it.
   * @param timeoutMs How long to wait.
   * @param what Names the awaited line in the error message.
   * @returns The value `match` returned.
   * @throws {Error} If the stream ends or the time runs out first.
   */
  async next<T>(
    match: (line: string) => T | undefined,
    timeoutMs: number,
    what: string,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (this.#cursor < this.lines.length) {
        const value = match(this.lines[this.#cursor++]);
        if (value !== undefined) return value;
      }
      if (this.#closed) throw new Error(`Cannot read ${what}: output ended`);
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`Cannot read ${what}: no line within ${timeoutMs} ms`);
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      await new Promise<void>((resolve) => {
        this.#waiters.push(resolve);
        timer = setTimeout(resolve, left);
      });
      clearTimeout(timer);
    }
  }

  /**
   * The last lines, for error messages.
   *
   * @param count How many lines.
   * @returns The lines joined with newlines.
   */
  tail(count = 5): string {
    return this.lines.slice(-count).join("\n");
  }
}

/** Options for {@link startProcess}. */
export interface StartOptions {
  /** Working directory. @default the current one */
  cwd?: string;
  /** Text written to stdin, which is then closed; without it stdin is null. */
  stdin?: string;
  /** Hard limit: the process is killed after this many milliseconds. @default 60000 */
  timeoutMs?: number;
}

/** A running child process started by {@link startProcess}. */
export interface Proc {
  /** The command line, for messages. */
  readonly label: string;
  /** The child's process id. */
  readonly pid: number;
  /** Lines of stdout. */
  readonly stdout: LineBuffer;
  /** Lines of stderr. */
  readonly stderr: LineBuffer;
  /** Resolves with the exit status once the process is gone. */
  readonly status: Promise<Deno.CommandStatus>;
  /** True once the hard timeout killed the process. */
  readonly timedOut: () => boolean;
  /** Kills the process (SIGKILL) if it still runs, and waits for it. */
  kill(): Promise<void>;
}

const live = new Set<Proc>();

/**
 * Parses a JSON object from a line, or returns undefined if it is not one.
 *
 * @param line One line of output.
 * @returns The parsed object, or undefined.
 */
export function jsonLine(line: string): Record<string, unknown> | undefined {
  const text = line.trim();
  if (!text.startsWith("{")) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Starts a child process with piped output and a hard timeout.
 *
 * @param cmd The program.
 * @param args Its arguments.
 * @param options Working directory, stdin text and timeout.
 * @returns The running process.
 */
export function startProcess(
  cmd: string,
  args: string[],
  options: StartOptions = {},
): Proc {
  const child = new Deno.Command(cmd, {
    args,
    cwd: options.cwd,
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  let exited = false;
  const kill = () => {
    if (exited) return;
    try {
      child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, options.timeoutMs ?? 60_000);
  const stdout = new LineBuffer(child.stdout);
  const stderr = new LineBuffer(child.stderr);
  const status = child.status.finally(() => {
    exited = true;
    clearTimeout(timer);
  });
  const proc: Proc = {
    label: [cmd, ...args].join(" "),
    pid: child.pid,
    stdout,
    stderr,
    status,
    timedOut: () => timedOut,
    async kill() {
      kill();
      await status;
      // A grandchild could hold the pipes open: do not wait on it for long.
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([
        Promise.all([stdout.done, stderr.done]),
        new Promise((resolve) => timer = setTimeout(resolve, 2000)),
      ]);
      clearTimeout(timer);
    },
  };
  live.add(proc);
  status.finally(() => live.delete(proc));
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    writer.write(new TextEncoder().encode(options.stdin))
      .then(() => writer.close())
      .catch(() => {});
  }
  return proc;
}

/**
 * Waits for a process to exit on its own within its hard timeout.
 *
 * @param proc The process.
 * @returns Its exit status.
 * @throws {Error} If it timed out or exited non-zero; the message quotes stderr.
 */
export async function finish(proc: Proc): Promise<Deno.CommandStatus> {
  const status = await proc.status;
  await Promise.all([proc.stdout.done, proc.stderr.done]);
  if (proc.timedOut()) {
    throw new Error(`Process timed out and was killed: ${short(proc)}`);
  }
  if (!status.success) {
    throw new Error(`Process exited with code ${status.code}: ${short(proc)}`);
  }
  return status;
}

function short(proc: Proc): string {
  const err = proc.stderr.tail(4).replace(/\s+/g, " ").slice(0, 400);
  return `${proc.label.slice(0, 160)}${err ? ` | stderr: ${err}` : ""}`;
}

/**
 * Kills every child still running, each by its own PID, and waits for them.
 *
 * @returns A promise that resolves when all are gone.
 */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill()));
}

/**
 * Reads a process's resident set size from `/proc/PID/status` (`VmRSS`).
 * Deno asks for `--allow-all` to read another process's /proc entry, so the
 * file is read with `cat` (covered by `--allow-run`).
 *
 * @param pid The process id.
 * @returns The RSS in bytes.
 * @throws {Error} If the file cannot be read or has no `VmRSS` line.
 */
export async function readRss(pid: number): Promise<number> {
  const text = await capture("cat", [`/proc/${pid}/status`]);
  const m = text?.match(/^VmRSS:\s+(\d+)\s+kB/m);
  if (!m) {
    throw new Error(
      `Cannot read VmRSS of process ${pid}: is it still running?`,
    );
  }
  return Number(m[1]) * 1024;
}

/**
 * Runs a short command and returns its trimmed stdout, or null if it fails.
 *
 * @param cmd The program.
 * @param args Its arguments.
 * @returns The output, or null.
 */
export async function capture(
  cmd: string,
  args: string[],
): Promise<string | null> {
  try {
    const proc = startProcess(cmd, args, { timeoutMs: 15_000 });
    const status = await proc.status;
    await Promise.all([proc.stdout.done, proc.stderr.done]);
    if (!status.success) return null;
    return (proc.stdout.lines.join("\n") || proc.stderr.lines.join("\n"))
      .trim();
  } catch {
    return null;
  }
}
