/**
 * Python's `select.select`.
 *
 * @module
 */

import { OverflowError, ValueError } from "../socket/errors.ts";
import { asFileDescriptor, selectableFor } from "./_fileobj.ts";
import { waitReady } from "./_wait.ts";
import type { Selectable } from "../socket/_readiness.ts";
import { MAX_TIMEOUT_SECONDS } from "../socket/_deadline.ts";

/**
 * The timeout of `select`, checked as CPython checks it.
 *
 * @param timeout Seconds, or `null`/`undefined` to wait as long as it takes.
 * @returns The timeout in seconds, or `null`.
 */
export function checkSelectTimeout(timeout: unknown): number | null {
  if (timeout === null || timeout === undefined) return null;
  if (typeof timeout !== "number") {
    throw new TypeError("timeout must be a float or None");
  }
  if (Number.isNaN(timeout)) {
    throw new ValueError("Invalid value NaN (not a number)");
  }
  if (timeout < 0) throw new ValueError("timeout must be non-negative");
  if (timeout > MAX_TIMEOUT_SECONDS) {
    throw new OverflowError("timeout is too large");
  }
  return timeout;
}

/** One object of a list: what was given, and what pysocket waits on. */
interface Entry<T> {
  given: T;
  target: Selectable;
}

function entries<T>(list: Iterable<T>): Entry<T>[] {
  const out: Entry<T>[] = [];
  for (const given of list) {
    out.push({ given, target: selectableFor(given, asFileDescriptor(given)) });
  }
  return out;
}

/**
 * Waits until some of the objects are ready, like Python's
 * `select.select(rlist, wlist, xlist, timeout)`.
 *
 * An object of `rlist` is readable when `recv`/`recvfrom` would return at
 * once (data, end of stream, or an error), a listening socket when
 * `accept` would, and `stdin` when a whole line is typed. Asking takes
 * nothing and loses nothing: to learn it, pysocket starts the very read
 * (accept, receive) the next call finishes, and that call returns what it
 * brought.
 *
 * An object of `wlist` is writable when a `send` would start at once: a
 * connected stream socket with none of our writes still running (Deno does
 * not say how much room the kernel's buffer has, so a large `send` may
 * still wait for the peer to read), a stream socket whose non-blocking
 * `connect` has finished (connected or failed), and any datagram socket.
 * A listening socket is never writable. Sockets that are not connected are
 * readable and writable, as the kernel says: their calls fail at once.
 *
 * On an `AF_UNIX` datagram socket the receive select leaves pending stops
 * sends on that socket until a datagram comes (Deno does one thing at a
 * time there); UDP sockets have no such limit.
 *
 * `xlist` is checked but never reported: its only use is TCP urgent
 * (out-of-band) data, which Deno cannot receive.
 *
 * The lists hold pysocket sockets (`SSLSocket` too) and `stdin` (or 0,
 * its file descriptor); the results are the objects given, in the order
 * given. Python's other numbers are not accepted: pass the socket object.
 *
 * @param rlist Objects to wait on until they can be read.
 * @param wlist Objects to wait on until they can be written.
 * @param xlist Objects for exceptional conditions (never reported).
 * @param timeout Seconds; `null` or left out waits as long as it takes; `0`
 *   polls (the answer after one turn of the event loop).
 * @returns `[readable, writable, exceptional]`: three arrays, all empty
 *   when the timeout passed.
 * @throws {TypeError} If an object is neither a number nor has `fileno()`,
 *   or the timeout is not a number.
 * @throws {ValueError} If the timeout is negative, an object's `fileno()`
 *   is negative (a closed socket), or pysocket cannot wait on the object.
 *
 * @example Listening, readable, writable
 * ```ts
 * import assert from "node:assert/strict";
 * import { socket } from "@pysocket/pysocket";
 * import { select } from "@pysocket/pysocket/select";
 * using server = socket();
 * server.bind(["127.0.0.1", 0]);
 * server.listen();
 * assert.deepEqual(await select([server], [], [], 0), [[], [], []]);
 * using client = socket();
 * await client.connect(server.getsockname());
 * const [readable] = await select([server], [], [], 5);
 * assert.deepEqual(readable, [server]);
 * using conn = (await server.accept())[0]; // the connection select saw
 * await conn.sendall(new Uint8Array([1, 2, 3]));
 * assert.deepEqual(await select([client], [client], [], 5), [[], [client], []]);
 * assert.deepEqual(await select([client], [], []), [[client], [], []]);
 * assert.deepEqual(await client.recv(10), new Uint8Array([1, 2, 3]));
 * ```
 */
export async function select<R, W, X>(
  rlist: Iterable<R>,
  wlist: Iterable<W>,
  xlist: Iterable<X>,
  timeout?: number | null,
): Promise<[R[], W[], X[]]> {
  const seconds = checkSelectTimeout(timeout);
  const readers = entries(rlist);
  const writers = entries(wlist);
  entries(xlist);
  const [r, w] = await waitReady(
    readers.map((e) => e.target),
    writers.map((e) => e.target),
    seconds,
  );
  const readable = new Set(r), writable = new Set(w);
  return [
    readers.filter((e) => readable.has(e.target)).map((e) => e.given),
    writers.filter((e) => writable.has(e.target)).map((e) => e.given),
    [],
  ];
}
