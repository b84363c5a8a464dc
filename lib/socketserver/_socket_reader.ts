/**
 * Private: `StreamRequestHandler.rfile`, a buffered binary reader over a
 * socket's `recv` with the methods of Python's `makefile("rb")`.
 *
 * @module
 */

import { ValueError } from "../socket/errors.ts";
import type { Socket } from "../socket/socket.ts";

const NEWLINE = 0x0a;
const CHUNK = 65536;

/** Reads a socket through a buffer; closing it leaves the socket open. */
export class SocketReader {
  #sock: Socket;
  #buffer = new Uint8Array(0);
  #eof = false;
  #closed = false;

  /** Reads from `sock`. */
  constructor(sock: Socket) {
    this.#sock = sock;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Receives more bytes into the buffer; false at end of stream. */
  async #fill(): Promise<boolean> {
    if (this.#closed) throw new ValueError("I/O operation on closed file.");
    if (this.#eof) return false;
    const data = await this.#sock.recv(CHUNK);
    if (data.length === 0) {
      this.#eof = true;
      return false;
    }
    const joined = new Uint8Array(this.#buffer.length + data.length);
    joined.set(this.#buffer);
    joined.set(data, this.#buffer.length);
    this.#buffer = joined;
    return true;
  }

  #take(n: number): Uint8Array {
    const out = this.#buffer.slice(0, n);
    this.#buffer = this.#buffer.subarray(n);
    return out;
  }

  /**
   * Reads `size` bytes, fewer only at end of stream; -1 reads to the end.
   */
  async read(size = -1): Promise<Uint8Array> {
    if (this.#closed) throw new ValueError("I/O operation on closed file.");
    while (size < 0 || this.#buffer.length < size) {
      if (!await this.#fill()) break;
    }
    return this.#take(
      size < 0 ? this.#buffer.length : Math.min(size, this.#buffer.length),
    );
  }

  /**
   * Reads one line with its `\n` (or what is left at end of stream), at
   * most `size` bytes unless -1.
   */
  async readline(size = -1): Promise<Uint8Array> {
    if (this.#closed) throw new ValueError("I/O operation on closed file.");
    let searched = 0;
    while (true) {
      const at = this.#buffer.indexOf(NEWLINE, searched);
      if (at !== -1) {
        return this.#take(size < 0 ? at + 1 : Math.min(at + 1, size));
      }
      if (size >= 0 && this.#buffer.length >= size) return this.#take(size);
      searched = this.#buffer.length;
      if (!await this.#fill()) return this.#take(this.#buffer.length);
    }
  }

  /** Reads every line to the end of stream (stopping once `hint` bytes are read, if positive). */
  async readlines(hint = -1): Promise<Uint8Array[]> {
    const lines: Uint8Array[] = [];
    let total = 0;
    while (true) {
      const line = await this.readline();
      if (line.length === 0) return lines;
      lines.push(line);
      total += line.length;
      if (hint > 0 && total >= hint) return lines;
    }
  }

  /** Each line, as `for line in rfile` in Python. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, void> {
    while (true) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  /** Closes the reader, not the socket. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}
