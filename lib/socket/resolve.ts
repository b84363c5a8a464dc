/**
 * Name resolution through the operating system's resolver, like Python's
 * `getaddrinfo`, `gethostbyname` and `gethostname`.
 *
 * Names go to `node:dns` `lookup`, which is the C library's
 * `getaddrinfo`: it reads the hosts file and the system's settings, as
 * Python does. (`Deno.resolveDns` would skip the hosts file and ask DNS
 * servers directly.) Numeric addresses are never looked up, so they need no
 * permission.
 *
 * @module
 */

import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  IPPROTO_TCP,
  IPPROTO_UDP,
  SOCK_DGRAM,
  SOCK_RAW,
  SOCK_STREAM,
} from "./constants.ts";
import { isIPv4, isIPv6 } from "./_address.ts";
import { gaierror, ValueError } from "./errors.ts";
import { translateError } from "./_translate.ts";

/** `AI_PASSIVE`: with no host, return the any-address (for `bind`). */
export const AI_PASSIVE = 1;
/** `AI_CANONNAME`: fill in the canonical name of the first result. */
export const AI_CANONNAME = 2;
/** `AI_NUMERICHOST`: the host must be a numeric address; never look it up. */
export const AI_NUMERICHOST = 4;

/** One result of {@linkcode getaddrinfo}: `[family, type, proto, canonname, sockaddr]`. */
export type AddrInfo = [
  family: number,
  type: number,
  proto: number,
  canonname: string,
  sockaddr: [string, number] | [string, number, number, number],
];

/** The resolver's `EAI_NONAME` on the host, as Python's `gaierror` reports it. */
export const EAI_NONAME: number = Deno.build.os === "windows"
  ? 11001
  : Deno.build.os === "linux"
  ? -2
  : 8;
const EAI_SERVICE = Deno.build.os === "windows"
  ? 10109
  : Deno.build.os === "linux"
  ? -8
  : 9;
const EAI_SOCKTYPE = Deno.build.os === "windows"
  ? 10044
  : Deno.build.os === "linux"
  ? -7
  : 10;

function parsePort(port: string | number | null | undefined): number {
  if (port === null || port === undefined) return 0;
  if (
    typeof port === "number" && Number.isInteger(port) && port >= 0 &&
    port <= 65535
  ) return port;
  if (
    typeof port === "string" && /^\d{1,5}$/.test(port) && Number(port) <= 65535
  ) return Number(port);
  throw new gaierror(EAI_SERVICE, "Servname not supported for ai_socktype", {
    detail: `port ${JSON.stringify(port)}: give a number from 0 to 65535`,
  });
}

/**
 * Resolves a host and port to the addresses to connect or bind to, like
 * Python's `socket.getaddrinfo`. Results keep the resolver's order; with
 * `type` 0 each address is listed for stream, datagram and raw sockets.
 *
 * Requires `allow-net` for the host name when it is not a numeric address.
 *
 * @param host A name or numeric address, or `null` (loopback, or the
 * any-address with `AI_PASSIVE`).
 * @param port A number, a numeric string, or `null`.
 * @param family `AF_UNSPEC` (default), `AF_INET` or `AF_INET6`.
 * @param type `SOCK_STREAM`, `SOCK_DGRAM`, or 0 for all.
 * @param proto Protocol, or 0.
 * @param flags `AI_PASSIVE`, `AI_CANONNAME`, `AI_NUMERICHOST`, or'ed together.
 * @returns The list of `[family, type, proto, canonname, sockaddr]`.
 * @throws {gaierror} If the name cannot be resolved.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getaddrinfo, SOCK_STREAM } from "@pysocket/pysocket";
 * const infos = await getaddrinfo("127.0.0.1", 80, 0, SOCK_STREAM);
 * assert.deepEqual(infos[0][4], ["127.0.0.1", 80]);
 * ```
 */
export async function getaddrinfo(
  host: string | null,
  port: string | number | null,
  family: number = AF_UNSPEC,
  type = 0,
  proto = 0,
  flags = 0,
): Promise<AddrInfo[]> {
  if (host?.includes("\0")) {
    throw new ValueError("getaddrinfo(): embedded null character in host");
  }
  const portNumber = parsePort(port);
  if (family !== AF_UNSPEC && family !== AF_INET && family !== AF_INET6) {
    throw new gaierror(
      Deno.build.os === "linux" ? -6 : 5,
      "ai_family not supported",
      { detail: `family ${family}: use AF_UNSPEC, AF_INET or AF_INET6` },
    );
  }
  // Each type with its protocol, as the C library pairs them: a given type
  // keeps only its own entry, a given protocol only the types that carry it
  // (a raw socket carries any, but only when asked for by type).
  const kinds = ([
    [SOCK_STREAM, IPPROTO_TCP],
    [SOCK_DGRAM, IPPROTO_UDP],
    [SOCK_RAW, 0],
  ] as [number, number][]).filter(([t, p]) =>
    (type === 0 || type === t) &&
    (proto === 0 || proto === p || type === SOCK_RAW)
  );
  if (kinds.length === 0) {
    throw new gaierror(EAI_SOCKTYPE, "ai_socktype not supported", {
      detail: `type ${type} with protocol ${proto}`,
    });
  }
  let addresses: { address: string; family: number }[];
  if (host === null || host === "") {
    const passive = (flags & AI_PASSIVE) !== 0;
    const v6 = { address: passive ? "::" : "::1", family: AF_INET6 };
    const v4 = { address: passive ? "0.0.0.0" : "127.0.0.1", family: AF_INET };
    addresses = family === AF_INET
      ? [v4]
      : family === AF_INET6
      ? [v6]
      : [v6, v4];
  } else if (isIPv4(host) || isIPv6(host.split("%")[0])) {
    const literal = isIPv4(host) ? AF_INET : AF_INET6;
    if (family !== AF_UNSPEC && family !== literal) {
      throw new gaierror(
        Deno.build.os === "linux" ? -9 : 1,
        "Address family for hostname not supported",
        { detail: host },
      );
    }
    addresses = [{ address: host, family: literal }];
  } else if (flags & AI_NUMERICHOST) {
    throw new gaierror(EAI_NONAME, "Name or service not known", {
      detail: `${host} is not a numeric address (AI_NUMERICHOST)`,
    });
  } else {
    try {
      // Loaded on first use: node:dns brings Deno's Node compatibility
      // layer, which costs start-up time for programs that never resolve.
      const { lookup } = await import("node:dns/promises");
      const found = await lookup(host, {
        all: true,
        family: family === AF_INET ? 4 : family === AF_INET6 ? 6 : 0,
        verbatim: true,
      });
      addresses = found.map((a) => ({
        address: a.address,
        family: a.family === 6 ? AF_INET6 : AF_INET,
      }));
    } catch (err) {
      throw translateError(err, `cannot resolve ${JSON.stringify(host)}`);
    }
  }
  const seen = new Set<string>();
  const result: AddrInfo[] = [];
  for (const { address, family: fam } of addresses) {
    if (seen.has(address)) continue;
    seen.add(address);
    for (const [t, p] of kinds) {
      const sockaddr: AddrInfo[4] = fam === AF_INET6
        ? [address, portNumber, 0, 0]
        : [address, portNumber];
      const canon = result.length === 0 && (flags & AI_CANONNAME)
        ? host ?? ""
        : "";
      result.push([fam, t, proto || p, canon, sockaddr]);
    }
  }
  return result;
}

/**
 * Resolves a host name to one IPv4 address, like Python's
 * `socket.gethostbyname`. A numeric IPv4 address is returned as is.
 *
 * Requires `allow-net` for the host name.
 *
 * @param hostname The name.
 * @returns The address, such as `"127.0.0.1"`.
 * @throws {gaierror} If the name has no IPv4 address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gethostbyname } from "@pysocket/pysocket";
 * assert.equal(await gethostbyname("127.0.0.1"), "127.0.0.1");
 * ```
 */
export async function gethostbyname(hostname: string): Promise<string> {
  // Python's empty host is the any-address, as in its bind().
  if (hostname === "") return "0.0.0.0";
  const infos = await getaddrinfo(hostname, null, AF_INET, SOCK_STREAM);
  return infos[0][4][0];
}

/**
 * The machine's host name, like Python's `socket.gethostname`.
 *
 * Requires `allow-sys` permission (`--allow-sys=hostname`).
 *
 * @tags allow-sys
 * @returns The host name.
 * @throws {PermissionError} Without `--allow-sys=hostname`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gethostname } from "@pysocket/pysocket";
 * assert.ok(gethostname().length > 0);
 * ```
 */
export function gethostname(): string {
  try {
    return Deno.hostname();
  } catch (err) {
    throw translateError(err, "cannot read the host name");
  }
}
