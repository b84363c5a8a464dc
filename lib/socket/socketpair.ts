/**
 * {@linkcode socketpair}: two sockets connected to each other, as
 * Python's `socket.socketpair()` gives.
 *
 * @module
 */

import { AF_INET, AF_INET6, AF_UNIX, SOCK_STREAM } from "./constants.ts";
import { ConnectionError, PermissionError, ValueError } from "./errors.ts";
import { oserror } from "./_translate.ts";
import { Socket } from "./socket.ts";

/** Python's default: `AF_UNIX` where the system has it, else `AF_INET`. */
const DEFAULT_FAMILY = Deno.build.os === "windows" ? AF_INET : AF_UNIX;

const UNIX_PERMISSIONS =
  "socketpair(): an AF_UNIX pair needs --allow-read, --allow-write and --allow-net " +
  "(Deno checks net access for each Unix socket path, and the pair's path is new each time); " +
  "or pass AF_INET for a loopback pair, which needs only --allow-net=127.0.0.1";

/** How many strangers a loopback pair turns away before giving up. */
const MAX_STRANGERS = 8;

/**
 * Makes two stream sockets connected to each other, like Python's
 * `socket.socketpair(family, type, proto)`: what one sends, the other
 * receives. Async, because Deno connects sockets asynchronously:
 * `const [a, b] = await socketpair()`.
 *
 * Deno has no `socketpair` call, so the pair is made the way CPython makes
 * it on Windows: a listener that accepts one connection and closes.
 * - `AF_UNIX` (the default, except on Windows) listens on a path in a new
 *   private temporary directory (mode 0700), removed once the pair is
 *   connected. Needs `--allow-read` and `--allow-write` for the
 *   temporary directory, and `--allow-net` without a list: Deno 2.9
 *   checks net access for each Unix socket path (`unix:<path>`), and the
 *   pair's path is new each time.
 * - `AF_INET` and `AF_INET6` (the default on Windows, as in Python) listen
 *   on `127.0.0.1` or `::1`, port 0, and accept only the pair's own
 *   connection (another program's is closed, as CPython does). Needs
 *   `--allow-net=127.0.0.1` (or `::1`): the port is chosen by the system.
 *
 * @param family `AF_UNIX` (default where it exists), `AF_INET` or `AF_INET6`.
 * @param type `SOCK_STREAM` (the only type pysocket pairs).
 * @param proto 0.
 * @returns The two connected sockets.
 * @throws {ValueError} For another type or family.
 * @throws {OSError} If the permissions above are missing.
 *
 * @example Talk between the two ends
 * ```ts
 * import assert from "node:assert/strict";
 * import { bytes, socketpair, str } from "@pysocket/pysocket";
 * const [a, b] = await socketpair();
 * await a.sendall(bytes("ping"));
 * assert.equal(str(await b.recv(1024)), "ping");
 * a.close();
 * b.close();
 * ```
 *
 * @example A loopback TCP pair
 * ```ts
 * import assert from "node:assert/strict";
 * import { AF_INET, socketpair } from "@pysocket/pysocket";
 * const [a, b] = await socketpair(AF_INET);
 * assert.deepEqual(a.getpeername(), b.getsockname());
 * a.close();
 * b.close();
 * ```
 */
export async function socketpair(
  family: number = DEFAULT_FAMILY,
  type: number = SOCK_STREAM,
  proto = 0,
): Promise<[Socket, Socket]> {
  if (family !== AF_UNIX && family !== AF_INET && family !== AF_INET6) {
    throw new ValueError(
      "Only AF_INET, AF_INET6 and AF_UNIX socket address families are supported",
    );
  }
  if (type !== SOCK_STREAM) {
    throw new ValueError(
      "Only SOCK_STREAM socket type is supported by pysocket's socketpair()",
    );
  }
  if (proto !== 0) throw new ValueError("Only protocol zero is supported");
  return family === AF_UNIX ? await unixPair() : await loopbackPair(family);
}

async function unixPair(): Promise<[Socket, Socket]> {
  let dir: string | null = null;
  try {
    dir = await Deno.makeTempDir({ prefix: "pysocket-pair-" });
    return await connectPair(AF_UNIX, `${dir}/pair`);
  } catch (err) {
    if (
      err instanceof Deno.errors.NotCapable || err instanceof PermissionError
    ) {
      throw oserror("EACCES", UNIX_PERMISSIONS, err);
    }
    throw err;
  } finally {
    if (dir) await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

function loopbackPair(family: number): Promise<[Socket, Socket]> {
  return connectPair(family, [family === AF_INET6 ? "::1" : "127.0.0.1", 0]);
}

async function connectPair(
  family: number,
  address: string | [string, number],
): Promise<[Socket, Socket]> {
  using listener = new Socket(family, SOCK_STREAM);
  listener.bind(address);
  listener.listen(1);
  const client = new Socket(family, SOCK_STREAM);
  try {
    await client.connect(listener.getsockname());
    for (let strangers = 0; strangers < MAX_STRANGERS; strangers++) {
      const [conn] = await listener.accept();
      if (
        family === AF_UNIX || same(conn.getpeername(), client.getsockname())
      ) {
        return [client, conn];
      }
      // Someone else connected to the listener first: not ours.
      conn.close();
    }
    throw new ConnectionError(
      `socketpair(): ${MAX_STRANGERS} other connections reached the listener first`,
    );
  } catch (err) {
    client.close();
    throw err;
  }
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
