/**
 * Python's `getservbyname` and `getservbyport`: well-known service names
 * and their ports.
 *
 * Python reads the system's `/etc/services`; in Deno that would need
 * `--allow-read=/etc/services`, and a name lookup should not ask for file
 * access. So pysocket answers from a fixed table of about a hundred
 * well-known services (Debian's netbase file, which follows IANA's
 * registry): the same answers on every system, no permission needed. A
 * service only a local `/etc/services` lists is not found.
 *
 * @module
 */

import { serviceTable } from "./_services_table.ts";
import { OSError, OverflowError } from "./errors.ts";

function checkProto(proto: string | null | undefined, call: string): string {
  if (proto === undefined || proto === null) return "";
  if (typeof proto !== "string") {
    throw new TypeError(
      `${call}() argument 2 must be str, not ${typeof proto}`,
    );
  }
  return proto;
}

/**
 * The port of a service, like Python's `socket.getservbyname`. Names and
 * aliases (`"www"` for `"http"`) are matched exactly, as the C library
 * matches them. Synchronous, as in Python; needs no permission (see the
 * module's note on `/etc/services`).
 *
 * @param name The service name, such as `"http"`.
 * @param proto `"tcp"` or `"udp"`; any protocol when left out.
 * @returns The port number.
 * @throws {OSError} `service/proto not found`, as Python says it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getservbyname } from "@pysocket/pysocket";
 * assert.equal(getservbyname("http"), 80);
 * assert.equal(getservbyname("www", "tcp"), 80);
 * assert.equal(getservbyname("domain", "udp"), 53);
 * assert.throws(() => getservbyname("ntp", "tcp"), /service\/proto not found/);
 * ```
 */
export function getservbyname(name: string, proto?: string | null): number {
  if (typeof name !== "string") {
    throw new TypeError(
      `getservbyname() argument 1 must be str, not ${typeof name}`,
    );
  }
  const wanted = checkProto(proto, "getservbyname");
  for (const service of serviceTable()) {
    if (wanted && service.proto !== wanted) continue;
    if (service.name === name || service.aliases.includes(name)) {
      return service.port;
    }
  }
  throw new OSError("service/proto not found");
}

/**
 * The name of the service on a port, like Python's `socket.getservbyport`.
 * Synchronous, as in Python; needs no permission (see the module's note on
 * `/etc/services`).
 *
 * @param port The port, from 0 to 65535.
 * @param proto `"tcp"` or `"udp"`; any protocol when left out (TCP's entry
 * comes first where both exist).
 * @returns The service's name.
 * @throws {OverflowError} If the port is outside 0 to 65535.
 * @throws {OSError} `port/proto not found`, as Python says it.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getservbyport } from "@pysocket/pysocket";
 * assert.equal(getservbyport(22), "ssh");
 * assert.equal(getservbyport(514, "udp"), "syslog");
 * assert.throws(() => getservbyport(9999), /port\/proto not found/);
 * ```
 */
export function getservbyport(port: number, proto?: string | null): string {
  if (typeof port !== "number" || !Number.isInteger(port)) {
    throw new TypeError(
      `getservbyport(): port must be an integer, got ${String(port)}`,
    );
  }
  if (port < 0 || port > 65535) {
    throw new OverflowError("getservbyport: port must be 0-65535.");
  }
  const wanted = checkProto(proto, "getservbyport");
  for (const service of serviceTable()) {
    if (service.port === port && (!wanted || service.proto === wanted)) {
      return service.name;
    }
  }
  throw new OSError("port/proto not found");
}
