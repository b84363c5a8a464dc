/**
 * A child process whose stdout is kept as bytes, not text, for the stream
 * modes' tests (binary data, checksums), and how to start pysocket as one.
 *
 * @module
 */

import { CLI, ROOT } from "./process.ts";

/** A child whose stdout is kept as bytes. */
export class BinaryProc implements AsyncDisposable {
  stdout: Uint8Array[] = [];
  stderr = "";
  readonly #child: Deno.ChildProcess;
  readonly #stdin: WritableStreamDefaultWriter<Uint8Array>;
  readonly #done: Promise<Deno.CommandStatus>;
  readonly #timer: ReturnType<typeof setTimeout>;

  constructor(cmd: string, args: string[]) {
    const child = new Deno.Command(cmd, {
      args,
      cwd: ROOT,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    this.#stdin = child.stdin.getWriter();
    const out = (async () => {
      for await (const chunk of child.stdout) this.stdout.push(chunk);
    })();
    const err = (async () => {
      for await (
        const text of child.stderr.pipeThrough(new TextDecoderStream())
      ) this.stderr += text;
    })();
    this.#timer = setTimeout(() => this.kill(), 30_000);
    this.#done = Promise.all([child.status, out, err]).then((
      [status],
    ) => status);
  }

  /** Waits for a pattern on stderr. */
  async stderrMatch(pattern: RegExp): Promise<RegExpMatchArray> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
      const match = this.stderr.match(pattern);
      if (match) return match;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`no ${pattern} on stderr:\n${this.stderr}`);
  }

  /** All stdout bytes so far, joined. */
  output(): Uint8Array {
    return join(this.stdout);
  }

  async write(data: Uint8Array): Promise<void> {
    await this.#stdin.write(data);
  }

  async closeStdin(): Promise<void> {
    await this.#stdin.close().catch(() => {});
  }

  async finished(): Promise<{ code: number; stderr: string }> {
    const status = await this.#done;
    clearTimeout(this.#timer);
    return { code: status.code, stderr: this.stderr };
  }

  kill(): void {
    try {
      this.#child.kill("SIGKILL");
    } catch {
      // It has exited.
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.closeStdin();
    this.kill();
    await this.#done;
    clearTimeout(this.#timer);
  }
}

/** Joins chunks into one array. */
export function join(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** `size` random bytes. */
export function random(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) {
    crypto.getRandomValues(data.subarray(at, Math.min(size, at + 65536)));
  }
  return data;
}

/** The SHA-256 of `data`, in hex. */
export async function sha256(data: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest(
    "SHA-256",
    data as Uint8Array<ArrayBuffer>,
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/**
 * Runs `deno run cli.ts ARGS` with `flags`, and net access to 127.0.0.1
 * only (UDP too) unless `flags` grant net access themselves.
 */
export function pysocket(args: string[], flags: string[] = []): BinaryProc {
  const net = flags.some((flag) => flag.startsWith("--allow-net"))
    ? []
    : ["--allow-net=127.0.0.1"];
  return new BinaryProc(Deno.execPath(), [
    "run",
    "--no-prompt",
    "--unstable-net",
    ...net,
    ...flags,
    CLI,
    ...args,
  ]);
}

/**
 * Starts `pysocket PROGRAM --stream` on 127.0.0.1, port 0, and waits for
 * its `listening on` line.
 */
export async function startStreamServer(
  program: "tcp-server" | "udp-server",
  args: string[] = [],
  flags: string[] = [],
): Promise<{ server: BinaryProc; port: number }> {
  const server = pysocket([
    program,
    "--stream",
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    ...args,
  ], flags);
  const port = Number((await server.stderrMatch(/listening on .*:(\d+)\n/))[1]);
  return { server, port };
}
