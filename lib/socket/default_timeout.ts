/**
 * The timeout new sockets start with: Python's `getdefaulttimeout` and
 * `setdefaulttimeout`.
 *
 * @module
 */

import { checkTimeout } from "./_deadline.ts";

let defaultTimeout: number | null = null;

/**
 * The default timeout, in seconds, that new sockets start with; `null`
 * (the default) means none: sockets block.
 *
 * @returns The default timeout.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getdefaulttimeout } from "@pysocket/pysocket";
 * assert.equal(getdefaulttimeout(), null);
 * ```
 */
export function getdefaulttimeout(): number | null {
  return defaultTimeout;
}

/**
 * Sets the timeout, in seconds, that sockets created afterwards start with.
 *
 * @param timeout Seconds, or `null` for none.
 * @throws {RangeError} If the timeout is negative.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getdefaulttimeout, setdefaulttimeout, socket } from "@pysocket/pysocket";
 * setdefaulttimeout(5);
 * using sock = socket();
 * assert.equal(sock.gettimeout(), 5);
 * setdefaulttimeout(null);
 * assert.equal(getdefaulttimeout(), null);
 * ```
 */
export function setdefaulttimeout(timeout: number | null): void {
  defaultTimeout = checkTimeout(timeout, "setdefaulttimeout()");
}
