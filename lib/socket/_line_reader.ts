/**
 * Private: lines from a byte source such as `Deno.stdin`, for `input()`
 * and the command's standard input.
 *
 * @module
 */

const LOOSE_UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });

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
 * A read that is abandoned is not lost: the next `readLine()` call gets the
 * bytes it brings. Keep the promise of a `readLine()` you race against
 * something else and await it later, rather than calling again.
 */
export class LineReader {
  #source: ByteReader;
  #buffer: Uint8Array = new Uint8Array(0);
  #pending: Promise<number | null> | null = null;
  #chunk = new Uint8Array(65536);
  #ended = false;

  /**
   * Creates a reader.
   *
   * @param source Where the bytes come from.
   */
  constructor(source: ByteReader) {
    this.#source = source;
  }

  /**
   * Reads the next line, without its line ending.
   *
   * @returns The line, or `null` at end of input (a last line without a
   * newline is returned first).
   */
  async readLine(): Promise<string | null> {
    while (true) {
      const newline = this.#buffer.indexOf(0x0a);
      if (newline !== -1) {
        const end = newline > 0 && this.#buffer[newline - 1] === 0x0d
          ? newline - 1
          : newline;
        const line = LOOSE_UTF8.decode(this.#buffer.subarray(0, end));
        this.#buffer = this.#buffer.slice(newline + 1);
        return line;
      }
      if (this.#ended) {
        if (this.#buffer.length === 0) return null;
        const line = LOOSE_UTF8.decode(this.#buffer);
        this.#buffer = new Uint8Array(0);
        return line;
      }
      await this.#fill();
    }
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
      const next = new Uint8Array(this.#buffer.length + n);
      next.set(this.#buffer);
      next.set(this.#chunk.subarray(0, n), this.#buffer.length);
      this.#buffer = next;
    });
  }
}
