/**
 * Socket addresses as Python writes them (`[host, port]` tuples and Unix
 * paths), conversions between text and packed IP addresses
 * (`inet_aton`, `inet_pton`, ...) and byte-order helpers (`htons`, ...).
 *
 * @module
 */

import { AF_INET, AF_INET6 } from "./constants.ts";
import { OSError, OverflowError, ValueError } from "./errors.ts";
import { parseIPv4, parseIPv6 } from "./_address.ts";

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
 * Converts an IPv4 address in the liberal forms C's `inet_aton` accepts
 * (`"127.0.0.1"`, `"127.1"`, `"0x7f.1"`) to 4 packed bytes.
 *
 * @param text The address.
 * @returns 4 bytes in network order.
 * @throws {OSError} If the text is not an IPv4 address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { inet_aton } from "@pysocket/pysocket";
 * assert.deepEqual(inet_aton("127.0.0.1"), new Uint8Array([127, 0, 0, 1]));
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
 * import assert from "node:assert/strict";
 * import { inet_ntoa } from "@pysocket/pysocket";
 * assert.equal(inet_ntoa(new Uint8Array([192, 0, 2, 1])), "192.0.2.1");
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
 * import assert from "node:assert/strict";
 * import { AF_INET6, inet_pton } from "@pysocket/pysocket";
 * assert.equal(inet_pton(AF_INET6, "::1").length, 16);
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
 * import assert from "node:assert/strict";
 * import { AF_INET6, inet_ntop, inet_pton } from "@pysocket/pysocket";
 * assert.equal(inet_ntop(AF_INET6, inet_pton(AF_INET6, "0:0::1")), "::1");
 * ```
 */
export function inet_ntop(family: number, packed: Uint8Array): string {
  if (family === AF_INET) {
    if (packed.length !== 4) {
      throw new ValueError("invalid length of packed IP address string");
    }
    return Array.from(packed).join(".");
  }
  if (family !== AF_INET6) {
    throw new OSError(97, "Address family not supported by protocol");
  }
  if (packed.length !== 16) {
    throw new ValueError("invalid length of packed IP address string");
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
    throw new OverflowError(
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
 * import assert from "node:assert/strict";
 * import { htons } from "@pysocket/pysocket";
 * assert.equal(htons(1), 256); // on little-endian machines, as every Deno target is
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
 * import assert from "node:assert/strict";
 * import { htons, ntohs } from "@pysocket/pysocket";
 * assert.equal(ntohs(htons(8888)), 8888);
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
 * import assert from "node:assert/strict";
 * import { htonl } from "@pysocket/pysocket";
 * assert.equal(htonl(1), 16777216); // on little-endian machines, as every Deno target is
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
 * import assert from "node:assert/strict";
 * import { htonl, ntohl } from "@pysocket/pysocket";
 * assert.equal(ntohl(htonl(3232235777)), 3232235777);
 * ```
 */
export function ntohl(x: number): number {
  checkUnsigned(x, 32, "ntohl");
  return LITTLE_ENDIAN ? swap32(x) : x;
}
