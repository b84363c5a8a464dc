/**
 * Socket constants and the `errno` table, with the values Python's `socket`
 * and `errno` modules report on the host operating system.
 *
 * Python exposes the C library's numbers, and those differ between systems:
 * `ECONNREFUSED` is 111 on Linux, 61 on macOS and 10061 on Windows, and
 * `AF_INET6` is 10, 30 and 23. The values here are chosen once, at import,
 * from `Deno.build.os` (which needs no permission).
 *
 * @module
 */

type Os = "linux" | "darwin" | "windows";

/** The operating system family whose numbers this module reports. */
function hostFamily(): Os {
  const os = Deno.build.os;
  if (os === "windows") return "windows";
  if (os === "linux" || os === "android") return "linux";
  // macOS and the BSDs share the 4.4BSD numbering for everything used here.
  return "darwin";
}

const HOST: Os = hostFamily();

/** Picks the value for the host from a `[linux, darwin, windows]` triple. */
function pick(linux: number, darwin: number, windows: number): number {
  return HOST === "linux" ? linux : HOST === "darwin" ? darwin : windows;
}

/**
 * IPv4 address family: addresses are `[host, port]`.
 *
 * @example Create an IPv4 TCP socket
 * ```ts
 * import assert from "node:assert/strict";
 * import { AF_INET, SOCK_STREAM, socket } from "@pysocket/pysocket";
 * using sock = socket(AF_INET, SOCK_STREAM);
 * assert.equal(sock.family, AF_INET);
 * ```
 */
export const AF_INET = 2;
/**
 * IPv6 address family: addresses are `[host, port, flowinfo, scope_id]`.
 * The number is the host's (10 on Linux, 30 on macOS, 23 on Windows).
 *
 * @example Create an IPv6 TCP socket
 * ```ts
 * import assert from "node:assert/strict";
 * import { AF_INET6, SOCK_STREAM, socket } from "@pysocket/pysocket";
 * using sock = socket(AF_INET6, SOCK_STREAM);
 * assert.equal(sock.family, AF_INET6);
 * ```
 */
export const AF_INET6: number = pick(10, 30, 23);
/**
 * Unix domain socket family: addresses are file system paths.
 *
 * @example Create a Unix stream socket
 * ```ts
 * import assert from "node:assert/strict";
 * import { AF_UNIX, SOCK_STREAM, socket } from "@pysocket/pysocket";
 * using sock = socket(AF_UNIX, SOCK_STREAM);
 * assert.equal(sock.family, AF_UNIX);
 * ```
 */
export const AF_UNIX = 1;
/**
 * Unspecified family, used by {@linkcode getaddrinfo} to ask for any.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AF_UNSPEC } from "@pysocket/pysocket";
 * assert.equal(AF_UNSPEC, 0);
 * ```
 */
export const AF_UNSPEC = 0;

/**
 * Stream socket type (TCP for IP families).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SOCK_STREAM, socket } from "@pysocket/pysocket";
 * using sock = socket(undefined, SOCK_STREAM);
 * assert.equal(sock.type, SOCK_STREAM);
 * ```
 */
export const SOCK_STREAM = 1;
/**
 * Datagram socket type (UDP for IP families).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AF_INET, SOCK_DGRAM, socket } from "@pysocket/pysocket";
 * using sock = socket(AF_INET, SOCK_DGRAM);
 * assert.equal(sock.type, SOCK_DGRAM);
 * ```
 */
export const SOCK_DGRAM = 2;
/**
 * Raw socket type. Exported for completeness: Deno cannot open raw sockets,
 * so creating one throws an {@linkcode OSError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AF_INET, OSError, SOCK_RAW, socket } from "@pysocket/pysocket";
 * assert.equal(SOCK_RAW, 3);
 * assert.throws(() => socket(AF_INET, SOCK_RAW), OSError);
 * ```
 */
export const SOCK_RAW = 3;
/**
 * Reliably-delivered message socket type. Deno has none; creating one throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AF_INET, OSError, SOCK_RDM, socket } from "@pysocket/pysocket";
 * assert.equal(SOCK_RDM, 4);
 * assert.throws(() => socket(AF_INET, SOCK_RDM), OSError);
 * ```
 */
export const SOCK_RDM = 4;
/**
 * Sequenced packet socket type. Deno has none; creating one throws.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { AF_INET, OSError, SOCK_SEQPACKET, socket } from "@pysocket/pysocket";
 * assert.equal(SOCK_SEQPACKET, 5);
 * assert.throws(() => socket(AF_INET, SOCK_SEQPACKET), OSError);
 * ```
 */
export const SOCK_SEQPACKET = 5;

/**
 * `shutdown()` mode: no more receiving.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SHUT_RD } from "@pysocket/pysocket";
 * assert.equal(SHUT_RD, 0);
 * ```
 */
export const SHUT_RD = 0;
/**
 * `shutdown()` mode: no more sending (the peer reads end of stream).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SHUT_WR } from "@pysocket/pysocket";
 * assert.equal(SHUT_WR, 1);
 * ```
 */
export const SHUT_WR = 1;
/**
 * `shutdown()` mode: neither sending nor receiving.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SHUT_RDWR } from "@pysocket/pysocket";
 * assert.equal(SHUT_RDWR, 2);
 * ```
 */
export const SHUT_RDWR = 2;

/**
 * Option level for socket-wide options (1 on Linux, 0xffff elsewhere).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SO_KEEPALIVE, SOL_SOCKET, socket } from "@pysocket/pysocket";
 * using sock = socket();
 * assert.equal(sock.getsockopt(SOL_SOCKET, SO_KEEPALIVE), 0);
 * ```
 */
export const SOL_SOCKET: number = pick(1, 0xffff, 0xffff);
/**
 * Socket option: send TCP keep-alive probes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SO_KEEPALIVE, SOL_SOCKET, socket } from "@pysocket/pysocket";
 * using sock = socket();
 * sock.setsockopt(SOL_SOCKET, SO_KEEPALIVE, 1);
 * assert.equal(sock.getsockopt(SOL_SOCKET, SO_KEEPALIVE), 1);
 * ```
 */
export const SO_KEEPALIVE: number = pick(9, 8, 8);
/**
 * Socket option: allow reuse of a local address. Deno sets it on every TCP
 * listener outside Windows, so reading it reports that.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SO_REUSEADDR, SOL_SOCKET, socket } from "@pysocket/pysocket";
 * using sock = socket();
 * sock.setsockopt(SOL_SOCKET, SO_REUSEADDR, 1);
 * assert.equal(sock.getsockopt(SOL_SOCKET, SO_REUSEADDR), 1);
 * ```
 */
export const SO_REUSEADDR: number = pick(2, 4, 4);
/**
 * Protocol number of TCP, also the option level of {@linkcode TCP_NODELAY}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IPPROTO_TCP } from "@pysocket/pysocket";
 * assert.equal(IPPROTO_TCP, 6);
 * ```
 */
export const IPPROTO_TCP = 6;
/**
 * Protocol number of UDP.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IPPROTO_UDP } from "@pysocket/pysocket";
 * assert.equal(IPPROTO_UDP, 17);
 * ```
 */
export const IPPROTO_UDP = 17;

/**
 * Socket option: allow sending to broadcast addresses (UDP). Deno's UDP
 * sockets may always broadcast, so setting it changes nothing there; it is
 * kept for `getsockopt`, and ported programs set it as in Python.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SO_BROADCAST, SOCK_DGRAM, SOL_SOCKET, socket, AF_INET } from "@pysocket/pysocket";
 * using sock = socket(AF_INET, SOCK_DGRAM);
 * sock.setsockopt(SOL_SOCKET, SO_BROADCAST, 1);
 * assert.equal(sock.getsockopt(SOL_SOCKET, SO_BROADCAST), 1);
 * ```
 */
export const SO_BROADCAST: number = pick(6, 0x20, 0x20);
/** Option level of the IPv4 options (`IP_ADD_MEMBERSHIP`...). */
export const IPPROTO_IP = 0;
/** Option level of the IPv6 options (`IPV6_JOIN_GROUP`...). */
export const IPPROTO_IPV6 = 41;
/** The IPv4 any-address as a number, as in `struct.pack("4sl", group, INADDR_ANY)`. */
export const INADDR_ANY = 0;
/**
 * IPv4 option: the outgoing interface of multicast. Deno cannot set it:
 * `setsockopt` throws `OSError` (`ENOPROTOOPT`); bind the sending socket to
 * the interface's address instead.
 */
export const IP_MULTICAST_IF: number = pick(32, 9, 9);
/** IPv4 option: the time-to-live of sent multicast (0-255; Python's default 1). */
export const IP_MULTICAST_TTL: number = pick(33, 10, 10);
/** IPv4 option: whether this host hears its own multicast (default 1, as in Python). */
export const IP_MULTICAST_LOOP: number = pick(34, 11, 11);
/**
 * IPv4 option: join a multicast group. The value is `ip_mreq`: the group's
 * packed address then the interface's (`inet_aton(group)` followed by
 * `inet_aton(iface)`); `setsockopt` returns a promise for it.
 *
 * @example Join a group on loopback and hear a datagram sent to it (Linux)
 * ```ts
 * import assert from "node:assert/strict";
 * import { AF_INET, inet_aton, IP_ADD_MEMBERSHIP, IPPROTO_IP, SOCK_DGRAM, socket } from "@pysocket/pysocket";
 * if (Deno.build.os === "linux") {
 *   const group = "239.255.7.7";
 *   using receiver = socket(AF_INET, SOCK_DGRAM);
 *   receiver.bind([group, 0]);
 *   await receiver.setsockopt(IPPROTO_IP, IP_ADD_MEMBERSHIP, new Uint8Array([...inet_aton(group), ...inet_aton("127.0.0.1")]));
 *   using sender = socket(AF_INET, SOCK_DGRAM);
 *   sender.bind(["127.0.0.1", 0]);
 *   await sender.sendto(new Uint8Array([42]), receiver.getsockname());
 *   const [data] = await receiver.recvfrom(16);
 *   assert.deepEqual([...data], [42]);
 * }
 * ```
 */
export const IP_ADD_MEMBERSHIP: number = pick(35, 12, 12);
/** IPv4 option: leave a multicast group (the same `ip_mreq` as joining). */
export const IP_DROP_MEMBERSHIP: number = pick(36, 13, 13);
/**
 * IPv6 option: join a multicast group. The value is `ipv6_mreq`: the
 * group's 16 packed bytes then the interface index as a 4-byte unsigned
 * integer in the machine's byte order (`struct.pack("@I", index)`).
 */
export const IPV6_JOIN_GROUP: number = pick(20, 12, 12);
/** IPv6 option: leave a multicast group (the same `ipv6_mreq` as joining). */
export const IPV6_LEAVE_GROUP: number = pick(21, 13, 13);
/** IPv6 option: the outgoing interface of multicast. Deno cannot set it (`ENOPROTOOPT`). */
export const IPV6_MULTICAST_IF: number = pick(17, 9, 9);
/** IPv6 option: the hop limit of sent multicast. Deno cannot set it (`ENOPROTOOPT`). */
export const IPV6_MULTICAST_HOPS: number = pick(18, 10, 10);
/** IPv6 option: whether this host hears its own multicast (default 1). */
export const IPV6_MULTICAST_LOOP: number = pick(19, 11, 11);
/**
 * TCP option: send small writes at once (disable Nagle's algorithm). Deno
 * turns it on for every TCP connection, so it reads as 1 until changed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { IPPROTO_TCP, socket, TCP_NODELAY } from "@pysocket/pysocket";
 * using sock = socket();
 * assert.equal(sock.getsockopt(IPPROTO_TCP, TCP_NODELAY), 1); // Deno's default
 * sock.setsockopt(IPPROTO_TCP, TCP_NODELAY, 0);
 * assert.equal(sock.getsockopt(IPPROTO_TCP, TCP_NODELAY), 0);
 * ```
 */
export const TCP_NODELAY = 1;
/**
 * The `recv`/`recvfrom` flag that returns bytes without taking them: the
 * next call returns them again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MSG_PEEK, socket } from "@pysocket/pysocket";
 * using server = socket();
 * server.bind(["127.0.0.1", 0]);
 * server.listen();
 * using client = socket();
 * await client.connect(server.getsockname());
 * using conn = (await server.accept())[0];
 * await conn.sendall(new Uint8Array([1, 2, 3]));
 * assert.deepEqual(await client.recv(2, MSG_PEEK), new Uint8Array([1, 2]));
 * assert.deepEqual(await client.recv(3), new Uint8Array([1, 2, 3]));
 * ```
 */
export const MSG_PEEK = 2;
/**
 * The default `listen()` backlog, as Python reports it on the host.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { SOMAXCONN } from "@pysocket/pysocket";
 * assert.ok(SOMAXCONN > 0);
 * ```
 */
export const SOMAXCONN: number = pick(4096, 128, 0x7fffffff);
/**
 * `recv` flag for out-of-band data. Deno has no out-of-band data: passing
 * it throws `OSError` (`EOPNOTSUPP`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MSG_OOB } from "@pysocket/pysocket";
 * assert.equal(MSG_OOB, 1);
 * ```
 */
export const MSG_OOB = 1;
/**
 * `send` flag to bypass routing. Deno has no such option: passing it
 * throws `OSError` (`EOPNOTSUPP`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MSG_DONTROUTE } from "@pysocket/pysocket";
 * assert.equal(MSG_DONTROUTE, 4);
 * ```
 */
export const MSG_DONTROUTE = 4;
/**
 * `recv` flag to wait for all `bufsize` bytes (or the end of the stream);
 * with a timeout, what arrived when it passes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { MSG_WAITALL } from "@pysocket/pysocket";
 * assert.ok(MSG_WAITALL > 0);
 * ```
 */
export const MSG_WAITALL: number = pick(0x100, 0x40, 0x8);

// [linux, darwin, windows] for each name, as Python's errno module has them.
const ERRNO_TABLE: Record<string, [number, number, number]> = {
  EPERM: [1, 1, 1],
  ENOENT: [2, 2, 2],
  EINTR: [4, 4, 4],
  EBADF: [9, 9, 9],
  EAGAIN: [11, 35, 11],
  EACCES: [13, 13, 13],
  EEXIST: [17, 17, 17],
  ENOTDIR: [20, 20, 20],
  EISDIR: [21, 21, 21],
  EINVAL: [22, 22, 22],
  ENFILE: [23, 23, 23],
  EMFILE: [24, 24, 10024],
  EPIPE: [32, 32, 32],
  EWOULDBLOCK: [11, 35, 10035],
  EINPROGRESS: [115, 36, 10036],
  EALREADY: [114, 37, 10037],
  ENOTSOCK: [88, 38, 10038],
  EDESTADDRREQ: [89, 39, 10039],
  EMSGSIZE: [90, 40, 10040],
  EPROTOTYPE: [91, 41, 10041],
  ENOPROTOOPT: [92, 42, 10042],
  EPROTONOSUPPORT: [93, 43, 10043],
  ESOCKTNOSUPPORT: [94, 44, 10044],
  // Before EOPNOTSUPP: Linux gives both 95, and Python names 95 ENOTSUP.
  ENOTSUP: [95, 45, 129],
  EOPNOTSUPP: [95, 102, 10045],
  EAFNOSUPPORT: [97, 47, 10047],
  EADDRINUSE: [98, 48, 10048],
  EADDRNOTAVAIL: [99, 49, 10049],
  ENETDOWN: [100, 50, 10050],
  ENETUNREACH: [101, 51, 10051],
  ECONNABORTED: [103, 53, 10053],
  ECONNRESET: [104, 54, 10054],
  ENOBUFS: [105, 55, 10055],
  EISCONN: [106, 56, 10056],
  ENOTCONN: [107, 57, 10057],
  ESHUTDOWN: [108, 58, 10058],
  ETIMEDOUT: [110, 60, 10060],
  ENAMETOOLONG: [36, 63, 10063],
  ECONNREFUSED: [111, 61, 10061],
  EHOSTUNREACH: [113, 65, 10065],
};

/** The names of the error numbers in {@linkcode errno}. */
export type ErrnoName =
  | "EPERM"
  | "ENOENT"
  | "EINTR"
  | "EBADF"
  | "EAGAIN"
  | "EACCES"
  | "EEXIST"
  | "ENOTDIR"
  | "EISDIR"
  | "EINVAL"
  | "ENFILE"
  | "EMFILE"
  | "EPIPE"
  | "EWOULDBLOCK"
  | "EINPROGRESS"
  | "EALREADY"
  | "ENOTSOCK"
  | "EDESTADDRREQ"
  | "EMSGSIZE"
  | "EPROTOTYPE"
  | "ENOPROTOOPT"
  | "EPROTONOSUPPORT"
  | "ESOCKTNOSUPPORT"
  | "ENOTSUP"
  | "EOPNOTSUPP"
  | "EAFNOSUPPORT"
  | "EADDRINUSE"
  | "EADDRNOTAVAIL"
  | "ENETDOWN"
  | "ENETUNREACH"
  | "ECONNABORTED"
  | "ECONNRESET"
  | "ENOBUFS"
  | "EISCONN"
  | "ENOTCONN"
  | "ESHUTDOWN"
  | "ETIMEDOUT"
  | "ENAMETOOLONG"
  | "ECONNREFUSED"
  | "EHOSTUNREACH";

/**
 * Error numbers as Python's `errno` module reports them on the host OS.
 *
 * @example Compare the result of `connect_ex`
 * ```ts
 * import assert from "node:assert/strict";
 * import { errno, socket } from "@pysocket/pysocket";
 * using sock = socket();
 * // Port 1 on loopback has no listener on a normal machine.
 * assert.equal(await sock.connect_ex(["127.0.0.1", 1]), errno.ECONNREFUSED);
 * ```
 */
export const errno: Readonly<Record<ErrnoName, number>> = Object.freeze(
  Object.fromEntries(
    Object.entries(ERRNO_TABLE).map((
      [name, values],
    ) => [name, pick(...values)]),
  ) as Record<ErrnoName, number>,
);

/**
 * Maps an error number back to its name, like Python's `errno.errorcode`.
 * Where two names share a number (`EAGAIN` and `EWOULDBLOCK` off Windows),
 * the first listed wins, as in Python.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errno, errorcode } from "@pysocket/pysocket";
 * assert.equal(errorcode[errno.ECONNRESET], "ECONNRESET");
 * ```
 */
export const errorcode: Readonly<Record<number, ErrnoName>> = Object.freeze(
  Object.fromEntries(
    Object.entries(errno).reverse().map(([name, value]) => [value, name]),
  ) as Record<number, ErrnoName>,
);

const STRERROR: Record<ErrnoName, string> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  EINTR: "Interrupted system call",
  EBADF: "Bad file descriptor",
  EAGAIN: "Resource temporarily unavailable",
  EACCES: "Permission denied",
  EEXIST: "File exists",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EINVAL: "Invalid argument",
  ENFILE: "Too many open files in system",
  EMFILE: "Too many open files",
  EPIPE: "Broken pipe",
  EWOULDBLOCK: "Resource temporarily unavailable",
  EINPROGRESS: "Operation now in progress",
  EALREADY: "Operation already in progress",
  ENOTSOCK: "Socket operation on non-socket",
  EDESTADDRREQ: "Destination address required",
  EMSGSIZE: "Message too long",
  EPROTOTYPE: "Protocol wrong type for socket",
  ENOPROTOOPT: "Protocol not available",
  EPROTONOSUPPORT: "Protocol not supported",
  ESOCKTNOSUPPORT: "Socket type not supported",
  ENOTSUP: "Operation not supported",
  EOPNOTSUPP: "Operation not supported",
  EAFNOSUPPORT: "Address family not supported by protocol",
  EADDRINUSE: "Address already in use",
  EADDRNOTAVAIL: "Cannot assign requested address",
  ENETDOWN: "Network is down",
  ENETUNREACH: "Network is unreachable",
  ECONNABORTED: "Software caused connection abort",
  ECONNRESET: "Connection reset by peer",
  ENOBUFS: "No buffer space available",
  EISCONN: "Transport endpoint is already connected",
  ENOTCONN: "Transport endpoint is not connected",
  ESHUTDOWN: "Cannot send after transport endpoint shutdown",
  ETIMEDOUT: "Connection timed out",
  ENAMETOOLONG: "File name too long",
  ECONNREFUSED: "Connection refused",
  EHOSTUNREACH: "No route to host",
};

/**
 * The text for an error name, as C's `strerror` gives it on Linux.
 *
 * @param name An error name such as `"ECONNREFUSED"`.
 * @returns A short description such as `"Connection refused"`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { strerror } from "@pysocket/pysocket";
 * assert.equal(strerror("ECONNRESET"), "Connection reset by peer");
 * ```
 */
export function strerror(name: ErrnoName): string {
  return STRERROR[name];
}
