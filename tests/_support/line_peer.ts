/**
 * A test-side TCP peer for the room and fault tests: a real pysocket
 * connection whose received bytes are collected in the background, so a
 * test can send, wait for a line (bounded by a deadline) and compare the
 * whole transcript at the end.
 *
 * @module
 */

import { create_connection, type Socket } from "../../mod.ts";

/** How long a wait for a line may take before the test fails. */
export const LINE_WAIT_MS = 10_000;

/** A connected peer that records everything it receives. */
export class LinePeer implements AsyncDisposable {
  /** Everything received so far, decoded as UTF-8. */
  text = "";
  /** Bytes received so far. */
  bytes = 0;
  /** Set once the server closed (or reset) the connection. */
  ended: "closed" | "reset" | null = null;
  readonly sock: Socket;
  #decoder = new TextDecoder();
  #waiters = new Set<() => void>();
  #reading: Promise<void>;

  private constructor(sock: Socket, read: boolean) {
    this.sock = sock;
    this.#reading = read ? this.#read() : Promise.resolve();
  }

  /**
   * Connects to `port` on 127.0.0.1 (or `host`).
   *
   * @param port The server's port.
   * @param options `read: false` for a peer that never reads.
   */
  static async connect(
    port: number,
    options: { host?: string; read?: boolean } = {},
  ): Promise<LinePeer> {
    const sock = await create_connection(
      [options.host ?? "127.0.0.1", port],
      5,
    );
    sock.settimeout(null);
    return new LinePeer(sock, options.read ?? true);
  }

  async #read(): Promise<void> {
    try {
      while (true) {
        const data = await this.sock.recv(65536);
        if (data.length === 0) break;
        this.bytes += data.length;
        this.text += this.#decoder.decode(data, { stream: true });
        this.#wake();
      }
      this.ended = "closed";
    } catch {
      this.ended = "reset";
    }
    this.#wake();
  }

  #wake(): void {
    for (const wake of this.#waiters) wake();
  }

  /** The complete lines received so far. */
  get lines(): string[] {
    const all = this.text.split("\n");
    all.pop();
    return all;
  }

  /**
   * Waits until `check` holds, re-checking as bytes arrive.
   *
   * @param what What is awaited, for the failure message.
   * @param check The condition.
   * @param ms The deadline.
   */
  async until(what: string, check: () => boolean, ms = LINE_WAIT_MS) {
    const deadline = Date.now() + ms;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(
          `Gave up waiting for ${what} after ${ms} ms; received:\n${this.text}`,
        );
      }
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => wake = resolve);
      this.#waiters.add(wake);
      const timer = setTimeout(wake, Math.min(left, 200));
      await woken;
      clearTimeout(timer);
      this.#waiters.delete(wake);
    }
  }

  /**
   * Waits for a complete line matching `pattern` and returns its match.
   *
   * @param pattern A string (the whole line) or a regexp.
   */
  async line(pattern: string | RegExp): Promise<RegExpMatchArray> {
    const test = (line: string) =>
      typeof pattern === "string"
        ? (line === pattern ? [line] as RegExpMatchArray : null)
        : line.match(pattern);
    let found: RegExpMatchArray | null = null;
    await this.until(`the line ${pattern}`, () => {
      for (const line of this.lines) {
        found = test(line);
        if (found) return true;
      }
      return false;
    });
    return found!;
  }

  /** Waits until the server ends the connection. */
  async end(): Promise<"closed" | "reset"> {
    await this.until("the end of the connection", () => this.ended !== null);
    return this.ended!;
  }

  /** Sends text, as UTF-8. */
  async send(text: string | Uint8Array): Promise<void> {
    await this.sock.sendall(
      typeof text === "string" ? new TextEncoder().encode(text) : text,
    );
  }

  /** Closes the connection and waits for the reader to stop. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.sock.close();
    await this.#reading;
  }
}

/**
 * The resident memory of a process, in bytes, from `/proc/PID/status`
 * (`null` where there is no `/proc`). Read with `cat`: Deno asks for
 * `--allow-all` to read `/proc` itself.
 *
 * @param pid The process id.
 */
export async function rssOf(pid: number): Promise<number | null> {
  try {
    const { stdout, success } = await new Deno.Command("cat", {
      args: [`/proc/${pid}/status`],
      stdout: "piped",
      stderr: "null",
    }).output();
    if (!success) return null;
    const kb = /VmRSS:\s+(\d+) kB/.exec(new TextDecoder().decode(stdout));
    return kb ? Number(kb[1]) * 1024 : null;
  } catch {
    return null;
  }
}
