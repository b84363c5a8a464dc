/**
 * Text helpers the tutorial leans on: `bytes(text, "utf-8")`,
 * `str(data, "utf-8")` and `input(prompt)`, with Python's
 * `UnicodeDecodeError` and `UnicodeEncodeError`.
 *
 * @module
 */

import { EOFError } from "./errors.ts";
import { stdinLines } from "./_stdin.ts";

/** An encoding name Python accepts, in any case and with `-` or `_`. */
export type Encoding = string;

/** How {@linkcode str} treats bytes that are not valid in the encoding. */
export type DecodeErrors = "strict" | "replace" | "ignore";

/**
 * Bytes could not be decoded, like Python's `UnicodeDecodeError`. A
 * `TypeError`, as the runtime's own `TextDecoder` throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { str, UnicodeDecodeError } from "@pysocket/pysocket";
 * assert.throws(() => str(new Uint8Array([0xff])), UnicodeDecodeError);
 * assert.throws(() => str(new Uint8Array([0xff])), TypeError);
 * ```
 */
export class UnicodeDecodeError extends TypeError {
  /** The encoding that failed. */
  readonly encoding: string;
  /** Offset of the first bad byte. */
  readonly start: number;
  /** Offset just past the bad bytes. */
  readonly end: number;
  /** What was wrong. */
  readonly reason: string;

  /**
   * Creates the error with Python's message.
   *
   * @param encoding The encoding's name.
   * @param data The bytes being decoded.
   * @param start Offset of the first bad byte.
   * @param end Offset just past the bad bytes.
   * @param reason What was wrong, such as `"invalid start byte"`.
   */
  constructor(
    encoding: string,
    data: Uint8Array,
    start: number,
    end: number,
    reason: string,
  ) {
    const where = end - start > 1
      ? `bytes in position ${start}-${end - 1}`
      : `byte 0x${
        data[start].toString(16).padStart(2, "0")
      } in position ${start}`;
    super(
      `'${encoding}' codec can't decode ${where}: ${reason}; ` +
        `pass errors "replace" to decode it anyway`,
    );
    this.name = "UnicodeDecodeError";
    this.encoding = encoding;
    this.start = start;
    this.end = end;
    this.reason = reason;
  }
}

/**
 * Text could not be encoded, like Python's `UnicodeEncodeError`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytes, UnicodeEncodeError } from "@pysocket/pysocket";
 * assert.throws(() => bytes("é", "ascii"), UnicodeEncodeError);
 * ```
 */
export class UnicodeEncodeError extends TypeError {
  /**
   * Creates the error with Python's message.
   *
   * @param encoding The encoding's name.
   * @param char The character that does not fit, or the run of them.
   * @param position Its index in the text, in code points.
   */
  constructor(encoding: string, char: string, position: number) {
    const count = [...char].length;
    const code = char.codePointAt(0)!;
    // Python's escape: \xe9, \u4e16 or \U0001f600.
    const escaped = code < 0x100
      ? `\\x${code.toString(16).padStart(2, "0")}`
      : code < 0x10000
      ? `\\u${code.toString(16).padStart(4, "0")}`
      : `\\U${code.toString(16).padStart(8, "0")}`;
    const where = count > 1
      ? `characters in position ${position}-${position + count - 1}`
      : `character '${escaped}' in position ${position}`;
    super(
      `'${encoding}' codec can't encode ${where}: ordinal not in range(${
        encoding === "ascii" ? 128 : 256
      })`,
    );
    this.name = "UnicodeEncodeError";
  }
}

type Codec = "utf-8" | "ascii" | "latin-1";

function codecOf(encoding: Encoding): Codec {
  const key = encoding.toLowerCase().replace(/[-_ ]/g, "");
  if (key === "utf8") return "utf-8";
  if (key === "ascii" || key === "usascii") return "ascii";
  if (key === "latin1" || key === "iso88591" || key === "l1") return "latin-1";
  throw new RangeError(
    `Unknown encoding ${
      JSON.stringify(encoding)
    }: use "utf-8", "ascii" or "latin-1"`,
  );
}

const ENCODER = new TextEncoder();
const STRICT_UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const LOOSE_UTF8 = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * Encodes text to bytes, like Python's `bytes(text, encoding="utf-8")`.
 *
 * @param text The text.
 * @param encoding `"utf-8"` (the default), `"ascii"` or `"latin-1"`.
 * @returns The encoded bytes.
 * @throws {UnicodeEncodeError} If a character does not fit the encoding.
 * @throws {RangeError} If the encoding is unknown.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytes } from "@pysocket/pysocket";
 * assert.deepEqual(bytes("hello", "utf-8"), new Uint8Array([104, 101, 108, 108, 111]));
 * ```
 */
export function bytes(text: string, encoding: Encoding = "utf-8"): Uint8Array {
  const codec = codecOf(encoding);
  if (codec === "utf-8") return ENCODER.encode(text);
  const limit = codec === "ascii" ? 0x80 : 0x100;
  const out = new Uint8Array(text.length);
  // By code point, so an emoji is one character at one position, as in Python.
  let i = 0;
  for (const char of text) {
    const code = char.codePointAt(0)!;
    if (code >= limit) {
      // Python reports the whole run of characters that do not fit.
      const run = [...text.slice(i)];
      const end = run.findIndex((c) => c.codePointAt(0)! < limit);
      throw new UnicodeEncodeError(
        codec,
        run.slice(0, end === -1 ? run.length : end).join(""),
        i,
      );
    }
    out[i++] = code;
  }
  return out;
}

/**
 * Finds the first invalid UTF-8 sequence at or after `from`.
 * Returns its start, its length and Python's reason, or `null`.
 */
function findInvalidUtf8(
  data: Uint8Array,
  from: number,
): { start: number; length: number; reason: string } | null {
  let i = from;
  while (i < data.length) {
    const b = data[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number, min: number, max = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) [need, min] = [1, 0x80];
    else if (b === 0xe0) [need, min] = [2, 0xa0];
    else if (b === 0xed) [need, min, max] = [2, 0x80, 0x9f];
    else if (b >= 0xe1 && b <= 0xef) [need, min] = [2, 0x80];
    else if (b === 0xf0) [need, min] = [3, 0x90];
    else if (b === 0xf4) [need, min, max] = [3, 0x80, 0x8f];
    else if (b >= 0xf1 && b <= 0xf3) [need, min] = [3, 0x80];
    else return { start: i, length: 1, reason: "invalid start byte" };
    for (let k = 1; k <= need; k++) {
      if (i + k >= data.length) {
        return { start: i, length: k, reason: "unexpected end of data" };
      }
      const c = data[i + k];
      const lo = k === 1 ? min : 0x80, hi = k === 1 ? max : 0xbf;
      if (c < lo || c > hi) {
        return { start: i, length: k, reason: "invalid continuation byte" };
      }
    }
    i += need + 1;
  }
  return null;
}

/**
 * Decodes bytes to text, like Python's `str(data, encoding="utf-8",
 * errors="strict")`: invalid bytes throw, unless `errors` is `"replace"`
 * (each bad sequence becomes U+FFFD) or `"ignore"` (bad bytes are dropped).
 *
 * To decode a stream whose characters may be split across reads, use one
 * `new TextDecoder()` with `{ stream: true }`, or {@linkcode LineReader}.
 *
 * @param data The bytes.
 * @param encoding `"utf-8"` (the default), `"ascii"` or `"latin-1"`.
 * @param errors `"strict"` (the default), `"replace"` or `"ignore"`.
 * @returns The text.
 * @throws {UnicodeDecodeError} If the bytes are invalid and `errors` is `"strict"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { str } from "@pysocket/pysocket";
 * assert.equal(str(new Uint8Array([104, 105]), "utf-8"), "hi");
 * assert.equal(str(new Uint8Array([0xff, 104]), "utf-8", "replace"), "\ufffdh");
 * ```
 */
export function str(
  data: Uint8Array,
  encoding: Encoding = "utf-8",
  errors: DecodeErrors = "strict",
): string {
  const codec = codecOf(encoding);
  if (errors !== "strict" && errors !== "replace" && errors !== "ignore") {
    throw new RangeError(
      `Unknown errors handler ${
        JSON.stringify(errors)
      }: use "strict", "replace" or "ignore"`,
    );
  }
  if (codec === "latin-1") {
    let text = "";
    for (let i = 0; i < data.length; i += 8192) {
      text += String.fromCharCode(...data.subarray(i, i + 8192));
    }
    return text;
  }
  if (codec === "ascii") {
    let text = "";
    for (let i = 0; i < data.length; i++) {
      const b = data[i];
      if (b < 0x80) text += String.fromCharCode(b);
      else if (errors === "strict") {
        throw new UnicodeDecodeError(
          "ascii",
          data,
          i,
          i + 1,
          "ordinal not in range(128)",
        );
      } else if (errors === "replace") text += "\ufffd";
    }
    return text;
  }
  if (errors === "replace") return LOOSE_UTF8.decode(data);
  try {
    return STRICT_UTF8.decode(data);
  } catch {
    // Find where, for Python's message, or to drop the bad bytes.
  }
  if (errors === "strict") {
    const bad = findInvalidUtf8(data, 0)!;
    throw new UnicodeDecodeError(
      "utf-8",
      data,
      bad.start,
      bad.start + bad.length,
      bad.reason,
    );
  }
  let text = "";
  let from = 0;
  for (
    let bad = findInvalidUtf8(data, 0);
    bad;
    bad = findInvalidUtf8(data, from)
  ) {
    text += STRICT_UTF8.decode(data.subarray(from, bad.start));
    from = bad.start + bad.length;
  }
  return text + STRICT_UTF8.decode(data.subarray(from));
}

/**
 * Reads one line from standard input, like Python's `input(prompt)`: writes
 * the prompt to standard output first, returns the line without its newline,
 * and throws {@linkcode EOFError} at end of input. Works the same whether
 * stdin is a terminal or a pipe. Lines are decoded as UTF-8; invalid bytes
 * become U+FFFD so nothing typed makes it fail.
 *
 * @param prompt Text written to standard output before reading.
 * @returns The line.
 * @throws {EOFError} At end of input.
 *
 * @example
 * ```ts ignore
 * import { input } from "@pysocket/pysocket";
 * const name = await input("name> ");
 * console.log(`hello ${name}`);
 * ```
 */
export async function input(prompt = ""): Promise<string> {
  if (prompt) {
    const data = ENCODER.encode(prompt);
    for (let written = 0; written < data.length;) {
      written += Deno.stdout.writeSync(data.subarray(written));
    }
  }
  const line = await stdinLines().readLine();
  if (line === null) throw new EOFError();
  return line;
}
