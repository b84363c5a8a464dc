/**
 * The standard input as `select` sees it: Python's `sys.stdin` in a
 * `select.select([sys.stdin, sock], [], [])` loop.
 *
 * @module
 */

import { stdinLines } from "../socket/_stdin.ts";
import {
  type Forget,
  never,
  READINESS,
  type Readiness,
  Wakers,
} from "../socket/_readiness.ts";

const wakers = new Wakers();
let waiting: Promise<void> | null = null;
let failure: unknown = null;

const readiness: Readiness = {
  readable: () => failure !== null || stdinLines().hasLine(),
  writable: () => false,
  watchReadable(wake: () => void): Forget {
    waiting ??= stdinLines().waitLine().catch((err) => {
      failure = err;
    }).finally(() => {
      waiting = null;
    });
    return wakers.add(waiting, wake);
  },
  watchWritable: never,
};

/**
 * The standard input as `select` sees it (there is one: {@linkcode stdin}).
 */
export class Stdin {
  /**
   * The standard input's file descriptor.
   *
   * @returns 0.
   */
  fileno(): number {
    return 0;
  }

  /**
   * Reads one line, like Python's `sys.stdin.readline()`: the line with
   * `"\n"` at its end, or `""` at end of input.
   *
   * @returns The line.
   * @throws {ValueError} If a line was longer than 1 MiB (it is dropped).
   */
  async readline(): Promise<string> {
    if (failure !== null) {
      const err = failure;
      failure = null;
      throw err;
    }
    const line = await stdinLines().readLine();
    return line === null ? "" : `${line}\n`;
  }

  /**
   * Private to pysocket: what `select` asks of the standard input.
   *
   * @ignore
   * @returns Its readiness.
   */
  [READINESS](): Readiness {
    return readiness;
  }
}

/**
 * The standard input, in place of Python's `sys.stdin`: `select` reports
 * it readable when a whole line has been typed (or input has ended), and
 * that line is the one `stdin.readline()` or the socket module's `input()`
 * returns next: one reader serves them all, so nothing typed is lost.
 * Its `fileno()` is 0, and `select` takes the number 0 for it too.
 *
 * A `select` that waits on it leaves a read of the standard input running,
 * which keeps the process alive: end a program with `Deno.exit()`, as a
 * Python chat client ends with `sys.exit()`.
 *
 * @example Wait on the keyboard and a socket at once
 * ```ts ignore
 * import * as socket from "jsr:@pysocket/pysocket";
 * import * as select from "jsr:@pysocket/pysocket/select";
 *
 * const sock = await socket.create_connection(["127.0.0.1", 8888]);
 * while (true) {
 *   const [readable] = await select.select([select.stdin, sock], [], []);
 *   for (const s of readable) {
 *     if (s === sock) console.log(socket.str(await sock.recv(1024), "utf-8"));
 *     else await sock.sendall(socket.bytes(await select.stdin.readline(), "utf-8"));
 *   }
 * }
 * ```
 */
export const stdin: Stdin = new Stdin();
