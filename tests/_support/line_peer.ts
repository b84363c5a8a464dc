/**
 * A test-side TCP peer for the room, fault and terminal tests: a real
 * connection (a pysocket socket) whose received bytes are collected in the
 * background, so a test can send, wait for a line (bounded by a deadline)
 * and compare the whole transcript at the end.
 *
 * @module
 */

import { create_connection, type Socket } from "../../mod.ts";
import { WAIT_MS } from "./paths.ts";
import { Waiters } from "./wait.ts";

/** A connected peer that records everything it receives. */
export class LinePeer implements AsyncDisposable {
  /** Everything received so far, decoded as UTF-8. */
  text = "";
  /** Bytes received so far. */
  bytes = 0;
  /** Set once the server closed (or reset) the connection. */
  ended: "closed" | "reset" | null = null;
  /** The connection (a pysocket socket). */
  readonly sock: Socket;
  #decoder = new TextDecoder();
  #waiters = new Waiters();
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
        this.#waiters.notify();
      }
      this.ended = "closed";
    } catch {
      this.ended = "reset";
    }
    this.#waiters.notify();
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
  async until(what: string, check: () => boolean, ms = WAIT_MS): Promise<void> {
    await this.#waiters.until(what, check, {
      ms,
      seen: () => `received:\n${this.text}`,
    });
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

  /** Sends text, as UTF-8, or bytes. */
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
