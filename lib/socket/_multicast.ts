/**
 * Private: Python's UDP broadcast and multicast socket options on Deno's
 * datagram sockets, under the `Socket` facade.
 *
 * What maps, and how:
 * - `SO_BROADCAST`: Deno's UDP sockets may always broadcast, so the value
 *   is only kept for `getsockopt`.
 * - `IP_ADD_MEMBERSHIP`/`IP_DROP_MEMBERSHIP` and
 *   `IPV6_JOIN_GROUP`/`IPV6_LEAVE_GROUP`: `joinMulticastV4`/`V6` and the
 *   membership's `leave()`, on a bound socket (Deno has no socket before
 *   the bind); the promise of `setsockopt` settles when it is done.
 * - `IP_MULTICAST_LOOP`/`IPV6_MULTICAST_LOOP`: Deno's `loopback` option
 *   when set before the bind (pysocket opens with 1, Python's default; Deno's
 *   own is 0), else the membership's `setLoopback`.
 * - `IP_MULTICAST_TTL`: the membership's `setTTL`. Deno offers TTL and loop
 *   only on a membership, yet they are options of the socket: with no group
 *   joined, pysocket joins `239.255.255.254` on `127.0.0.1` for the moment
 *   it takes to set them, and leaves. A TTL set before the bind is applied
 *   before the first send.
 * - `IP_MULTICAST_IF`, `IPV6_MULTICAST_IF`, `IPV6_MULTICAST_HOPS`: Deno
 *   has no way to set them: `OSError` with `ENOPROTOOPT`, naming the limit.
 *
 * @module
 */

import {
  AF_INET6,
  IP_ADD_MEMBERSHIP,
  IP_DROP_MEMBERSHIP,
  IP_MULTICAST_IF,
  IP_MULTICAST_LOOP,
  IP_MULTICAST_TTL,
  IPPROTO_IP,
  IPPROTO_IPV6,
  IPV6_JOIN_GROUP,
  IPV6_LEAVE_GROUP,
  IPV6_MULTICAST_HOPS,
  IPV6_MULTICAST_IF,
  IPV6_MULTICAST_LOOP,
  SO_BROADCAST,
  SOL_SOCKET,
} from "./constants.ts";
import { inet_ntoa, inet_ntop } from "./address.ts";
import type { OSError } from "./errors.ts";
import { oserror, translateError } from "./_translate.ts";

type Membership = Deno.MulticastV4Membership | Deno.MulticastV6Membership;

/** The group joined for an instant to reach TTL and loop (see the module doc). */
const HANDLE_GROUP = "239.255.255.254";
const HANDLE_IFACE = "127.0.0.1";

/** Whether this machine stores integers little-endian (for `ipv6_mreq`). */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const NAMES: Record<string, string> = {
  [`${IPPROTO_IP}:${IP_MULTICAST_IF}`]: "IP_MULTICAST_IF",
  [`${IPPROTO_IPV6}:${IPV6_MULTICAST_IF}`]: "IPV6_MULTICAST_IF",
  [`${IPPROTO_IPV6}:${IPV6_MULTICAST_HOPS}`]: "IPV6_MULTICAST_HOPS",
};

function bytesOf(value: unknown, name: string): Uint8Array {
  if (!ArrayBuffer.isView(value)) {
    throw new TypeError(
      `setsockopt(${name}): a bytes-like object is required, not ${typeof value}`,
    );
  }
  return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
}

function intOf(value: unknown, name: string): number {
  if (typeof value === "boolean") return value ? 1 : 0;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new TypeError(
      `setsockopt(${name}): an integer is required, got ${String(value)}`,
    );
  }
  return value;
}

/** One socket's broadcast and multicast options, and its group memberships. */
export class MulticastOptions {
  /** `SO_BROADCAST`, as last set. */
  broadcast = 0;
  /** `IP_MULTICAST_TTL`, as last set (Python's default, 1). */
  ttl = 1;
  /** `IP_MULTICAST_LOOP` and `IPV6_MULTICAST_LOOP` (Python's default, 1). */
  loop = 1;
  #ttlPending = false;
  #memberships = new Map<string, Membership>();
  // Deno's calls run one after another, in the order they were made, so
  // two setsockopt calls not awaited in between never race for a
  // membership.
  #queue: Promise<void> = Promise.resolve();

  #inTurn(work: () => Promise<void>): Promise<void> {
    const done = this.#queue.then(work);
    this.#queue = done.catch(() => {});
    return done;
  }

  #join(
    dgram: Deno.DatagramConn,
    group: string,
    iface: string | number,
    name: string,
  ): Promise<void> {
    return this.#inTurn(() => this.#joinNow(dgram, group, iface, name));
  }

  #leave(group: string, iface: string | number, name: string): Promise<void> {
    return this.#inTurn(() => this.#leaveNow(group, iface, name));
  }

  #onMembership(
    dgram: Deno.DatagramConn,
    family: number,
    name: string,
    apply: (membership: Membership) => Promise<void>,
  ): Promise<void> {
    return this.#inTurn(() =>
      this.#onMembershipNow(dgram, family, name, apply)
    );
  }

  /**
   * Whether an option is one of these (on a UDP socket).
   *
   * @param level The option's level.
   * @param option The option.
   * @returns `true` when {@linkcode MulticastOptions.set} takes it.
   */
  static handles(level: number, option: number): boolean {
    if (level === SOL_SOCKET) return option === SO_BROADCAST;
    if (level === IPPROTO_IP) {
      return option === IP_ADD_MEMBERSHIP || option === IP_DROP_MEMBERSHIP ||
        option === IP_MULTICAST_TTL || option === IP_MULTICAST_LOOP ||
        option === IP_MULTICAST_IF;
    }
    if (level === IPPROTO_IPV6) {
      return option === IPV6_JOIN_GROUP || option === IPV6_LEAVE_GROUP ||
        option === IPV6_MULTICAST_LOOP || option === IPV6_MULTICAST_HOPS ||
        option === IPV6_MULTICAST_IF;
    }
    return false;
  }

  /**
   * Reads an option.
   *
   * @param level The option's level.
   * @param option The option.
   * @returns Its value, or `null` when Deno cannot tell it.
   */
  get(level: number, option: number): number | null {
    if (level === SOL_SOCKET && option === SO_BROADCAST) return this.broadcast;
    if (level === IPPROTO_IP && option === IP_MULTICAST_TTL) return this.ttl;
    if (
      (level === IPPROTO_IP && option === IP_MULTICAST_LOOP) ||
      (level === IPPROTO_IPV6 && option === IPV6_MULTICAST_LOOP)
    ) {
      return this.loop;
    }
    return null;
  }

  /**
   * Sets an option. Options Deno applies asynchronously return a promise.
   *
   * @param level The option's level.
   * @param option The option.
   * @param value A number, or the packed request of a membership option.
   * @param dgram The open Deno socket, or `null` before the bind.
   * @param family The socket's family.
   * @returns A promise when Deno works asynchronously.
   */
  set(
    level: number,
    option: number,
    value: unknown,
    dgram: Deno.DatagramConn | null,
    family: number,
  ): void | Promise<void> {
    const unsupported = NAMES[`${level}:${option}`];
    if (unsupported) {
      throw oserror(
        "ENOPROTOOPT",
        `Deno has no way to set ${unsupported}` +
          (unsupported.endsWith("_IF")
            ? "; bind the socket to the interface's address instead"
            : "; the system's default applies"),
      );
    }
    if (level === SOL_SOCKET) {
      this.broadcast = intOf(value, "SO_BROADCAST") ? 1 : 0;
      return;
    }
    if (option === IP_MULTICAST_TTL && level === IPPROTO_IP) {
      let ttl = intOf(value, "IP_MULTICAST_TTL");
      if (ttl === -1) ttl = 1;
      if (ttl < 0 || ttl > 255) {
        throw oserror("EINVAL", "IP_MULTICAST_TTL must be 0-255");
      }
      this.ttl = ttl;
      if (!dgram) {
        this.#ttlPending = true;
        return;
      }
      return this.#onMembership(
        dgram,
        family,
        "IP_MULTICAST_TTL",
        (m) => (m as Deno.MulticastV4Membership).setTTL(ttl),
      );
    }
    if (option === IP_MULTICAST_LOOP || option === IPV6_MULTICAST_LOOP) {
      const name = level === IPPROTO_IP
        ? "IP_MULTICAST_LOOP"
        : "IPV6_MULTICAST_LOOP";
      const loop = intOf(value, name) ? 1 : 0;
      this.loop = loop;
      if (!dgram) return;
      return this.#onMembership(
        dgram,
        family,
        name,
        (m) => m.setLoopback(loop === 1),
      );
    }
    const v6 = level === IPPROTO_IPV6;
    const joining = option === (v6 ? IPV6_JOIN_GROUP : IP_ADD_MEMBERSHIP);
    const name = v6
      ? (joining ? "IPV6_JOIN_GROUP" : "IPV6_LEAVE_GROUP")
      : (joining ? "IP_ADD_MEMBERSHIP" : "IP_DROP_MEMBERSHIP");
    const [group, iface] = v6
      ? this.#ipv6Request(bytesOf(value, name), family, name)
      : this.#ipv4Request(bytesOf(value, name), name);
    if (!dgram) {
      throw oserror(
        "EOPNOTSUPP",
        `cannot ${name} before bind(): Deno joins multicast groups on an open socket; bind() first (to the group's address or the port)`,
      );
    }
    return joining
      ? this.#join(dgram, group, iface, name)
      : this.#leave(group, iface, name);
  }

  /**
   * Called once the Deno socket is open: a TTL set before the bind is
   * applied now, and the returned promise settles when it is.
   *
   * @param dgram The Deno socket just opened.
   * @param family The socket's family.
   * @returns The work left, or `null`.
   */
  opened(dgram: Deno.DatagramConn, family: number): Promise<void> | null {
    if (!this.#ttlPending) return null;
    this.#ttlPending = false;
    const ttl = this.ttl;
    return this.#onMembership(
      dgram,
      family,
      "IP_MULTICAST_TTL",
      (m) => (m as Deno.MulticastV4Membership).setTTL(ttl),
    );
  }

  #ipv4Request(mreq: Uint8Array, name: string): [string, string] {
    // ip_mreq (group, interface) or Linux's ip_mreqn (group, address,
    // index); Python's struct.pack("4sl", group, INADDR_ANY) is the latter.
    if (mreq.length !== 8 && mreq.length !== 12 && mreq.length !== 16) {
      throw oserror(
        "EINVAL",
        `${name} takes ip_mreq: inet_aton(group) followed by inet_aton(interface), 8 bytes; got ${mreq.length}`,
      );
    }
    const group = inet_ntoa(mreq.subarray(0, 4));
    const iface = inet_ntoa(mreq.subarray(4, 8));
    if (mreq.length >= 12) {
      const index = new DataView(mreq.buffer, mreq.byteOffset + 8, 4)
        .getUint32(0, LITTLE_ENDIAN);
      if (index !== 0) {
        throw oserror(
          "EOPNOTSUPP",
          `${name}: Deno joins groups by the interface's address, not its index (${index}); give inet_aton(group) followed by inet_aton(interface address)`,
        );
      }
    }
    return [group, iface];
  }

  #ipv6Request(
    mreq: Uint8Array,
    family: number,
    name: string,
  ): [string, number] {
    if (family !== AF_INET6) {
      throw oserror(
        "ENOPROTOOPT",
        `${name} is an IPv6 option and this socket is AF_INET; use IP_ADD_MEMBERSHIP, or an AF_INET6 socket`,
      );
    }
    if (mreq.length !== 20) {
      throw oserror(
        "EINVAL",
        `${name} takes ipv6_mreq: inet_pton(AF_INET6, group) followed by the interface index as 4 bytes, 20 bytes; got ${mreq.length}`,
      );
    }
    const index = new DataView(mreq.buffer, mreq.byteOffset + 16, 4)
      .getUint32(0, LITTLE_ENDIAN);
    return [inet_ntop(AF_INET6, mreq.slice(0, 16)), index];
  }

  async #joinNow(
    dgram: Deno.DatagramConn,
    group: string,
    iface: string | number,
    name: string,
  ): Promise<void> {
    const key = `${group}|${iface}`;
    try {
      const membership = typeof iface === "number"
        ? await dgram.joinMulticastV6(group, iface)
        : await dgram.joinMulticastV4(group, iface);
      this.#memberships.set(key, membership);
    } catch (err) {
      throw this.#fail(err, `cannot ${name} ${group} on ${iface}`);
    }
  }

  async #leaveNow(
    group: string,
    iface: string | number,
    name: string,
  ): Promise<void> {
    const key = `${group}|${iface}`;
    const membership = this.#memberships.get(key);
    if (!membership) {
      throw oserror(
        "EADDRNOTAVAIL",
        `cannot ${name} ${group} on ${iface}: the socket has not joined it`,
      );
    }
    this.#memberships.delete(key);
    try {
      await membership.leave();
    } catch (err) {
      throw this.#fail(err, `cannot ${name} ${group} on ${iface}`);
    }
  }

  /**
   * Runs `apply` on a membership of the socket: one it has, or one made for
   * the moment (see the module doc).
   */
  async #onMembershipNow(
    dgram: Deno.DatagramConn,
    family: number,
    name: string,
    apply: (membership: Membership) => Promise<void>,
  ): Promise<void> {
    const v4 = (m: Membership) => "setTTL" in m;
    const wantV4 = name === "IP_MULTICAST_TTL" || name === "IP_MULTICAST_LOOP";
    for (const membership of this.#memberships.values()) {
      if (v4(membership) === wantV4) {
        try {
          return await apply(membership);
        } catch (err) {
          throw this.#fail(err, `cannot set ${name}`);
        }
      }
    }
    if (!wantV4 && family === AF_INET6) {
      throw oserror(
        "ENOPROTOOPT",
        `Deno sets ${name} only through a group membership: join a group first (IPV6_JOIN_GROUP), or set it before bind()`,
      );
    }
    let temporary: Membership;
    try {
      temporary = await dgram.joinMulticastV4(HANDLE_GROUP, HANDLE_IFACE);
    } catch (err) {
      throw this.#fail(
        err,
        `cannot set ${name}: Deno sets it only through a group membership, and joining ${HANDLE_GROUP} on ${HANDLE_IFACE} for it failed; join a group first (IP_ADD_MEMBERSHIP)`,
      );
    }
    try {
      await apply(temporary);
    } catch (err) {
      throw this.#fail(err, `cannot set ${name}`);
    } finally {
      await temporary.leave().catch(() => {});
    }
  }

  #fail(err: unknown, detail: string): OSError {
    return translateError(err, detail);
  }
}
