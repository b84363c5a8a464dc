/**
 * Private: lines from a byte source such as `Deno.stdin`, for `input()`
 * and the command's standard input.
 *
 * @module
 */

import { ValueError } from "./errors.ts";

const LOOSE_UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });

/** The longest line a {@linkcode LineReader} holds by default: 1 MiB. */
export const MAX_LINE = 1 << 20;

/** Something with Deno's `read(p)` contract: stdin, a `Deno.Conn`, a file. */
export interface ByteReader {
  /** Reads into `p`; resolves to the count read, or `null` at end. */
  read(p: Uint8Array): Promise<number | null>;
}

/**
 * Reads lines from a byte source such as `Deno.stdin`, whether it is a
 * terminal or a pipe. Lines are split on `\n` (a `\r` before it is dropped)
 * and decoded as UTF-8, a character split across reads included; invalid
 * bytes become U+FFFD rather than failing.
 *
 * Reading is linear in the input: bytes are appended to one buffer that
 * grows by doubling, and each byte is searched for a newline once. A line
 * longer than the limit is a `ValueError`, so input without newlines
 * (`< /dev/zero`) cannot fill the memory.
 *
 * A read that is abandoned is not lost: the next `readLine()` call gets the
 * bytes it brings. Keep the promise of a `readLine()` you race against
 * something else and await it later, rather than calling again.
 */
export class LineReader {
  #source: ByteReader;
  #max: number;
  #buffer = new Uint8Array(4096);
  /** The unread bytes are `#buffer[#start, #end)`. */
  #start = 0;
  #end = 0;
  /** Where the search for the next newline goes on. */
  #scanned = 0;
  #pending: Promise<number | null> | null = null;
  #chunk = new Uint8Array(65536);
  #ended = false;

  /**
   * Creates a reader.
   *
   * @param source Where the bytes come from.
   * @param maxLine The longest line, in bytes, without its newline.
   */
  constructor(source: ByteReader, maxLine: number = MAX_LINE) {
    this.#source = source;
    this.#max = maxLine;
  }

  /**
   * Reads the next line, without its line ending.
   *
   * @returns The line, or `null` at end of input (a last line without a
   * newline is returned first).
   * @throws {ValueError} If a line is longer than the limit.
   */
  async readLine(): Promise<string | null> {
    while (true) {
      const buffer = this.#buffer;
      const newline = buffer.subarray(this.#scanned, this.#end).indexOf(0x0a);
      if (newline !== -1) {
        const at = this.#scanned + newline;
        const end = at > this.#start && buffer[at - 1] === 0x0d ? at - 1 : at;
        const line = this.#decode(end);
        this.#start = this.#scanned = at + 1;
        return line;
      }
      this.#scanned = this.#end;
      if (this.#ended) {
        if (this.#end === this.#start) return null;
        const line = this.#decode(this.#end);
        this.#start = this.#scanned = this.#end;
        return line;
      }
      await this.#fill();
    }
  }

  /**
   * Whether `readLine()` would return at once: a whole line is held, or
   * the source has ended.
   *
   * @returns Whether a line is ready.
   */
  hasLine(): boolean {
    if (this.#ended) return true;
    const newline = this.#buffer.subarray(this.#scanned, this.#end).indexOf(
      0x0a,
    );
    if (newline === -1) this.#scanned = this.#end;
    return newline !== -1;
  }

  /**
   * Reads until a whole line is held (or the source ends), taking nothing:
   * the next `readLine()` returns it.
   *
   * @throws {ValueError} If a line grows longer than the limit (it is dropped).
   */
  async waitLine(): Promise<void> {
    while (!this.hasLine()) await this.#fill();
  }

  #decode(end: number): string {
    if (end - this.#start > this.#max) this.#tooLong();
    return LOOSE_UTF8.decode(this.#buffer.subarray(this.#start, end));
  }

  #tooLong(): never {
    // The line is dropped, so a caller that goes on is not stuck on it.
    this.#start = this.#scanned = this.#end;
    throw new ValueError(
      `a line of input is longer than ${this.#max} bytes (no newline yet)`,
    );
  }

  /** Reads once more from the source into the buffer. */
  #fill(): Promise<void> {
    this.#pending ??= this.#source.read(this.#chunk);
    const pending = this.#pending;
    return pending.then((n) => {
      // Another caller may already have taken this read's bytes.
      if (this.#pending !== pending) return;
      this.#pending = null;
      if (n === null) {
        this.#ended = true;
        return;
      }
      this.#append(this.#chunk.subarray(0, n));
      if (this.#end - this.#start > this.#max + 1) this.#tooLong();
    });
  }

  #append(data: Uint8Array): void {
    const used = this.#end - this.#start;
    if (this.#end + data.length > this.#buffer.length) {
      // Move the unread bytes to the front, into a larger buffer if needed.
      let capacity = this.#buffer.length;
      while (capacity < used + data.length) capacity *= 2;
      const next = capacity === this.#buffer.length
        ? this.#buffer
        : new Uint8Array(capacity);
      next.set(this.#buffer.subarray(this.#start, this.#end));
      this.#scanned -= this.#start;
      this.#start = 0;
      this.#end = used;
      this.#buffer = next;
    }
    this.#buffer.set(data, this.#end);
    this.#end += data.length;
  }
}
