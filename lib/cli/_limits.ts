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
 * Descriptors a server keeps for itself: stdio, its listener, the files
 * and sockets of the Deno runtime (about 24 at start), and room to answer.
 */
export const RESERVED_DESCRIPTORS = 64;

/**
 * The process's limit of open descriptors, when Deno lets us read it
 * without asking: `/proc/self/limits` (Linux, which Deno opens only under
 * `--allow-all`) or `getrlimit` through FFI (under `--allow-ffi`).
 * Deno raises the soft limit to the hard one when it starts, so that is
 * the limit that counts.
 *
 * @returns The limit, or `null` when it cannot be read.
 */
export function descriptorLimit(): number | null {
  const granted = (descriptor: Deno.PermissionDescriptor) => {
    try {
      return Deno.permissions.querySync(descriptor).state === "granted";
    } catch {
      return false;
    }
  };
  if (Deno.build.os === "windows") return null;
  if (
    Deno.build.os === "linux" &&
    granted({ name: "read", path: "/proc/self/limits" }) &&
    granted({ name: "run" }) && granted({ name: "ffi" })
  ) {
    try {
      const line = Deno.readTextFileSync("/proc/self/limits").split("\n")
        .find((l) => l.startsWith("Max open files"));
      const soft = line?.split(/\s{2,}/)[1];
      if (soft && /^\d+$/.test(soft)) return Number(soft);
    } catch {
      // Not readable after all: try FFI.
    }
  }
  if (!granted({ name: "ffi" })) return null;
  try {
    const lib = Deno.dlopen(
      Deno.build.os === "darwin" ? "libSystem.dylib" : "libc.so.6",
      { getrlimit: { parameters: ["i32", "buffer"], result: "i32" } },
    );
    try {
      const limits = new BigUint64Array(2);
      const RLIMIT_NOFILE = Deno.build.os === "darwin" ? 8 : 7;
      const rc = lib.symbols.getrlimit(
        RLIMIT_NOFILE,
        new Uint8Array(limits.buffer),
      );
      return rc === 0 && limits[0] < 2n ** 53n ? Number(limits[0]) : null;
    } finally {
      lib.close();
    }
  } catch {
    return null;
  }
}

/**
 * The default of `--max-clients` for a server that serves many clients:
 * its descriptor limit less {@linkcode RESERVED_DESCRIPTORS}, so the
 * default configuration cannot run out; `null` (no limit but the system's)
 * when the limit cannot be read. Either way a server that runs out of
 * descriptors waits for some to close and goes on.
 *
 * @param perClient Descriptors each client holds (a relay's session holds
 * two: the client's and the target's).
 * @returns The limit, or `null`.
 */
export function defaultMaxClients(perClient = 1): number | null {
  const limit = descriptorLimit();
  return limit === null
    ? null
    : Math.max(1, Math.floor((limit - RESERVED_DESCRIPTORS) / perClient));
}
