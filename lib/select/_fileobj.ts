/**
 * Private: from what a Python program hands `select` or a selector (a
 * socket, `stdin`, a number) to its file descriptor and its readiness.
 *
 * @module
 */

import { ValueError } from "../socket/errors.ts";
import { isSelectable, type Selectable } from "../socket/_readiness.ts";
import { stdin } from "./stdin.ts";

/**
 * The file descriptor of `obj`, with the errors of CPython's `select`: an
 * integer, or the integer its `fileno()` returns, never negative.
 *
 * @param obj A socket, `stdin`, or a file descriptor.
 * @returns The file descriptor.
 * @throws {TypeError} If `obj` is neither an integer nor has `fileno()`.
 * @throws {ValueError} If the descriptor is negative (a closed socket).
 */
export function asFileDescriptor(obj: unknown): number {
  let fd: unknown = obj;
  if (typeof obj !== "number") {
    const fileno = (obj as { fileno?: unknown } | null)?.fileno;
    if (typeof fileno !== "function") {
      throw new TypeError(
        "argument must be an int, or have a fileno() method.",
      );
    }
    fd = fileno.call(obj);
    if (typeof fd !== "number" || !Number.isInteger(fd)) {
      throw new TypeError("fileno() returned a non-integer");
    }
  } else if (!Number.isInteger(obj)) {
    throw new TypeError("argument must be an int, or have a fileno() method.");
  }
  if ((fd as number) < 0) {
    throw new ValueError(
      `file descriptor cannot be a negative integer (${fd})`,
    );
  }
  return fd as number;
}

/**
 * What pysocket waits on for `obj`: the socket itself, or `stdin` for it
 * and for file descriptor 0.
 *
 * @param obj The object given (its descriptor already checked).
 * @param fd Its file descriptor.
 * @returns The object with a readiness.
 * @throws {ValueError} If pysocket cannot wait on it (another number, an
 *   object that is not a pysocket socket).
 */
export function selectableFor(obj: unknown, fd: number): Selectable {
  if (isSelectable(obj)) return obj;
  if (fd === 0) return stdin;
  throw new ValueError(
    `cannot wait on ${
      typeof obj === "number" ? `file descriptor ${obj}` : String(obj)
    }: pysocket waits on its own sockets and on select.stdin (file descriptor 0); pass the socket object itself`,
  );
}
