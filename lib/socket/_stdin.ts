/**
 * Private: the one reader of the process's standard input, shared by
 * `input()` and `select.stdin`, so a line `select` saw ready is the line the
 * next `input()` or `stdin.readline()` returns.
 *
 * @module
 */

import { LineReader } from "./_line_reader.ts";

let reader: LineReader | undefined;

/**
 * The lines of `Deno.stdin`, read by one reader for the whole process.
 *
 * @returns The shared reader.
 */
export function stdinLines(): LineReader {
  return reader ??= new LineReader(Deno.stdin);
}
