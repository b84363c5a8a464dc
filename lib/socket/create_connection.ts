/**
 * Python's `socket.create_connection`: a connected TCP socket in one call,
 * trying each address the name resolves to.
 *
 * @module
 */

import {
  AF_INET,
  AF_INET6,
  IPPROTO_TCP,
  SOCK_STREAM,
  TCP_NODELAY,
} from "./constants.ts";
import { formatHostPort, ipEndpoint, isIPv4, isIPv6 } from "./_address.ts";
import { OSError, PermissionError, TimeoutError } from "./errors.ts";
import { oserror, translateError } from "./_translate.ts";
import { checkTimeout, Deadline, timed } from "./_deadline.ts";
import { getdefaulttimeout } from "./default_timeout.ts";
import { getaddrinfo } from "./resolve.ts";
import { startConnect } from "./_connect.ts";
import { Socket } from "./socket.ts";

/** Keyword options of {@linkcode create_connection}, as in Python. */
export interface CreateConnectionOptions {
  /**
   * When every address fails, throw an `AggregateError` holding each
   * address's error (Python's `ExceptionGroup`) instead of the last one.
   *
   * @default {false}
   */
  all_errors?: boolean;
}

/** Whether the run may reach `host:port` without asking. */
function granted(host: string, port: number): boolean {
  try {
    return Deno.permissions.querySync({
      name: "net",
      host: formatHostPort(host, port),
    }).state === "granted";
  } catch {
    return false;
  }
}

/**
 * The addresses to try, in order: a numeric host as it is; a name as the
 * operating system's resolver lists them. When the run may not resolve the
 * name, or reach each of its addresses, the name itself is the one
 * address: Deno resolves it and tries each address itself (Happy
 * Eyeballs), under the grant as written (`--allow-net=localhost:8888`), or
 * names the flag that is missing.
 */
async function candidates(
  host: string,
  port: number,
): Promise<{ hostname: string; family: number }[]> {
  if (isIPv4(host)) return [{ hostname: host, family: AF_INET }];
  if (isIPv6(host)) return [{ hostname: host, family: AF_INET6 }];
  const byName = [{ hostname: host, family: AF_INET }];
  let infos;
  try {
    infos = await getaddrinfo(host, port, 0, SOCK_STREAM);
  } catch (err) {
    if (err instanceof PermissionError) return byName;
    throw err;
  }
  const addresses = infos.map(([family, , , , sockaddr]) => ({
    hostname: sockaddr[0],
    family,
  }));
  return addresses.every((a) => granted(a.hostname, port)) ? addresses : byName;
}

/**
 * Connects to a TCP service and returns the connected socket, like
 * Python's `socket.create_connection`: the host is resolved by the
 * operating system and each address is tried in the order the resolver
 * gives, each within the timeout (the default timeout when none is given);
 * when all fail, the last error is thrown.
 *
 * Deno cannot choose a client's local address, so `source_address` is
 * accepted only as `null`/`undefined` or a port-0 any-address.
 *
 * Requires `allow-net` for the host and port as written. With a grant for
 * the name only (`--allow-net=localhost:8888`), Deno resolves the name and
 * tries each of its addresses itself (Happy Eyeballs: IPv6 and IPv4 raced
 * 250 ms apart); grant the addresses too
 * (`--allow-net=localhost,127.0.0.1:8888,[::1]:8888`) to have them tried
 * one by one, in the resolver's order, as Python does.
 *
 * @param address `[host, port]`.
 * @param timeout Seconds for each attempt (and the socket's timeout).
 * @param source_address Not supported beyond `["", 0]`.
 * @param options `all_errors`.
 * @returns The connected socket.
 * @throws {OSError} The last address's error, if none could be reached.
 * @throws {AggregateError} Every address's error, with `all_errors`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { create_connection, create_server } from "@pysocket/pysocket";
 * using server = create_server(["127.0.0.1", 0]);
 * using client = await create_connection(server.getsockname() as [string, number], 5);
 * assert.equal(client.gettimeout(), 5);
 * assert.deepEqual(client.getpeername(), server.getsockname());
 * ```
 *
 * @example Nothing listens: Python's ConnectionRefusedError
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectionRefusedError, create_connection, create_server } from "@pysocket/pysocket";
 * const probe = create_server(["127.0.0.1", 0]);
 * const [, port] = probe.getsockname() as [string, number];
 * probe.close();
 * await assert.rejects(create_connection(["127.0.0.1", port]), ConnectionRefusedError);
 * ```
 */
export async function create_connection(
  address: [string, number] | [string, number, number, number],
  timeout?: number | null,
  source_address?: [string, number] | null,
  options: CreateConnectionOptions = {},
): Promise<Socket> {
  if (
    source_address &&
    !(["", "0.0.0.0", "::"].includes(source_address[0]) &&
      source_address[1] === 0)
  ) {
    throw oserror(
      "EINVAL",
      "create_connection(): Deno cannot choose a client's local address; drop source_address",
    );
  }
  const seconds = timeout === undefined
    ? getdefaulttimeout()
    : checkTimeout(timeout, "create_connection()");
  const { hostname, port } = ipEndpoint(
    address,
    AF_INET6,
    "create_connection()",
  );
  const errors: OSError[] = [];
  for (const target of await candidates(hostname, port)) {
    let attempt;
    try {
      attempt = startConnect(target.family, [target.hostname, port]);
    } catch (err) {
      if (!(err instanceof OSError)) throw err;
      errors.push(err);
      continue;
    }
    try {
      const conn = await timed(attempt.conn, seconds, new Deadline());
      const remote = (conn.remoteAddr as Deno.NetAddr).hostname;
      const sock = new Socket(
        isIPv6(remote) ? AF_INET6 : AF_INET,
        SOCK_STREAM,
        0,
        conn,
      );
      sock.settimeout(seconds);
      sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
      return sock;
    } catch (err) {
      if (err instanceof TimeoutError) attempt.abandon();
      errors.push(
        err instanceof TimeoutError ? err : translateError(
          err,
          `cannot connect to ${formatHostPort(hostname, port)}`,
        ),
      );
    }
  }
  if (errors.length === 0) {
    throw new OSError("getaddrinfo returns an empty list");
  }
  if (options.all_errors) {
    throw new AggregateError(errors, "create_connection failed");
  }
  throw errors[errors.length - 1];
}
