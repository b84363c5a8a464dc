/**
 * Socket addresses as Python writes them (`[host, port]` tuples and Unix
 * paths), conversions between text and packed IP addresses
 * (`inet_aton`, `inet_pton`, ...) and byte-order helpers (`htons`, ...).
 *
 * @module
 */

import { AF_INET, AF_INET6 } from "./constants.ts";
import { OSError } from "./errors.ts";

/**
 * An IPv4 address: `[host, port]`, as `("127.0.0.1", 8888)` in Python.
 * An empty host means every interface, like `"0.0.0.0"`.
 */
export type IPv4Address = [host: string, port: number];

/**
 * An IPv6 address: `[host, port, flowinfo, scope_id]`; the last two may be
 * left out when binding or connecting, as in Python.
 */
export type IPv6Address =
  | [host: string, port: number]
  | [host: string, port: number, flowinfo: number, scope_id: number];

/** Any socket address: an IP tuple, or a file system path for `AF_UNIX`. */
export type Address = IPv4Address | IPv6Address | string;

/**
 * Checks that `port` is an integer from 0 to 65535.
 *
 * @param port The port to check.
 * @param what The call that received it, for the message.
 * @returns The port.
 * @throws {RangeError} If the port is out of range or not an integer.
 *
 * @example
 * ```ts
 * import { checkPort } from "@pysocket/pysocket";
 * console.log(checkPort(8888, "bind()")); // 8888
 * ```
 */
export function checkPort(port: unknown, what: string): number {
  if (
    typeof port !== "number" || !Number.isInteger(port) || port < 0 ||
    port > 65535
  ) {
    throw new RangeError(
      `${what}: port must be an integer from 0 to 65535, got ${
        typeof port === "string" ? JSON.stringify(port) : String(port)
      }`,
    );
  }
  return port;
}

/**
 * Splits an IP address tuple into the host and port Deno expects, mapping
 * Python's special hosts: `""` is every interface (`0.0.0.0` or `::`) and
 * `"<broadcast>"` is `255.255.255.255`.
 *
 * @param address The address tuple.
 * @param family `AF_INET` or `AF_INET6`.
 * @param what The call that received it, for messages.
 * @returns The host name or literal and the port.
 * @throws {TypeError} If the address is not a `[host, port]` tuple.
 * @throws {RangeError} If the port is out of range.
 *
 * @example
 * ```ts
 * import { AF_INET, ipEndpoint } from "@pysocket/pysocket";
 * console.log(ipEndpoint(["", 8888], AF_INET, "bind()")); // { hostname: "0.0.0.0", port: 8888 }
 * ```
 */
export function ipEndpoint(
  address: Address,
  family: number,
  what: string,
): { hostname: string; port: number } {
  if (
    !Array.isArray(address) || address.length < 2 ||
    typeof address[0] !== "string"
  ) {
    const shape = family === AF_INET6
      ? "[host, port] or [host, port, flowinfo, scope_id]"
      : "[host, port]";
    throw new TypeError(
      `${what}: ${
        family === AF_INET6 ? "AF_INET6" : "AF_INET"
      } address must be ${shape}, got ${describe(address)}`,
    );
  }
  const port = checkPort(address[1], what);
  let hostname = address[0];
  if (hostname === "") hostname = family === AF_INET6 ? "::" : "0.0.0.0";
  else if (hostname === "<broadcast>") hostname = "255.255.255.255";
  // Python writes IPv6 literals without brackets; accept them anyway.
  if (hostname.startsWith("[") && hostname.endsWith("]")) {
    hostname = hostname.slice(1, -1);
  }
  return { hostname, port };
}

/** Renders a value for an error message. */
function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/**
 * Converts a Deno address into Python's form for the socket's family:
 * `[host, port]` for IPv4, `[host, port, 0, 0]` for IPv6, and the path
 * (`""` when unbound) for Unix sockets.
 *
 * @param addr An address from Deno (`conn.remoteAddr`, `listener.addr`, ...).
 * @param family The socket's family.
 * @returns The Python-style address.
 *
 * @example
 * ```ts
 * import { AF_INET, fromDenoAddr } from "@pysocket/pysocket";
 * const addr = { transport: "tcp" as const, hostname: "127.0.0.1", port: 80 };
 * console.log(fromDenoAddr(addr, AF_INET)); // ["127.0.0.1", 80]
 * ```
 */
export function fromDenoAddr(addr: Deno.Addr, family: number): Address {
  if (addr.transport === "unix" || addr.transport === "unixpacket") {
    return (addr as Deno.UnixAddr).path ?? "";
  }
  const { hostname, port } = addr as Deno.NetAddr;
  if (family === AF_INET6) return [hostname, port, 0, 0];
  return [hostname, port];
}

/**
 * Formats a host and port for messages: `127.0.0.1:8888`, `[::1]:8888`.
 *
 * @param hostname The host.
 * @param port The port.
 * @returns The joined text.
 *
 * @example
 * ```ts
 * import { formatHostPort } from "@pysocket/pysocket";
 * console.log(formatHostPort("::1", 8888)); // "[::1]:8888"
 * ```
 */
export function formatHostPort(hostname: string, port: number): string {
  return hostname.includes(":")
    ? `[${hostname}]:${port}`
    : `${hostname}:${port}`;
}

/**
 * Formats any Python-style address for messages.
 *
 * @param address The address.
 * @returns `host:port`, `[v6]:port`, or the Unix path.
 *
 * @example
 * ```ts
 * import { formatAddress } from "@pysocket/pysocket";
 * console.log(formatAddress(["127.0.0.1", 8888])); // "127.0.0.1:8888"
 * ```
 */
export function formatAddress(address: Address): string {
  if (typeof address === "string") return address;
  return formatHostPort(address[0], address[1]);
}

/**
 * Tells whether text is an IPv4 address in strict dotted-quad form.
 *
 * @param text The text.
 * @returns `true` for forms like `"192.0.2.1"`.
 *
 * @example
 * ```ts
 * import { isIPv4 } from "@pysocket/pysocket";
 * console.log(isIPv4("127.0.0.1"), isIPv4("localhost")); // true false
 * ```
 */
export function isIPv4(text: string): boolean {
  return parseIPv4(text) !== null;
}

/**
 * Tells whether text is an IPv6 address literal (without brackets).
 *
 * @param text The text.
 * @returns `true` for forms like `"::1"`.
 *
 * @example
 * ```ts
 * import { isIPv6 } from "@pysocket/pysocket";
 * console.log(isIPv6("::1"), isIPv6("127.0.0.1")); // true false
 * ```
 */
export function isIPv6(text: string): boolean {
  return parseIPv6(text) !== null;
}

function parseIPv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i];
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part)) return null;
    const value = Number(part);
    if (value > 255) return null;
    out[i] = value;
  }
  return out;
}

function parseIPv6(text: string): Uint8Array | null {
  let rest = text;
  const zone = rest.indexOf("%");
  if (zone !== -1) rest = rest.slice(0, zone);
  // An embedded IPv4 address stands for the last two groups: rewrite it so.
  const lastColon = rest.lastIndexOf(":");
  if (lastColon !== -1 && rest.includes(".", lastColon)) {
    const v4 = parseIPv4(rest.slice(lastColon + 1));
    if (!v4) return null;
    const hex = (hi: number, lo: number) => ((hi << 8) | lo).toString(16);
    rest = `${rest.slice(0, lastColon + 1)}${hex(v4[0], v4[1])}:${
      hex(v4[2], v4[3])
    }`;
  }
  const halves = rest.split("::");
  if (halves.length > 2) return null;
  const parseGroups = (s: string): number[] | null => {
    if (s === "") return [];
    const groups = s.split(":");
    const values: number[] = [];
    for (const g of groups) {
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      values.push(parseInt(g, 16));
    }
    return values;
  };
  const head = parseGroups(halves[0]);
  const back = halves.length === 2 ? parseGroups(halves[1]) : [];
  if (!head || !back) return null;
  const known = head.length + back.length;
  let groups: number[];
  if (halves.length === 2) {
    if (known > 7) return null;
    groups = [...head, ...new Array(8 - known).fill(0), ...back];
  } else {
    if (known !== 8) return null;
    groups = head;
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/**
 * Converts an IPv4 address in the liberal forms C's `inet_aton` accepts
 * (`"127.0.0.1"`, `"127.1"`, `"0x7f.1"`) to 4 packed bytes.
 *
 * @param text The address.
 * @returns 4 bytes in network order.
 * @throws {OSError} If the text is not an IPv4 address.
 *
 * @example
 * ```ts
 * import { inet_aton } from "@pysocket/pysocket";
 * console.log(inet_aton("127.0.0.1")); // Uint8Array(4) [ 127, 0, 0, 1 ]
 * ```
 */
export function inet_aton(text: string): Uint8Array {
  const fail = () =>
    new OSError("illegal IP address string passed to inet_aton", null, {
      detail: JSON.stringify(text),
    });
  // C's inet_aton stops at white space: "1.2.3.4 junk" is 1.2.3.4.
  const end = text.search(/[ \t\n\v\f\r]/);
  const parts = (end === -1 ? text : text.slice(0, end)).split(".");
  if (parts.length < 1 || parts.length > 4) throw fail();
  const values = parts.map((p) => {
    // "0x" needs a digit after it, as in glibc.
    if (/^0[xX][0-9a-fA-F]+$/.test(p)) return parseInt(p.slice(2), 16);
    if (/^0[0-7]*$/.test(p)) return parseInt(p, 8);
    if (/^[1-9][0-9]*$/.test(p)) return parseInt(p, 10);
    return NaN;
  });
  if (values.some((v) => Number.isNaN(v))) throw fail();
  const last = values.pop()!;
  if (values.some((v) => v > 255)) throw fail();
  const lastBytes = 4 - values.length;
  if (last >= 2 ** (8 * lastBytes)) throw fail();
  const out = new Uint8Array(4);
  values.forEach((v, i) => out[i] = v);
  for (let i = 3, v = last; i >= values.length; i--, v = Math.floor(v / 256)) {
    out[i] = v & 0xff;
  }
  return out;
}

/**
 * Converts 4 packed bytes to dotted-quad text.
 *
 * @param packed 4 bytes in network order.
 * @returns The address, such as `"127.0.0.1"`.
 * @throws {OSError} If `packed` is not 4 bytes long.
 *
 * @example
 * ```ts
 * import { inet_ntoa } from "@pysocket/pysocket";
 * console.log(inet_ntoa(new Uint8Array([192, 0, 2, 1]))); // "192.0.2.1"
 * ```
 */
export function inet_ntoa(packed: Uint8Array): string {
  if (packed.length !== 4) {
    throw new OSError("packed IP wrong length for inet_ntoa");
  }
  return Array.from(packed).join(".");
}

/**
 * Converts an IP address in its standard text form to packed bytes.
 *
 * @param family `AF_INET` or `AF_INET6`.
 * @param text The address.
 * @returns 4 or 16 bytes in network order.
 * @throws {OSError} If the text is not an address of that family.
 *
 * @example
 * ```ts
 * import { AF_INET6, inet_pton } from "@pysocket/pysocket";
 * console.log(inet_pton(AF_INET6, "::1").length); // 16
 * ```
 */
export function inet_pton(family: number, text: string): Uint8Array {
  let packed: Uint8Array | null;
  if (family === AF_INET) packed = parseIPv4(text);
  else if (family === AF_INET6) {
    packed = text.includes("%") ? null : parseIPv6(text);
  } else throw new OSError(97, "Address family not supported by protocol");
  if (!packed) {
    throw new OSError("illegal IP address string passed to inet_pton", null, {
      detail: JSON.stringify(text),
    });
  }
  return packed;
}

/**
 * Converts packed bytes to the standard text form of an IP address (IPv6 in
 * the RFC 5952 shortest form, as C's `inet_ntop` writes it).
 *
 * @param family `AF_INET` or `AF_INET6`.
 * @param packed 4 or 16 bytes in network order.
 * @returns The address text.
 * @throws {RangeError} If the length does not fit the family.
 *
 * @example
 * ```ts
 * import { AF_INET6, inet_ntop, inet_pton } from "@pysocket/pysocket";
 * console.log(inet_ntop(AF_INET6, inet_pton(AF_INET6, "0:0::1"))); // "::1"
 * ```
 */
export function inet_ntop(family: number, packed: Uint8Array): string {
  if (family === AF_INET) {
    if (packed.length !== 4) {
      throw new RangeError("invalid length of packed IP address string");
    }
    return Array.from(packed).join(".");
  }
  if (family !== AF_INET6) {
    throw new OSError(97, "Address family not supported by protocol");
  }
  if (packed.length !== 16) {
    throw new RangeError("invalid length of packed IP address string");
  }
  const words: number[] = [];
  for (let i = 0; i < 16; i += 2) words.push((packed[i] << 8) | packed[i + 1]);
  // Longest run of zero words (length 2 or more) becomes "::".
  let bestStart = -1, bestLen = 0;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  if (bestLen < 2) bestStart = -1;
  const embedsV4 = bestStart === 0 &&
    (bestLen === 6 || (bestLen === 5 && words[5] === 0xffff));
  let out = "";
  for (let i = 0; i < 8; i++) {
    if (i === bestStart) {
      out += "::";
      i += bestLen - 1;
      continue;
    }
    if (embedsV4 && i === 6) {
      if (!out.endsWith(":")) out += ":";
      out += Array.from(packed.subarray(12)).join(".");
      break;
    }
    if (out !== "" && !out.endsWith(":")) out += ":";
    out += words[i].toString(16);
  }
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function checkUnsigned(value: number, bits: 16 | 32, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value >= 2 ** bits) {
    throw new RangeError(
      `${name}: value must be an integer from 0 to ${
        2 ** bits - 1
      }, got ${value}`,
    );
  }
  return value;
}

/**
 * Converts a 16-bit number from host to network byte order.
 *
 * @param x An integer from 0 to 65535.
 * @returns The byte-swapped value on little-endian hosts.
 * @throws {RangeError} If `x` is out of range.
 *
 * @example
 * ```ts
 * import { htons } from "@pysocket/pysocket";
 * console.log(htons(1)); // 256 on little-endian machines
 * ```
 */
export function htons(x: number): number {
  checkUnsigned(x, 16, "htons");
  return LITTLE_ENDIAN ? ((x & 0xff) << 8) | (x >> 8) : x;
}

/**
 * Converts a 16-bit number from network to host byte order.
 *
 * @param x An integer from 0 to 65535.
 * @returns The byte-swapped value on little-endian hosts.
 * @throws {RangeError} If `x` is out of range.
 *
 * @example
 * ```ts
 * import { htons, ntohs } from "@pysocket/pysocket";
 * console.log(ntohs(htons(8888))); // 8888
 * ```
 */
export function ntohs(x: number): number {
  checkUnsigned(x, 16, "ntohs");
  return LITTLE_ENDIAN ? ((x & 0xff) << 8) | (x >> 8) : x;
}

function swap32(x: number): number {
  return (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) |
    (x >>> 24)) >>> 0;
}

/**
 * Converts a 32-bit number from host to network byte order.
 *
 * @param x An integer from 0 to 4294967295.
 * @returns The byte-swapped value on little-endian hosts.
 * @throws {RangeError} If `x` is out of range.
 *
 * @example
 * ```ts
 * import { htonl } from "@pysocket/pysocket";
 * console.log(htonl(1)); // 16777216 on little-endian machines
 * ```
 */
export function htonl(x: number): number {
  checkUnsigned(x, 32, "htonl");
  return LITTLE_ENDIAN ? swap32(x) : x;
}

/**
 * Converts a 32-bit number from network to host byte order.
 *
 * @param x An integer from 0 to 4294967295.
 * @returns The byte-swapped value on little-endian hosts.
 * @throws {RangeError} If `x` is out of range.
 *
 * @example
 * ```ts
 * import { htonl, ntohl } from "@pysocket/pysocket";
 * console.log(ntohl(htonl(3232235777))); // 3232235777
 * ```
 */
export function ntohl(x: number): number {
  checkUnsigned(x, 32, "ntohl");
  return LITTLE_ENDIAN ? swap32(x) : x;
}
