/**
 * Private address helpers of the socket module: checking and splitting
 * Python-style addresses for Deno, Deno addresses back to Python's form,
 * formatting for messages, and IP literal parsing.
 *
 * @module
 */

import { AF_INET6 } from "./constants.ts";
import { oserror } from "./_translate.ts";
import { OSError, OverflowError, ValueError } from "./errors.ts";
import type { Address } from "./address.ts";

/**
 * Checks that `port` is an integer from 0 to 65535.
 *
 * @param port The port to check.
 * @param what The call that received it, for the message.
 * @returns The port.
 * @throws {RangeError} If the port is out of range or not an integer.
 */
export function checkPort(port: unknown, what: string): number {
  if (
    typeof port !== "number" || !Number.isInteger(port) || port < 0 ||
    port > 65535
  ) {
    throw new OverflowError(
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
  if (hostname.includes("\0")) {
    throw new ValueError(`${what}: embedded null character in host`);
  }
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
 */
export function formatHostPort(hostname: string, port: number): string {
  return `${netHost(hostname)}:${port}`;
}

/**
 * A host as `--allow-net` and Deno's permission descriptors write it: an
 * IPv6 address in brackets.
 *
 * @param host The host.
 * @returns `[::1]` for `::1`; other hosts unchanged.
 */
export function netHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/**
 * Formats any Python-style address for messages.
 *
 * @param address The address.
 * @returns `host:port`, `[v6]:port`, or the Unix path.
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
 */
export function isIPv4(text: string): boolean {
  return parseIPv4(text) !== null;
}

/**
 * Tells whether text is an IPv6 address literal (without brackets).
 *
 * @param text The text.
 * @returns `true` for forms like `"::1"`.
 */
export function isIPv6(text: string): boolean {
  return parseIPv6(text) !== null;
}

export function parseIPv4(text: string): Uint8Array | null {
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

export function parseIPv6(text: string): Uint8Array | null {
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
 * The host and port of an IP address for a socket of `family`, refusing a
 * literal of the other family with Python's error and the fix.
 *
 * @param address The address given.
 * @param family `AF_INET` or `AF_INET6`.
 * @param call The method that received it, for messages.
 * @returns The host name or literal and the port.
 */
export function endpointFor(
  address: Address,
  family: number,
  call: string,
): { hostname: string; port: number } {
  const { hostname, port } = ipEndpoint(address, family, `${call}()`);
  if (family !== AF_INET6 && isIPv6(hostname)) {
    throw oserror(
      "EAFNOSUPPORT",
      `${call}(): ${hostname} is an IPv6 address but the socket is AF_INET; create it with AF_INET6`,
    );
  }
  if (family === AF_INET6 && isIPv4(hostname)) {
    throw oserror(
      "EAFNOSUPPORT",
      `${call}(): ${hostname} is an IPv4 address but the socket is AF_INET6; create it with AF_INET, or use ::ffff:${hostname}`,
    );
  }
  return { hostname, port };
}

/** The size of `sun_path`: 108 bytes on Linux, 104 on macOS and the BSDs. */
const UNIX_PATH_MAX = Deno.build.os === "linux" || Deno.build.os === "windows"
  ? 108
  : 104;

/**
 * The path of an `AF_UNIX` address.
 *
 * @param address The address given.
 * @param call The method that received it, for messages.
 * @returns The path.
 */
export function unixPath(address: Address, call: string): string {
  if (typeof address !== "string" || address === "") {
    throw new TypeError(
      `${call}(): AF_UNIX address must be a non-empty path string, got ${
        JSON.stringify(address)
      }`,
    );
  }
  if (address.includes("\0")) {
    throw new ValueError(`${call}(): embedded null character in path`);
  }
  const bytes = new TextEncoder().encode(address).length;
  if (bytes >= UNIX_PATH_MAX) {
    throw new OSError("AF_UNIX path too long", null, {
      detail: `${call}(): ${bytes} bytes, the limit is ${
        UNIX_PATH_MAX - 1
      } on this system; use a shorter path, such as one in /tmp`,
    });
  }
  return address;
}

/**
 * How a Python-style or Deno address reads in messages.
 *
 * @param address A Python-style address, or a Deno one.
 * @returns `host:port`, `[v6]:port`, or the path.
 */
export function describeAddress(address: Address | Deno.Addr): string {
  if (typeof address === "string" || Array.isArray(address)) {
    return formatAddress(address as Address);
  }
  if (address.transport === "unix" || address.transport === "unixpacket") {
    return (address as Deno.UnixAddr).path ?? "";
  }
  const { hostname, port } = address as Deno.NetAddr;
  return formatHostPort(hostname, port);
}

/**
 * Whether a host is this machine's loopback (`localhost`, `127.x`, `::1`).
 *
 * @param host The host.
 * @returns `true` for loopback.
 */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}
