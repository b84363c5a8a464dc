/**
 * Access lists for servers: `--allow` and `--deny` with IPv4 and IPv6
 * addresses or CIDR ranges (`10.0.0.0/8`, `fe80::/10`), checked against a
 * peer's address before the server says anything to it.
 *
 * The rule, as in ncat: an address matching any deny rule is refused;
 * otherwise it is admitted if there are no allow rules or it matches one.
 * An IPv4 peer is matched the same on every listener: as the IPv4 address
 * against IPv4 rules, and as its IPv4-mapped IPv6 address
 * (`::ffff:192.0.2.1`, what a dual-stack listener reports) against IPv6
 * rules. So `--deny 192.0.2.0/24` holds on a `::` listener, and
 * `--deny ::ffff:192.0.2.1` (or `::ffff:0:0/96`, every IPv4 peer) on a
 * `0.0.0.0` one. Host names
 * are refused: a rule must not depend on a resolver an attacker may
 * influence.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AccessList } from "./_access.ts";
 * const access = new AccessList({ allow: ["10.0.0.0/8", "::1"], deny: ["10.0.0.13"] });
 * assert.equal(access.allows("10.1.2.3"), true);
 * assert.equal(access.allows("10.0.0.13"), false); // deny wins
 * assert.equal(access.allows("::ffff:10.9.9.9"), true); // IPv4-mapped
 * assert.equal(access.allows("127.0.0.1"), false);
 * ```
 *
 * @module
 */

import { AF_INET, AF_INET6 } from "../socket/constants.ts";
import { inet_ntop, inet_pton } from "../socket/address.ts";
import { isIPv4, isIPv6 } from "../socket/_address.ts";

/** One parsed `--allow`/`--deny` entry: an address range. */
export interface AccessRule {
  /** 4 or 6. */
  family: 4 | 6;
  /** The network address, its host bits cleared (4 or 16 bytes). */
  network: Uint8Array;
  /** How many leading bits must match: 0 to 32 (IPv4) or 128 (IPv6). */
  prefix: number;
  /** The rule in canonical text, such as `10.0.0.0/8` or `::1/128`. */
  text: string;
}

/** Packed bytes of an IP literal, with any IPv6 zone (`%eth0`) dropped. */
function pack(ip: string): { family: 4 | 6; bytes: Uint8Array } | null {
  const bare = ip.replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  if (isIPv4(bare)) return { family: 4, bytes: inet_pton(AF_INET, bare) };
  if (isIPv6(bare)) return { family: 6, bytes: inet_pton(AF_INET6, bare) };
  return null;
}

/** An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) as its IPv4 bytes. */
function unmap(bytes: Uint8Array): Uint8Array | null {
  if (bytes.length !== 16) return null;
  for (let i = 0; i < 10; i++) if (bytes[i] !== 0) return null;
  if (bytes[10] !== 0xff || bytes[11] !== 0xff) return null;
  return bytes.subarray(12);
}

/** An IPv4 address as its IPv4-mapped IPv6 address (`::ffff:a.b.c.d`). */
function mapped(v4: Uint8Array): Uint8Array {
  const bytes = new Uint8Array(16);
  bytes[10] = bytes[11] = 0xff;
  bytes.set(v4, 12);
  return bytes;
}

/** Whether the first `prefix` bits of `a` and `b` agree. */
function samePrefix(a: Uint8Array, b: Uint8Array, prefix: number): boolean {
  const whole = prefix >> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== b[i]) return false;
  const rest = prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[whole] & mask) === (b[whole] & mask);
}

/**
 * Parses one address or CIDR range. Host bits below the prefix are
 * cleared (`10.1.2.3/8` is `10.0.0.0/8`), as firewalls do.
 *
 * @param text `192.0.2.7`, `192.0.2.0/24`, `::1`, `2001:db8::/32`, `[::1]`.
 * @returns The rule.
 * @throws {TypeError} If the text is not an IP address or range; names
 * are refused with a hint.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { parseAccessRule } from "./_access.ts";
 * assert.equal(parseAccessRule("10.1.2.3/8").text, "10.0.0.0/8");
 * assert.equal(parseAccessRule("::1").text, "::1/128");
 * ```
 */
export function parseAccessRule(text: string): AccessRule {
  const trimmed = text.trim();
  const slash = trimmed.lastIndexOf("/");
  const addressText = slash === -1 ? trimmed : trimmed.slice(0, slash);
  const prefixText = slash === -1 ? null : trimmed.slice(slash + 1);
  const packed = pack(addressText);
  if (!packed) {
    const hint =
      /^[a-z0-9.-]+$/i.test(addressText) && /[a-z]/i.test(addressText)
        ? ": give an IP address or range, not a host name (localhost is 127.0.0.1 and ::1)"
        : ": give an IP address such as 192.0.2.7 or a range such as 192.0.2.0/24 or fe80::/10";
    throw new TypeError(
      `not an address or CIDR range ${JSON.stringify(text)}${hint}`,
    );
  }
  const bits = packed.family === 4 ? 32 : 128;
  let prefix = bits;
  if (prefixText !== null) {
    if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) {
      throw new TypeError(
        `bad prefix length in ${
          JSON.stringify(text)
        }: give /0 to /${bits} for IPv${packed.family}`,
      );
    }
    prefix = Number(prefixText);
  }
  const network = new Uint8Array(packed.bytes);
  for (let bit = prefix; bit < bits; bit++) {
    network[bit >> 3] &= ~(0x80 >> (bit & 7));
  }
  const family = packed.family;
  const text_ = `${
    inet_ntop(family === 4 ? AF_INET : AF_INET6, network)
  }/${prefix}`;
  return { family, network, prefix, text: text_ };
}

/**
 * Whether an IP address falls in a rule's range.
 *
 * @param rule A rule from {@linkcode parseAccessRule}.
 * @param ip An IP address, as a peer's address reports it.
 * @returns `true` if it matches; `false` for anything that is not an IP.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { matchesRule, parseAccessRule } from "./_access.ts";
 * const rule = parseAccessRule("192.168.0.0/16");
 * assert.equal(matchesRule(rule, "192.168.4.2"), true);
 * assert.equal(matchesRule(rule, "192.169.0.1"), false);
 * ```
 */
export function matchesRule(rule: AccessRule, ip: string): boolean {
  const packed = pack(ip);
  if (!packed) return false;
  // An IPv4 peer is the same peer whichever listener accepted it: as
  // 192.0.2.1 on an IPv4 listener, as ::ffff:192.0.2.1 on a dual-stack
  // one. Each rule sees it in the rule's own family.
  let bytes: Uint8Array | null = packed.bytes;
  if (rule.family === 4 && packed.family === 6) bytes = unmap(packed.bytes);
  if (rule.family === 6 && packed.family === 4) bytes = mapped(packed.bytes);
  return bytes !== null && samePrefix(bytes, rule.network, rule.prefix);
}

/** The lists of {@linkcode AccessList}. */
export interface AccessListOptions {
  /**
   * Addresses or ranges admitted; empty admits everyone not denied.
   *
   * @default {[]}
   */
  allow?: readonly string[];
  /**
   * Addresses or ranges refused, whatever `allow` says.
   *
   * @default {[]}
   */
  deny?: readonly string[];
}

/**
 * `--allow` and `--deny` together: decides whether a peer may talk to a
 * server. Deny rules win; with allow rules, only addresses matching one
 * are admitted. Peers without an IP address (Unix sockets) are admitted
 * only when there are no rules at all.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AccessList } from "./_access.ts";
 * const onlyV6Loopback = new AccessList({ allow: ["::1"] });
 * assert.equal(onlyV6Loopback.allows("::1"), true);
 * assert.equal(onlyV6Loopback.allows("127.0.0.1"), false);
 * assert.equal(onlyV6Loopback.check("127.0.0.1"), "not in --allow ::1/128");
 * ```
 */
export class AccessList {
  /** The allow rules, parsed. */
  readonly allow: readonly AccessRule[];
  /** The deny rules, parsed. */
  readonly deny: readonly AccessRule[];

  /**
   * Parses the lists.
   *
   * @param options `allow` and `deny`, each entry an address or CIDR range.
   * @throws {TypeError} For an entry that is not an address or range.
   */
  constructor(options: AccessListOptions = {}) {
    this.allow = (options.allow ?? []).map(parseAccessRule);
    this.deny = (options.deny ?? []).map(parseAccessRule);
  }

  /** Whether there are no rules, so everyone is admitted. */
  get empty(): boolean {
    return this.allow.length === 0 && this.deny.length === 0;
  }

  /**
   * Why `ip` is refused, or `null` when it is admitted.
   *
   * @param ip The peer's IP address (or a Unix path, refused when there are rules).
   * @returns `null`, or a short reason such as `"in --deny 10.0.0.0/8"`.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { AccessList } from "./_access.ts";
   * const access = new AccessList({ deny: ["10.0.0.0/8"] });
   * assert.equal(access.check("10.2.3.4"), "in --deny 10.0.0.0/8");
   * assert.equal(access.check("192.0.2.1"), null);
   * ```
   */
  check(ip: string): string | null {
    if (this.empty) return null;
    const denied = this.deny.find((rule) => matchesRule(rule, ip));
    if (denied) return `in --deny ${denied.text}`;
    if (this.allow.length === 0) {
      return pack(ip) ? null : "not an IP address, and --deny is set";
    }
    if (this.allow.some((rule) => matchesRule(rule, ip))) return null;
    return `not in --allow ${this.allow.map((rule) => rule.text).join(",")}`;
  }

  /**
   * Whether `ip` is admitted.
   *
   * @param ip The peer's IP address.
   * @returns `true` when {@linkcode AccessList.check} finds no reason to refuse.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { AccessList } from "./_access.ts";
   * assert.equal(new AccessList().allows("203.0.113.9"), true);
   * ```
   */
  allows(ip: string): boolean {
    return this.check(ip) === null;
  }
}
