/**
 * The file object `Socket.makefile()` returns, like the `io` objects
 * Python's `socket.makefile` returns: {@linkcode SocketFile}, and its
 * options, {@linkcode MakefileOptions}.
 *
 * @module
 */

import type { Buffer } from "./socket.ts";
import type { DecodeErrors, Encoding } from "./text.ts";

/**
 * A mode of `makefile` that gives bytes: any mode with a `b`, such as
 * `"rb"`, `"wb"` or `"rwb"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import type { BinaryMode } from "@pysocket/pysocket";
 * const mode: BinaryMode = "rwb";
 * assert.equal(mode.includes("b"), true);
 * ```
 */
export type BinaryMode = `${string}b${string}`;

/**
 * How a text file splits and writes lines, Python's `newline` argument:
 * `null` (the default) reads `\n`, `\r\n` and `\r` as line ends and turns
 * each into `\n`; `""` reads all three as line ends and keeps them as they
 * came; `"\n"`, `"\r"` or `"\r\n"` end lines with that string only, and
 * written `\n` become it.
 *
 * @example Keep line ends as they came
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytes, type Newline, socketpair } from "@pysocket/pysocket";
 * const [a, b] = await socketpair();
 * await a.sendall(bytes("dos\r\nunix\n"));
 * a.close();
 * const newline: Newline = "";
 * const rfile = b.makefile("r", { newline });
 * assert.equal(await rfile.readline(), "dos\r\n");
 * assert.equal(await rfile.readline(), "unix\n");
 * await rfile.close();
 * b.close();
 * ```
 */
export type Newline = null | "" | "\n" | "\r" | "\r\n";

/**
 * Options of `Socket.makefile()`, Python's keyword arguments.
 *
 * @example Lines that end with `\r\n`, as many Internet protocols use
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytes, socketpair } from "@pysocket/pysocket";
 * const [a, b] = await socketpair();
 * const wfile = a.makefile("w", { newline: "\r\n" });
 * await wfile.write("HELO example\n");
 * await wfile.close();
 * const rfile = b.makefile("rb");
 * assert.deepEqual(await rfile.readline(), bytes("HELO example\r\n"));
 * await rfile.close();
 * a.close();
 * b.close();
 * ```
 */
export interface MakefileOptions {
  /**
   * The size of the file's buffer in bytes; 0 makes a binary file
   * unbuffered (each `read` is one `recv`, each `write` one `send`), as in
   * Python; negative means the default.
   *
   * @default {8192}
   */
  buffering?: number | null;
  /**
   * The text encoding of a text mode: `"utf-8"`, `"ascii"` or `"latin-1"`.
   *
   * @default {"utf-8"}
   */
  encoding?: Encoding | null;
  /**
   * What reading a text mode does with bytes invalid in the encoding:
   * `"strict"` throws `UnicodeDecodeError`, `"replace"` gives U+FFFD,
   * `"ignore"` drops them.
   *
   * @default {"strict"}
   */
  errors?: DecodeErrors | null;
  /**
   * How a text mode splits and writes lines (see {@linkcode Newline}).
   *
   * @default {null}
   */
  newline?: Newline;
}

/**
 * A file object over a connected socket, from `Socket.makefile()`: Python's
 * `BufferedReader`/`BufferedWriter` (binary modes, `T` is `Uint8Array`) or
 * `TextIOWrapper` (text modes, `T` is `string`), with `await` on every call
 * that waits.
 *
 * - `read(n)` waits for `n` bytes or characters (or the end of the stream);
 *   `read()` reads to the end of the stream. In text mode `n` and
 *   `readline(limit)` count characters (code points), as Python does, and a
 *   character split across two receives is put back together.
 * - Writes are held in the file's buffer until it fills, `flush()` or
 *   `close()`, as in Python: call `flush()` after a message the peer
 *   should see now.
 * - The socket's timeout applies to each receive. After a read times out
 *   the file refuses further reads (`OSError` "cannot read from timed out
 *   object"), as Python's does; the bytes it held and the bytes that
 *   arrive late are kept by the socket for its next `recv` or a new
 *   `makefile()`.
 * - Bytes the file has received but not yet returned belong to the file,
 *   as with Python's `BufferedReader`: do not mix `recv` on the socket with
 *   reads on the file. When the file is closed they go back to the socket.
 * - In text mode, bytes invalid in the encoding throw `UnicodeDecodeError`
 *   (with `errors` `"strict"`, the default), and the line or piece that
 *   held them is dropped, so the next read goes on after it.
 * - `readline()` without a limit follows Python: a line may be as long as
 *   the peer makes it. Reading from a peer you do not trust, pass a limit.
 * - Closing the file does not close the socket: the connection is closed
 *   once the socket and every file made from it are closed.
 *
 * @example `await using` closes the file; the socket stays open
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytes, socketpair, type SocketFile } from "@pysocket/pysocket";
 * const [a, b] = await socketpair();
 * await a.sendall(bytes("one\ntwo\nthree"));
 * a.close();
 * {
 *   await using rfile: SocketFile<string> = b.makefile("r");
 *   assert.deepEqual(await rfile.readlines(), ["one\n", "two\n", "three"]);
 * }
 * assert.equal(b.closed, false);
 * b.close();
 * ```
 */
export interface SocketFile<T extends string | Uint8Array> {
  /** The mode given to `makefile`, such as `"r"` or `"rwb"`. */
  readonly mode: string;
  /** Whether `close()` has been called. */
  readonly closed: boolean;
  /** The text encoding (text modes), or `null` (binary modes). */
  readonly encoding: string | null;
  /**
   * Whether the file reads (its mode has `r`, or no `w`).
   *
   * @returns Whether reads are allowed.
   */
  readable(): boolean;
  /**
   * Whether the file writes (its mode has `w`).
   *
   * @returns Whether writes are allowed.
   */
  writable(): boolean;
  /**
   * Reads `n` bytes or characters, fewer only at the end of the stream;
   * with `n` negative (the default), everything up to the end of the stream.
   *
   * @param n How much to read.
   * @returns What was read; empty at the end of the stream.
   */
  read(n?: number): Promise<T>;
  /**
   * Reads one line, with its line end; at most `limit` bytes or characters
   * when `limit` is not negative.
   *
   * @param limit The most to return.
   * @returns The line; empty at the end of the stream.
   */
  readline(limit?: number): Promise<T>;
  /**
   * Reads the lines up to the end of the stream, or until their total size
   * reaches `hint` when it is positive.
   *
   * @param hint Stop after this much.
   * @returns The lines, each with its line end.
   */
  readlines(hint?: number): Promise<T[]>;
  /**
   * Writes, into the buffer (sent when it fills, on `flush()` or `close()`).
   *
   * @param data Text (text modes) or bytes (binary modes).
   * @returns How many characters (text) or bytes were written.
   */
  write(data: T extends string ? string : Buffer): Promise<number>;
  /** Sends what the buffer holds. */
  flush(): Promise<void>;
  /**
   * Flushes, then closes the file (not the socket). Closing twice is
   * harmless.
   */
  close(): Promise<void>;
  /** The lines, up to the end of the stream: `for await (const line of f)`. */
  [Symbol.asyncIterator](): AsyncIterator<T>;
  /** Closes the file at the end of an `await using` block. */
  [Symbol.asyncDispose](): Promise<void>;
}
