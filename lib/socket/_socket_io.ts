/**
 * Private: the file object of `Socket.makefile()` (see `socket_file.ts`
 * for what it promises).
 *
 * One class covers Python's three layers (`SocketIO`, the buffered reader
 * and writer, `TextIOWrapper`). It keeps received bytes as bytes until it
 * returns them, and decodes only whole characters, so that:
 * - a character split across receives is put back together;
 * - what the file holds can go back to the socket, byte for byte, when a
 *   read times out or the file is closed (`SocketChannel.unread`).
 *
 * The text encodings (`text.ts`: UTF-8, ASCII, Latin-1) all write line
 * ends as the ASCII bytes `\r` and `\n`, so lines are found in the bytes.
 *
 * @module
 */

import { OSError, TimeoutError, ValueError } from "./errors.ts";
import { bytes, type DecodeErrors, str } from "./text.ts";
import type { MakefileOptions, Newline, SocketFile } from "./socket_file.ts";

/** Python's `io.DEFAULT_BUFFER_SIZE`. */
const DEFAULT_BUFFER_SIZE = 8192;
const LF = 0x0a;
const CR = 0x0d;
const EMPTY = new Uint8Array(0);
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Calls of one kind, one after another in call order. */
class Queue {
  #tail: Promise<unknown> = Promise.resolve();
  #count = 0;
  #done = (): void => {
    this.#count--;
  };

  /** Whether no call is queued or running. */
  get idle(): boolean {
    return this.#count === 0;
  }

  /** Runs `op` after the calls before it. */
  run<R>(op: () => Promise<R>): Promise<R> {
    this.#count++;
    const result = this.#tail.then(op, op);
    this.#tail = result.then(this.#done, this.#done);
    return result;
  }
}

/** What a file needs from its socket. */
export interface SocketChannel {
  /** One `recv` within the socket's timeout; empty at end of stream. */
  recv(n: number): Promise<Uint8Array>;
  /** One `send`. */
  send(data: Uint8Array): Promise<number>;
  /** `sendall`. */
  sendall(data: Uint8Array): Promise<void>;
  /** Gives bytes the file received but did not return back to the socket. */
  unread(data: Uint8Array): void;
  /** The file is closed (called once). */
  release(): void;
}

/** Checks Python's `makefile` mode: r, w and b only. */
function parseMode(
  mode: string,
): { read: boolean; write: boolean; binary: boolean } {
  if (typeof mode !== "string" || !/^[rwb]*$/.test(mode)) {
    throw new ValueError(
      `invalid mode ${JSON.stringify(mode)} (only r, w, b allowed)`,
    );
  }
  const write = mode.includes("w");
  return {
    read: mode.includes("r") || !write,
    write,
    binary: mode.includes("b"),
  };
}

/** The file object; `T` is `string` in text modes, `Uint8Array` in binary. */
export class SocketIO<T extends string | Uint8Array> implements SocketFile<T> {
  readonly mode: string;
  readonly encoding: string | null;
  #channel: SocketChannel;
  #reading: boolean;
  #writing: boolean;
  #text: boolean;
  #errors: DecodeErrors;
  #newline: Newline;
  #size: number;
  #unbuffered: boolean;
  /** Whether characters may take more than one byte. */
  #utf8: boolean;
  /** Whether text is UTF-8 that throws on invalid bytes (the default). */
  #strictUtf8: boolean;
  /** Received bytes not yet returned: `#buf[#start, #end)`. */
  #buf: Uint8Array = EMPTY;
  #start = 0;
  #end = 0;
  /** Where the search for a line end goes on (no line end before it). */
  #scanned = 0;
  #eof = false;
  /** How many bytes or characters the last `#upTo` counted. */
  #counted = 0;
  #timedOut = false;
  #closed = false;
  #pending: Uint8Array[] = [];
  #pendingSize = 0;
  /**
   * Reads run one after another, in call order, and so do writes; a read
   * waiting for the peer never holds up a write (an `"rw"` file read in
   * one task and written in another, as a chat client does).
   */
  #reads = new Queue();
  #writes = new Queue();

  /**
   * Makes the file (the socket counts it among its files already).
   *
   * @param channel The socket's side.
   * @param mode Python's mode.
   * @param options Python's keyword arguments.
   */
  constructor(channel: SocketChannel, mode: string, options: MakefileOptions) {
    const { read, write, binary } = parseMode(mode);
    let size = options.buffering ?? -1;
    if (!Number.isInteger(size)) {
      throw new TypeError(
        `makefile(): buffering must be an integer, got ${size}`,
      );
    }
    if (size < 0) size = DEFAULT_BUFFER_SIZE;
    if (size === 0 && !binary) {
      throw new ValueError("unbuffered streams must be binary");
    }
    const newline = options.newline ?? null;
    if (
      newline !== null && newline !== "" && newline !== "\n" &&
      newline !== "\r" && newline !== "\r\n"
    ) {
      throw new ValueError(`illegal newline value: ${JSON.stringify(newline)}`);
    }
    const encoding = options.encoding ?? "utf-8";
    const errors = options.errors ?? "strict";
    // Checks the encoding and the error handler as Python does, at once.
    if (!binary) str(EMPTY, encoding, errors);
    this.#channel = channel;
    this.mode = mode;
    this.#reading = read;
    this.#writing = write;
    this.#text = !binary;
    this.encoding = binary ? null : encoding;
    this.#errors = errors;
    this.#newline = binary ? null : newline;
    this.#utf8 = !binary && /^utf[-_ ]?8$/i.test(encoding);
    this.#strictUtf8 = this.#utf8 && errors === "strict";
    this.#size = Math.max(size, 1);
    this.#unbuffered = size === 0;
  }

  get closed(): boolean {
    return this.#closed;
  }

  readable(): boolean {
    this.#checkOpen();
    return this.#reading;
  }

  writable(): boolean {
    this.#checkOpen();
    return this.#writing;
  }

  #checkOpen(): void {
    if (this.#closed) throw new ValueError("I/O operation on closed file.");
  }

  #checkReadable(): void {
    this.#checkOpen();
    if (!this.#reading) throw new OSError("File or stream is not readable.");
    if (this.#timedOut) throw new OSError("cannot read from timed out object");
  }

  read(n = -1): Promise<T> {
    return this.#reads.run(() => this.#read(n));
  }

  readline(limit = -1): Promise<T> {
    // The common case, without a turn: nothing else in flight, and a whole
    // line already in the buffer.
    if (
      this.#reads.idle && limit === -1 && this.#reading && !this.#closed &&
      !this.#timedOut
    ) {
      const end = this.#lineEnd();
      if (end !== -1) {
        try {
          return Promise.resolve(this.#take(end));
        } catch (err) {
          return Promise.reject(err);
        }
      }
    }
    return this.#reads.run(() => this.#readline(limit));
  }

  readlines(hint = -1): Promise<T[]> {
    return this.#reads.run(async () => {
      const lines: T[] = [];
      let total = 0;
      while (true) {
        const line = await this.#readline(-1);
        if (line.length === 0) return lines;
        lines.push(line);
        total += line.length;
        if (hint > 0 && total >= hint) return lines;
      }
    });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    while (true) {
      const line = await this.readline();
      if (line.length === 0) return;
      yield line;
    }
  }

  write(data: T extends string ? string : ArrayBufferView): Promise<number> {
    return this.#writes.run(() => this.#write(data));
  }

  flush(): Promise<void> {
    return this.#writes.run(async () => {
      this.#checkOpen();
      await this.#flush();
    });
  }

  close(): Promise<void> {
    return this.#writes.run(async () => {
      if (this.#closed) return;
      try {
        if (this.#writing) await this.#flush();
      } finally {
        this.#closed = true;
        // A read in flight gives everything back when it ends (`#fill`),
        // so the bytes keep their order.
        if (this.#reads.idle) this.#giveBack();
        this.#channel.release();
      }
    });
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // Reading.

  async #read(n: number): Promise<T> {
    this.#checkReadable();
    if (!Number.isInteger(n)) {
      throw new TypeError(`read(): n must be an integer, got ${n}`);
    }
    if (n < 0) {
      while (await this.#fill());
      return this.#take(this.#end);
    }
    if (n === 0) return this.#take(this.#start);
    if (this.#unbuffered && this.#start === this.#end) {
      // Python's raw SocketIO: one recv.
      return (await this.#recv(n)) as T;
    }
    while (true) {
      // n characters take n bytes or more: fewer bytes cannot be enough.
      const enough = this.#end - this.#start >= n;
      if (enough || this.#eof) {
        const end = this.#upTo(n, this.#end);
        if (end !== -1 && (this.#eof || this.#counted === n)) {
          return this.#take(end);
        }
      }
      if (this.#eof || (this.#unbuffered && this.#end > this.#start)) {
        return this.#take(this.#end);
      }
      await this.#fill();
    }
  }

  async #readline(limit: number): Promise<T> {
    this.#checkReadable();
    if (!Number.isInteger(limit)) {
      throw new TypeError(`readline(): limit must be an integer, got ${limit}`);
    }
    while (true) {
      const lineEnd = this.#lineEnd();
      const stop = lineEnd === -1 ? this.#end : lineEnd;
      if (limit >= 0 && stop - this.#start >= limit) {
        const end = this.#upTo(limit, stop);
        if (end !== -1 && this.#counted === limit) return this.#take(end);
      }
      if (lineEnd !== -1) return this.#take(lineEnd);
      if (this.#eof) return this.#take(this.#end);
      await this.#fill();
    }
  }

  /**
   * Where the first `n` bytes or characters from `#start` end, within
   * `stop` (-1 when the first character is cut short there); how many
   * that is goes in `#counted`.
   */
  #upTo(n: number, stop: number): number {
    if (this.#text) return this.#charsEnd(n, stop);
    const end = Math.min(this.#start + n, stop);
    this.#counted = end - this.#start;
    return end;
  }

  /**
   * Where the line in the buffer ends (just past its line end), or -1
   * when no whole line end is there yet.
   */
  #lineEnd(): number {
    const buf = this.#buf;
    const end = this.#end;
    const newline = this.#newline;
    let from = this.#scanned;
    if (!this.#text || newline === "\n" || newline === "\r") {
      const at = buf.subarray(from, end).indexOf(newline === "\r" ? CR : LF);
      if (at !== -1) return from + at + 1;
    } else if (newline === "\r\n") {
      while (true) {
        const at = buf.subarray(from, end).indexOf(LF);
        if (at === -1) break;
        from += at + 1;
        if (from - 1 > this.#start && buf[from - 2] === CR) return from;
      }
    } else {
      // Universal newlines: \n, \r\n or \r, whichever comes first.
      const rest = buf.subarray(from, end);
      const lf = rest.indexOf(LF);
      const cr = (lf === -1 ? rest : rest.subarray(0, lf)).indexOf(CR);
      if (cr === -1) {
        if (lf !== -1) return from + lf + 1;
      } else {
        const at = from + cr;
        if (at + 1 < end) return buf[at + 1] === LF ? at + 2 : at + 1;
        if (this.#eof) return at + 1;
        // A \r last: whether \n follows is for the next receive to say.
        this.#scanned = at;
        return -1;
      }
    }
    this.#scanned = end;
    return -1;
  }

  /**
   * Where the first `n` characters from `#start` end, within `stop`; -1
   * when a character there is cut short (the rest is yet to come).
   * Fewer than `n` characters may fit (`#counted` says how many).
   */
  #charsEnd(n: number, stop: number): number {
    let i = this.#start;
    let count = 0;
    for (; count < n && i < stop; count++) {
      const next = this.#charEnd(i, stop);
      if (next === -1) break;
      i = next;
    }
    this.#counted = count;
    return count === 0 && n > 0 && i < stop ? -1 : i;
  }

  /**
   * Where the character starting at `i` ends; -1 if it is cut at `stop`
   * and more bytes may come. In UTF-8 a character is a lead byte and the
   * continuation bytes it announces (an invalid byte counts alone); with
   * `newline` `null`, `\r\n` is one character (it becomes `\n`).
   */
  #charEnd(i: number, stop: number): number {
    const buf = this.#buf;
    const b = buf[i];
    if (b === CR && this.#newline === null) {
      if (i + 1 < stop) return buf[i + 1] === LF ? i + 2 : i + 1;
      return this.#eof && stop === this.#end ? i + 1 : -1;
    }
    if (b < 0x80 || !this.#utf8) return i + 1;
    const need = b >= 0xf0 && b <= 0xf4
      ? 3
      : b >= 0xe0 && b <= 0xef
      ? 2
      : b >= 0xc2 && b <= 0xdf
      ? 1
      : 0;
    let j = i + 1;
    for (let k = 0; k < need; k++, j++) {
      if (j >= stop) return this.#eof && stop === this.#end ? j : -1;
      if ((buf[j] & 0xc0) !== 0x80) return j;
    }
    return j;
  }

  /** Returns `#buf[#start, end)`, decoded in text mode, and drops it. */
  #take(end: number): T {
    const start = this.#start;
    this.#start = end;
    if (this.#scanned < end) this.#scanned = end;
    if (end === this.#end) this.#start = this.#end = this.#scanned = 0;
    // Binary: new bytes, as Python's are. Text: decoded before any later
    // receive can reuse the buffer.
    if (!this.#text) return this.#buf.slice(start, end) as T;
    const data = this.#buf.subarray(start, end);
    let text: string | null = null;
    if (this.#strictUtf8) {
      try {
        text = STRICT_UTF8.decode(data);
      } catch {
        // str() below says where, in Python's words.
      }
    }
    text ??= str(data, this.encoding!, this.#errors);
    if (this.#newline === null && text.indexOf("\r") !== -1) {
      text = text.replace(/\r\n?/g, "\n");
    }
    return text as T;
  }

  /** Receives once into the buffer; `false` at end of stream. */
  async #fill(): Promise<boolean> {
    if (this.#eof) return false;
    const data = await this.#recv(this.#size);
    if (this.#closed) {
      // Closed while this read waited: what it brought goes back too.
      this.#append(data);
      this.#giveBack();
      this.#checkOpen();
    }
    if (data.length === 0) {
      this.#eof = true;
      return false;
    }
    this.#append(data);
    return true;
  }

  /** One receive; a timeout gives what the file holds back to the socket. */
  async #recv(n: number): Promise<Uint8Array> {
    try {
      return await this.#channel.recv(n);
    } catch (err) {
      if (err instanceof TimeoutError) {
        this.#timedOut = true;
        this.#giveBack();
      }
      throw err;
    }
  }

  #giveBack(): void {
    if (this.#end > this.#start) {
      this.#channel.unread(this.#buf.slice(this.#start, this.#end));
    }
    this.#buf = EMPTY;
    this.#start = this.#end = this.#scanned = 0;
  }

  #append(data: Uint8Array): void {
    const used = this.#end - this.#start;
    if (this.#end + data.length > this.#buf.length) {
      let capacity = Math.max(this.#buf.length, 256);
      while (capacity < used + data.length) capacity *= 2;
      const next = capacity === this.#buf.length
        ? this.#buf
        : new Uint8Array(capacity);
      next.set(this.#buf.subarray(this.#start, this.#end));
      this.#scanned -= this.#start;
      this.#start = 0;
      this.#end = used;
      this.#buf = next;
    }
    this.#buf.set(data, this.#end);
    this.#end += data.length;
  }

  // Writing.

  async #write(data: string | ArrayBufferView): Promise<number> {
    this.#checkOpen();
    if (!this.#writing) throw new OSError("File or stream is not writable.");
    let out: Uint8Array;
    let count: number;
    if (this.#text) {
      if (typeof data !== "string") {
        throw new TypeError(
          `write() argument must be str, not ${typeof data}: the file is in text mode`,
        );
      }
      count = 0;
      for (const _ of data) count++;
      const newline = this.#newline;
      const ending = newline === null
        ? (Deno.build.os === "windows" ? "\r\n" : "\n")
        : newline;
      out = bytes(
        ending === "\n" || ending === "" ? data : data.replaceAll("\n", ending),
        this.encoding!,
      );
    } else {
      if (!ArrayBuffer.isView(data)) {
        throw new TypeError(
          `a bytes-like object is required, not ${typeof data}: the file is in binary mode`,
        );
      }
      out = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      count = out.length;
    }
    if (this.#unbuffered) return await this.#channel.send(out);
    this.#pending.push(out.slice());
    this.#pendingSize += out.length;
    if (this.#pendingSize >= this.#size) await this.#flush();
    return count;
  }

  async #flush(): Promise<void> {
    if (this.#pendingSize === 0) return;
    const parts = this.#pending;
    const data = parts.length === 1
      ? parts[0]
      : new Uint8Array(this.#pendingSize);
    if (parts.length > 1) {
      let at = 0;
      for (const part of parts) {
        data.set(part, at);
        at += part.length;
      }
    }
    this.#pending = [];
    this.#pendingSize = 0;
    await this.#channel.sendall(data);
  }
}
