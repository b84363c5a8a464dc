/**
 * Python's `getnameinfo` and `getfqdn`: from an address back to names.
 *
 * Reverse lookups go to `node:dns` `lookupService`, which is the C
 * library's `getnameinfo`: it reads the hosts file first and asks DNS only
 * when the system's settings say so, as Python's does. (`Deno.resolveDns`
 * with `PTR` would skip the hosts file and always ask a DNS server.)
 * Numeric flags never look anything up and need no permission. Service
 * names come from pysocket's table of well-known services (see
 * {@linkcode getservbyport}).
 *
 * @module
 */

import { AF_INET6, errno, SOCK_STREAM } from "./constants.ts";
import { inet_ntop, inet_pton } from "./address.ts";
import { isIPv4, isIPv6 } from "./_address.ts";
import { gaierror, OSError, OverflowError, PermissionError } from "./errors.ts";
import { EAI_NONAME, getaddrinfo, gethostname } from "./resolve.ts";
import { getservbyport } from "./services.ts";

const LINUX = Deno.build.os === "linux" || Deno.build.os === "android";

/** `NI_NUMERICHOST`: give the host as a numeric address; never look it up. */
export const NI_NUMERICHOST: number = LINUX ? 1 : 2;
/** `NI_NUMERICSERV`: give the port as a number, not a service name. */
export const NI_NUMERICSERV: number = LINUX ? 2 : 8;
/** `NI_NOFQDN`: accepted; pysocket returns the name the resolver gives. */
export const NI_NOFQDN: number = LINUX ? 4 : 1;
/** `NI_NAMEREQD`: fail with `gaierror` when the address has no name. */
export const NI_NAMEREQD: number = LINUX ? 8 : 4;
/** `NI_DGRAM`: the service is a UDP one (names differ for a few ports). */
export const NI_DGRAM = 16;
/** `NI_MAXHOST`: the longest host name `getnameinfo` returns, plus one. */
export const NI_MAXHOST = 1025;
/** `NI_MAXSERV`: the longest service name `getnameinfo` returns, plus one. */
export const NI_MAXSERV = 32;

function noName(detail: string): gaierror {
  return new gaierror(EAI_NONAME, "Name or service not known", { detail });
}

function lookupRefused(address: string, cause: unknown): PermissionError {
  return new PermissionError(errno.EACCES, "Permission denied", {
    detail:
      `the reverse lookup of ${address} was refused by the sandbox; run again with --allow-net=${address}, or pass NI_NUMERICHOST`,
    cause,
  });
}

/** The host name of a numeric address, by the C library's `getnameinfo`. */
async function reverse(address: string, port: number): Promise<string | null> {
  const { lookupService } = await import("node:dns/promises");
  try {
    return (await lookupService(address, port)).hostname;
  } catch (err) {
    if ((err as { code?: unknown }).code === "EPERM") {
      throw lookupRefused(address, err);
    }
    return null;
  }
}

/**
 * The host and service of a socket address, like Python's
 * `socket.getnameinfo(sockaddr, flags)`. Async, as it may ask the
 * resolver. The host must be a numeric address, as in Python.
 *
 * Requires `allow-net` for the address, unless `NI_NUMERICHOST` is given.
 * An IPv6 scope is shown as its number (`fe80::1%2`): naming interfaces
 * would need `--allow-sys`.
 *
 * @param sockaddr `[host, port]` or `[host, port, flowinfo, scope_id]`.
 * @param flags `NI_NUMERICHOST`, `NI_NUMERICSERV`, `NI_NAMEREQD`,
 * `NI_DGRAM`, `NI_NOFQDN`, or'ed together.
 * @returns `[host, service]`.
 * @throws {gaierror} If the host is not a numeric address, or has no name
 * and `NI_NAMEREQD` is given.
 * @throws {PermissionError} If a reverse lookup is not permitted.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getnameinfo, NI_NUMERICHOST, NI_NUMERICSERV } from "@pysocket/pysocket";
 * assert.deepEqual(
 *   await getnameinfo(["127.0.0.1", 80], NI_NUMERICHOST | NI_NUMERICSERV),
 *   ["127.0.0.1", "80"],
 * );
 * assert.deepEqual(await getnameinfo(["::1", 22, 0, 0], NI_NUMERICHOST), ["::1", "ssh"]);
 * ```
 */
export async function getnameinfo(
  sockaddr: [string, number] | [string, number, number, number],
  flags: number,
): Promise<[host: string, service: string]> {
  if (!Array.isArray(sockaddr)) {
    throw new TypeError("getnameinfo() argument 1 must be a tuple");
  }
  if (sockaddr.length < 2 || sockaddr.length > 4) {
    throw new TypeError("getnameinfo(): illegal sockaddr argument");
  }
  const [host, port, flowinfo = 0, scope = 0] = sockaddr;
  if (typeof host !== "string") {
    throw new TypeError("getnameinfo(): illegal sockaddr argument");
  }
  for (const n of [port, flowinfo, scope, flags]) {
    if (typeof n !== "number" || !Number.isInteger(n)) {
      throw new TypeError(
        `getnameinfo(): an integer is required, got ${String(n)}`,
      );
    }
  }
  if (port < 0 || port > 65535) {
    throw new OverflowError("getnameinfo(): port must be 0-65535.");
  }
  if (flowinfo < 0 || flowinfo > 0xfffff) {
    throw new OverflowError("getnameinfo(): flowinfo must be 0-1048575.");
  }
  const bare = host.split("%")[0];
  let numeric: string;
  if (isIPv4(host)) {
    if (sockaddr.length !== 2) {
      throw new OSError("IPv4 sockaddr must be 2 tuple");
    }
    numeric = host;
  } else if (isIPv6(bare)) {
    numeric = inet_ntop(AF_INET6, inet_pton(AF_INET6, bare));
    if (scope !== 0) numeric += `%${scope}`;
    else if (bare !== host) numeric += host.slice(bare.length);
  } else {
    throw noName(`${host} is not a numeric address`);
  }
  let service = String(port);
  if (!(flags & NI_NUMERICSERV)) {
    try {
      service = getservbyport(port, flags & NI_DGRAM ? "udp" : "tcp");
    } catch {
      // No name: the number, as the C library gives it.
    }
  }
  if (flags & NI_NUMERICHOST) return [numeric, service];
  const name = await reverse(numeric, port);
  if (name === null) {
    if (flags & NI_NAMEREQD) noNameFor(numeric);
    return [numeric, service];
  }
  return [name, service];
}

function noNameFor(address: string): never {
  throw noName(`${address} has no name (NI_NAMEREQD)`);
}

/**
 * The fully qualified name of `name` (the local host when empty), like
 * Python's `socket.getfqdn`: the name the reverse lookup of its first
 * address gives, or `name` itself when there is none. Async, as it asks
 * the resolver.
 *
 * Requires `allow-net` for the name and its address, and
 * `--allow-sys=hostname` when `name` is empty. A refused permission is
 * thrown as {@linkcode PermissionError} rather than hidden; other lookup
 * failures give back `name`, as in Python.
 *
 * @param name A host name or address; the local host by default.
 * @returns The fully qualified name.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getfqdn } from "@pysocket/pysocket";
 * assert.equal(await getfqdn("127.0.0.1"), "localhost"); // from the hosts file
 * ```
 */
export async function getfqdn(name = ""): Promise<string> {
  name = name.trim();
  if (name === "" || name === "0.0.0.0" || name === "::") name = gethostname();
  let address: string;
  try {
    address = (await getaddrinfo(name, 0, 0, SOCK_STREAM))[0][4][0];
  } catch (err) {
    if (err instanceof PermissionError) throw err;
    return name;
  }
  if (!isIPv4(address) && !isIPv6(address.split("%")[0])) return name;
  return await reverse(address, 0) ?? name;
}
