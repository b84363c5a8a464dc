/**
 * Names in the room (`/nick NAME`), checked so that nobody can pass for
 * someone else: not for the operator (`server:` lines), not for another
 * member, and not for an unnamed member (whose name is its address).
 *
 * Names are compared by their skeleton: Unicode compatibility forms
 * folded (fullwidth `ｓｅｒｖｅｒ` is `server`), accents and other marks
 * dropped (`ALİCE` is `ALICE`), Cyrillic and Greek letters that look Latin
 * turned into those Latin letters (Cyrillic `ѕ` is `s`), case folded, and
 * the look-alike `i`, `l`, `1`, `|` and `o`, `0` made one.
 *
 * @module
 */

import { isIPv4, isIPv6 } from "../../socket/_address.ts";

/** Letters, digits, `.`, `_` and `-`, 1 to 32 of them. */
const NAME = /^[\p{L}\p{N}_.\-]{1,32}$/u;

/** Capital Cyrillic and Greek letters that look like Latin capitals. */
const CAPITALS: Record<string, string> = {
  "А": "A",
  "В": "B",
  "Е": "E",
  "К": "K",
  "М": "M",
  "Н": "H",
  "О": "O",
  "Р": "P",
  "С": "C",
  "Т": "T",
  "Х": "X",
  "Ѕ": "S",
  "І": "I",
  "Ј": "J",
  "Ү": "Y",
  "Ԛ": "Q",
  "Ԝ": "W",
  "Α": "A",
  "Β": "B",
  "Ε": "E",
  "Ζ": "Z",
  "Η": "H",
  "Ι": "I",
  "Κ": "K",
  "Μ": "M",
  "Ν": "N",
  "Ο": "O",
  "Ρ": "P",
  "Τ": "T",
  "Υ": "Y",
  "Χ": "X",
};

/** Small Cyrillic, Greek and Latin letters that look like other Latin ones. */
const SMALL: Record<string, string> = {
  "а": "a",
  "е": "e",
  "о": "o",
  "р": "p",
  "с": "c",
  "у": "y",
  "х": "x",
  "ѕ": "s",
  "і": "l",
  "ј": "j",
  "ԁ": "d",
  "һ": "h",
  "ӏ": "l",
  "ԛ": "q",
  "ԝ": "w",
  "ɡ": "g",
  "α": "a",
  "ο": "o",
  "ρ": "p",
  "ν": "v",
  "τ": "t",
  "κ": "k",
  "ι": "l",
  "υ": "u",
  "χ": "x",
  "ı": "l",
  "i": "l",
  "1": "l",
  "|": "l",
  "0": "o",
};

/**
 * The form two names are compared in: names with the same skeleton look
 * alike.
 *
 * @param name A name.
 * @returns Its skeleton.
 */
export function skeleton(name: string): string {
  const bare = name.normalize("NFKD").replace(/\p{M}/gu, "");
  const capitals = [...bare].map((c) => CAPITALS[c] ?? c).join("");
  return [...capitals.toLowerCase()].map((c) => SMALL[c] ?? c).join("");
}

/** Whether a name could be read as an address (what unnamed members are called). */
function looksLikeAddress(name: string): boolean {
  return /^[\d.]+$/.test(name) || isIPv4(name) || isIPv6(name);
}

/** A name asked for, and what the room makes of it. */
export type NameCheck =
  | { ok: true; name: string }
  | { ok: false; reason: string };

/**
 * Checks a name asked for with `/nick`.
 *
 * @param asked The name as typed.
 * @param others The names of the other members.
 * @returns The name to use (in its compatibility form), or why not.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { checkName } from "./room_names.ts";
 * assert.deepEqual(checkName("ｂｏｂ", []), { ok: true, name: "bob" });
 * assert.equal(checkName("ѕerver", []).ok, false); // Cyrillic ѕ
 * assert.equal(checkName("ALİCE", ["alice"]).ok, false);
 * assert.equal(checkName("127.0.0.1", []).ok, false);
 * ```
 */
export function checkName(asked: string, others: Iterable<string>): NameCheck {
  const name = asked.normalize("NFKC");
  if (!NAME.test(name)) {
    return {
      ok: false,
      reason:
        `a name is 1 to 32 letters, digits, '.', '_' or '-', and not "server"`,
    };
  }
  if (looksLikeAddress(name)) {
    return {
      ok: false,
      reason:
        `the name ${name} looks like an address; members without a name are called by theirs`,
    };
  }
  const shape = skeleton(name);
  if (shape === skeleton("server")) {
    return {
      ok: false,
      reason:
        `a name is 1 to 32 letters, digits, '.', '_' or '-', and not "server"`,
    };
  }
  for (const other of others) {
    if (other.toLowerCase() === name.toLowerCase()) {
      return { ok: false, reason: `the name ${name} is taken` };
    }
    if (skeleton(other) === shape) {
      return {
        ok: false,
        reason: `the name ${name} looks too much like ${other}`,
      };
    }
  }
  return { ok: true, name };
}
