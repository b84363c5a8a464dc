/**
 * Private: the in-memory files of `DatagramRequestHandler` (Python's
 * `io.BytesIO`) and the unbuffered writer of `StreamRequestHandler`
 * (Python's `socketserver._SocketWriter`).
 *
 * @module
 */

import { ValueError } from "../socket/errors.ts";
import type { Socket } from "../socket/socket.ts";

const NEWLINE = 0x0a;

function bytesOf(data: ArrayBufferView): Uint8Array {
  if (!ArrayBuffer.isView(data)) {
    throw new TypeError(
      `a bytes-like object is required, not '${typeof data}'`,
    );
  }
  return data instanceof Uint8Array
    ? data
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

function closedFile(): ValueError {
  return new ValueError("I/O operation on closed file.");
}

/**
 * Python's `io.BytesIO`, with the file methods async like the socket
 * files of `makefile`, so one handler reads the same over both.
 */
export class BytesIO {
  #data: Uint8Array;
  #size: number;
  #pos = 0;
  #closed = false;

  /** Starts with a copy of `initial` (nothing by default), at position 0. */
  constructor(initial: Uint8Array = new Uint8Array(0)) {
    this.#data = initial.slice();
    this.#size = initial.length;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  #check(): void {
    if (this.#closed) throw closedFile();
  }

  /** Reads up to `size` bytes (everything left for -1). */
  read(size = -1): Promise<Uint8Array> {
    this.#check();
    const end = size < 0 ? this.#size : Math.min(this.#size, this.#pos + size);
    const out = this.#data.slice(this.#pos, Math.max(this.#pos, end));
    this.#pos = Math.max(this.#pos, end);
    return Promise.resolve(out);
  }

  /** Reads one line, its `\n` included (at most `size` bytes unless -1). */
  readline(size = -1): Promise<Uint8Array> {
    this.#check();
    let end = this.#data.subarray(0, this.#size).indexOf(NEWLINE, this.#pos);
    end = end === -1 ? this.#size : end + 1;
    if (size >= 0) end = Math.min(end, this.#pos + size);
    const out = this.#data.slice(this.#pos, end);
    this.#pos = Math.max(this.#pos, end);
    return Promise.resolve(out);
  }

  /** Reads every line left (stopping once `hint` bytes are read, if positive). */
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

  /** Each line, as `for line in file` in Python. */
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, void> {
    while (true) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  /** Writes at the position; returns the count. */
  write(data: ArrayBufferView): Promise<number> {
    this.#check();
    const bytes = bytesOf(data);
    const end = this.#pos + bytes.length;
    if (end > this.#data.length) {
      const grown = new Uint8Array(Math.max(end, this.#data.length * 2, 64));
      grown.set(this.#data.subarray(0, this.#size));
      this.#data = grown;
    }
    this.#data.set(bytes, this.#pos);
    this.#pos = end;
    this.#size = Math.max(this.#size, end);
    return Promise.resolve(bytes.length);
  }

  /** Nothing to flush: the bytes are in memory. */
  flush(): Promise<void> {
    this.#check();
    return Promise.resolve();
  }

  /** Every byte written (or given), whatever the position. */
  getvalue(): Uint8Array {
    this.#check();
    return this.#data.slice(0, this.#size);
  }

  /** Closes the file; reading or writing after it throws `ValueError`. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }
}

/**
 * Python's `socketserver._SocketWriter`: `write` is `sendall`, nothing is
 * buffered, `flush` has nothing to do, and closing it leaves the socket open.
 */
export class SocketWriter {
  #sock: Socket;
  #closed = false;

  /** Writes to `sock`. */
  constructor(sock: Socket) {
    this.#sock = sock;
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Sends all of `data`; returns the count. */
  async write(data: ArrayBufferView): Promise<number> {
    if (this.#closed) throw closedFile();
    const bytes = bytesOf(data);
    await this.#sock.sendall(bytes);
    return bytes.length;
  }

  /** Nothing is buffered. */
  flush(): Promise<void> {
    if (this.#closed) return Promise.reject(closedFile());
    return Promise.resolve();
  }

  /** Closes the writer, not the socket. */
  close(): Promise<void> {
    this.#closed = true;
    return Promise.resolve();
  }

  /** The socket's identifier. */
  fileno(): number {
    return this.#sock.fileno();
  }
}
