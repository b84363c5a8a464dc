/**
 * Private: the `flags` argument of `recv`, `recvfrom`, `send`, `sendto`
 * and their kin, checked once for every call.
 *
 * @module
 */

import { MSG_DONTROUTE, MSG_OOB, MSG_PEEK, MSG_WAITALL } from "./constants.ts";
import { oserror } from "./_translate.ts";

const NAMES: [number, string][] = [
  [MSG_OOB, "MSG_OOB"],
  [MSG_PEEK, "MSG_PEEK"],
  [MSG_DONTROUTE, "MSG_DONTROUTE"],
  [MSG_WAITALL, "MSG_WAITALL"],
];

/** The flags a receive understands. */
export const RECV_FLAGS: number = MSG_WAITALL | MSG_PEEK;
/** The flags a send understands. */
export const SEND_FLAGS = 0;

/**
 * Checks a call's flags: 0, or only flags in `allowed`. Anything else is
 * an `OSError` (`EOPNOTSUPP`) that names the flags.
 *
 * @param flags What the caller passed.
 * @param allowed The flags the call understands.
 * @param call The call's name, for the message.
 * @returns The flags.
 */
export function checkFlags(
  flags: unknown,
  allowed: number,
  call: string,
): number {
  if (flags === 0) return 0;
  if (typeof flags !== "number" || !Number.isInteger(flags)) {
    throw new TypeError(
      `${call}: flags must be an integer, got ${String(flags)}`,
    );
  }
  const unsupported = flags & ~allowed;
  if (unsupported === 0 && flags >= 0) return flags;
  const named = NAMES.filter(([bit]) => unsupported & bit).map(([, n]) => n);
  const rest = unsupported & ~NAMES.reduce((all, [bit]) => all | bit, 0);
  if (rest || flags < 0) named.push(`0x${(rest >>> 0).toString(16)}`);
  const can = NAMES.filter(([bit]) => allowed & bit).map(([, n]) => n);
  throw oserror(
    "EOPNOTSUPP",
    `${call}: flag ${named.join(" | ")} is not supported in Deno; ` +
      (can.length ? `supported: ${can.join(", ")}` : "pass 0"),
  );
}
