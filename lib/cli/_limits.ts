/**
 * The limits that keep a server's memory and connections bounded whatever
 * its peers do.
 *
 * | Limit | Defends against |
 * | --- | --- |
 * | `maxClients` (`--max-clients`) | a crowd of connections exhausting memory and file descriptors |
 * | `maxMessage` (`--max-message`) | a peer sending endless bytes without a newline: the server would buffer them all |
 * | `maxQueued` (derived) | a peer that never reads: every broadcast would pile up for it |
 *
 * @module
 */

/** Limits of a server, every one set. */
export interface Limits {
  /** The most connections held at once, handshakes included; `null`: none. */
  maxClients: number | null;
  /** The longest message accepted, in bytes, not counting its newline. */
  maxMessage: number;
  /** The most bytes waiting to be sent to one peer before it is dropped. */
  maxQueued: number;
}

/** The default longest message: 64 KiB, one read of the chat programs. */
export const DEFAULT_MAX_MESSAGE = 65536;
/** The floor of the per-peer output queue: 1 MiB. */
export const MIN_MAX_QUEUED = 1 << 20;

/**
 * Fills in the limits not given (the values given are already checked).
 *
 * @param given Some limits.
 * @returns Every limit.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { limitsOf } from "./_limits.ts";
 * assert.deepEqual(limitsOf({ maxMessage: 1024 }), {
 *   maxClients: null,
 *   maxMessage: 1024,
 *   maxQueued: 1048576,
 * });
 * ```
 */
export function limitsOf(
  given: { maxClients?: number | null; maxMessage?: number },
): Limits {
  const maxMessage = given.maxMessage ?? DEFAULT_MAX_MESSAGE;
  return {
    maxClients: given.maxClients ?? null,
    maxMessage,
    maxQueued: Math.max(MIN_MAX_QUEUED, 16 * maxMessage),
  };
}

/**
 * The default of `--max-clients` for a server.
 *
 * @returns The limit, or `null` for none.
 */
export function defaultMaxClients(): number | null {
  return null;
}
