/**
 * Connecting through a proxy, `--proxy HOST:PORT --proxy-type
 * socks5|http`: one function, {@linkcode connectThroughProxy}, for
 * `tcp-client` and for any program that reaches targets (a relay).
 *
 * - SOCKS5 (RFC 1928): no authentication, or a user name and password
 *   (RFC 1929) taken from the environment variable
 *   {@linkcode PROXY_AUTH_ENV} (`user:pass`), never from the command
 *   line, where other users of the machine could read it. A target name
 *   is sent as a name: the proxy resolves it.
 * - HTTP `CONNECT` (RFC 9110): the same variable, when set, is sent as
 *   `Proxy-Authorization: Basic`.
 *
 * Every reply is read to its exact length (the HTTP one byte by byte up
 * to its blank line, at most {@linkcode MAX_HTTP_REPLY} bytes), so the
 * first bytes of the tunnel are never eaten. A proxy that says no, or
 * speaks something else, is a {@linkcode ProxyError} with one line that
 * says why.
 *
 * @module
 */

import { SOCK_STREAM } from "../socket/constants.ts";
import { create_connection } from "../socket/create_connection.ts";
import { OSError, TimeoutError } from "../socket/errors.ts";
import { formatHostPort, isIPv4, isIPv6 } from "../socket/_address.ts";
import type { Socket } from "../socket/socket.ts";

/** The proxy protocols. */
export type ProxyType = "socks5" | "http";

/** The environment variable that holds the proxy's `user:password`. */
export const PROXY_AUTH_ENV = "PYSOCKET_PROXY_AUTH";

/** The longest HTTP `CONNECT` reply header read, in bytes. */
export const MAX_HTTP_REPLY = 16384;

/** A user name and password for the proxy. */
export interface ProxyAuth {
  /** The user name. */
  username: string;
  /** The password. */
  password: string;
}

/** A host and port. */
export interface HostPort {
  /** An address or a name. */
  host: string;
  /** The port. */
  port: number;
}

/** Options of {@linkcode connectThroughProxy}. */
export interface ProxyOptions {
  /** The proxy's address. */
  proxy: HostPort;
  /** Its protocol. */
  type: ProxyType;
  /** Where the proxy should connect; a name is resolved by the proxy. */
  target: HostPort;
  /**
   * Credentials; see {@linkcode proxyAuthFromEnv}.
   *
   * @default {null}
   */
  auth?: ProxyAuth | null;
  /**
   * Seconds for reaching the proxy and for its answers; `null` waits
   * forever.
   *
   * @default {null}
   */
  timeout?: number | null;
}

/** A proxy that could not be reached, said no, or spoke something else. */
export class ProxyError extends Error {
  /**
   * Creates the error.
   *
   * @param message One line: what went wrong and how to fix it.
   * @param options The cause, if any.
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProxyError";
  }
}

/**
 * The credentials in {@linkcode PROXY_AUTH_ENV} (`user:password`, the
 * password may hold colons), or `null` when it is unset, empty, or Deno
 * may not read it (no `--allow-env=PYSOCKET_PROXY_AUTH`).
 *
 * @returns The credentials.
 * @throws {ProxyError} If the value has no colon, or a part is over 255 bytes.
 */
export function proxyAuthFromEnv(): ProxyAuth | null {
  let value: string | undefined;
  try {
    const state = Deno.permissions.querySync({
      name: "env",
      variable: PROXY_AUTH_ENV,
    }).state;
    if (state !== "granted") return null;
    value = Deno.env.get(PROXY_AUTH_ENV);
  } catch {
    return null;
  }
  if (!value) return null;
  const colon = value.indexOf(":");
  if (colon < 0) {
    throw new ProxyError(
      `${PROXY_AUTH_ENV} must be user:password (it has no colon)`,
    );
  }
  const auth = {
    username: value.slice(0, colon),
    password: value.slice(colon + 1),
  };
  const encoder = new TextEncoder();
  if (
    encoder.encode(auth.username).length > 255 ||
    encoder.encode(auth.password).length > 255
  ) {
    throw new ProxyError(
      `${PROXY_AUTH_ENV}: user name and password are 255 bytes at most each`,
    );
  }
  return auth;
}

/** The one-line hint for a proxy that wants credentials it did not get. */
function authHint(auth: ProxyAuth | null): string {
  return auth
    ? `check the user name and password in ${PROXY_AUTH_ENV}`
    : `set ${PROXY_AUTH_ENV}=user:password and let deno read it with --allow-env=${PROXY_AUTH_ENV}`;
}

/**
 * Connects to `target` through a proxy: reaches the proxy, asks it for the
 * target, and returns the socket once the proxy has connected, ready for
 * the target's bytes (TLS with the target can be started on it).
 *
 * Requires `allow-net` permission for the proxy's address (not the
 * target's), and `allow-env` for {@linkcode PROXY_AUTH_ENV} when credentials
 * are read from it.
 *
 * @tags allow-net
 * @param options The proxy, its type, the target, credentials and timeout.
 * @returns The connected socket, blocking (no timeout).
 * @throws {ProxyError} If the proxy cannot be reached or refuses; its
 * `cause` holds the socket error, if one.
 *
 * @example Through a SOCKS5 proxy that nothing runs: a one-line error
 * ```ts
 * import assert from "node:assert/strict";
 * import { connectThroughProxy, ProxyError } from "./_proxy.ts";
 * import { create_server } from "../../mod.ts";
 *
 * const probe = create_server(["127.0.0.1", 0]);
 * const [, port] = probe.getsockname() as [string, number];
 * probe.close(); // Now nothing listens there.
 * await assert.rejects(
 *   connectThroughProxy({
 *     proxy: { host: "127.0.0.1", port },
 *     type: "socks5",
 *     target: { host: "localhost", port: 80 },
 *   }),
 *   (err) => err instanceof ProxyError && /connection refused/.test(err.message),
 * );
 * ```
 */
export async function connectThroughProxy(
  options: ProxyOptions,
): Promise<Socket> {
  const { proxy, type, target, auth = null, timeout = null } = options;
  const at = formatHostPort(proxy.host, proxy.port);
  let sock: Socket;
  try {
    sock = await create_connection([proxy.host, proxy.port], timeout);
  } catch (err) {
    throw new ProxyError(
      `cannot reach the proxy at ${at}: ${reason(err)} (check --proxy)`,
      { cause: err },
    );
  }
  try {
    if (sock.type !== SOCK_STREAM) throw new TypeError("unreachable");
    sock.settimeout(timeout);
    if (type === "socks5") await socks5(sock, target, auth, at);
    else await httpConnect(sock, target, auth, at);
    sock.settimeout(null);
    return sock;
  } catch (err) {
    sock.close();
    if (err instanceof ProxyError) throw err;
    throw new ProxyError(
      `the proxy at ${at} ${
        err instanceof TimeoutError
          ? `did not answer within ${timeout} s`
          : `failed: ${reason(err)}`
      }`,
      { cause: err },
    );
  }
}

function reason(err: unknown): string {
  if (err instanceof OSError && err.strerror) {
    return err.strerror.toLowerCase();
  }
  return err instanceof Error ? err.message : String(err);
}

/** Reads exactly `n` bytes, or fails naming the proxy. */
async function readExactly(
  sock: Socket,
  n: number,
  at: string,
): Promise<Uint8Array> {
  const data = new Uint8Array(n);
  for (let got = 0; got < n;) {
    const chunk = await sock.recv(n - got);
    if (chunk.length === 0) {
      throw new ProxyError(`the proxy at ${at} closed the connection`);
    }
    data.set(chunk, got);
    got += chunk.length;
  }
  return data;
}

/** SOCKS5 replies, by code (RFC 1928, section 6). */
const SOCKS_REPLIES: Record<number, string> = {
  1: "general failure",
  2: "connection not allowed by its rules",
  3: "network unreachable",
  4: "host unreachable",
  5: "connection refused by the target",
  6: "TTL expired",
  7: "command not supported",
  8: "address type not supported",
};

/** The SOCKS5 exchange: greeting, credentials if asked, CONNECT. */
async function socks5(
  sock: Socket,
  target: HostPort,
  auth: ProxyAuth | null,
  at: string,
): Promise<void> {
  const encoder = new TextEncoder();
  await sock.sendall(
    auth ? Uint8Array.of(5, 2, 0, 2) : Uint8Array.of(5, 1, 0),
  );
  const [version, method] = await readExactly(sock, 2, at);
  if (version !== 5) {
    throw new ProxyError(
      `the proxy at ${at} does not speak SOCKS5 (check --proxy-type)`,
    );
  }
  if (method === 0xff) {
    throw new ProxyError(
      `the SOCKS5 proxy at ${at} accepts none of our login methods: ${
        authHint(auth)
      }`,
    );
  }
  if (method === 2) {
    if (!auth) {
      throw new ProxyError(
        `the SOCKS5 proxy at ${at} wants a user name and password: ${
          authHint(null)
        }`,
      );
    }
    const user = encoder.encode(auth.username);
    const pass = encoder.encode(auth.password);
    await sock.sendall(
      Uint8Array.of(1, user.length, ...user, pass.length, ...pass),
    );
    const [, status] = await readExactly(sock, 2, at);
    if (status !== 0) {
      throw new ProxyError(
        `the SOCKS5 proxy at ${at} refused the login: ${authHint(auth)}`,
      );
    }
  } else if (method !== 0) {
    throw new ProxyError(
      `the SOCKS5 proxy at ${at} chose a login method we did not offer (${method})`,
    );
  }
  const host = target.host.replace(/^\[(.*)\]$/, "$1");
  let address: number[];
  if (isIPv4(host)) address = [1, ...host.split(".").map(Number)];
  else if (isIPv6(host)) address = [4, ...ipv6Bytes(host)];
  else {
    const name = encoder.encode(host);
    if (name.length > 255) {
      throw new ProxyError(`the host name is too long for SOCKS5: ${host}`);
    }
    address = [3, name.length, ...name];
  }
  await sock.sendall(
    Uint8Array.of(
      5,
      1,
      0,
      ...address,
      target.port >> 8,
      target.port & 0xff,
    ),
  );
  const head = await readExactly(sock, 4, at);
  if (head[0] !== 5) {
    throw new ProxyError(`the proxy at ${at} answered something not SOCKS5`);
  }
  if (head[1] !== 0) {
    throw new ProxyError(
      `the SOCKS5 proxy at ${at} could not connect to ${
        formatHostPort(host, target.port)
      }: ${SOCKS_REPLIES[head[1]] ?? `reply ${head[1]}`}`,
    );
  }
  // The address the proxy bound: skip it, and its port.
  const atyp = head[3];
  const length = atyp === 1
    ? 4
    : atyp === 4
    ? 16
    : atyp === 3
    ? (await readExactly(sock, 1, at))[0]
    : -1;
  if (length < 0) {
    throw new ProxyError(`the proxy at ${at} answered an unknown address type`);
  }
  await readExactly(sock, length + 2, at);
}

/** The 16 bytes of an IPv6 address in text. */
function ipv6Bytes(host: string): number[] {
  const [head, tail = ""] = host.split("::");
  const groups = (part: string) => {
    if (part === "") return [];
    const items = part.split(":");
    const last = items.at(-1)!;
    if (last.includes(".")) {
      const [a, b, c, d] = last.split(".").map(Number);
      items.splice(
        -1,
        1,
        ((a << 8) | b).toString(16),
        ((c << 8) | d).toString(16),
      );
    }
    return items.map((item) => parseInt(item, 16));
  };
  const first = groups(head);
  const last = host.includes("::") ? groups(tail) : [];
  const all = [
    ...first,
    ...new Array(8 - first.length - last.length).fill(0),
    ...last,
  ];
  return all.flatMap((group) => [group >> 8, group & 0xff]);
}

/** The HTTP CONNECT exchange. */
async function httpConnect(
  sock: Socket,
  target: HostPort,
  auth: ProxyAuth | null,
  at: string,
): Promise<void> {
  const authority = formatHostPort(
    target.host.replace(/^\[(.*)\]$/, "$1"),
    target.port,
  );
  if (/\s/.test(authority) || hasControl(authority)) {
    throw new ProxyError(
      `the target ${
        JSON.stringify(authority)
      } has spaces or control characters`,
    );
  }
  let request = `CONNECT ${authority} HTTP/1.1\r\nHost: ${authority}\r\n`;
  if (auth) {
    const basic = btoa(
      String.fromCharCode(
        ...new TextEncoder().encode(`${auth.username}:${auth.password}`),
      ),
    );
    request += `Proxy-Authorization: Basic ${basic}\r\n`;
  }
  await sock.sendall(new TextEncoder().encode(request + "\r\n"));
  // Byte by byte to the blank line: what follows belongs to the target.
  const header: number[] = [];
  while (!endsWithBlankLine(header)) {
    if (header.length >= MAX_HTTP_REPLY) {
      throw new ProxyError(
        `the proxy at ${at} sent a reply header over ${MAX_HTTP_REPLY} bytes`,
      );
    }
    header.push((await readExactly(sock, 1, at))[0]);
  }
  const text = new TextDecoder().decode(Uint8Array.from(header));
  const status = /^HTTP\/1\.[01] (\d{3})([^\r\n]*)/.exec(text);
  if (!status) {
    throw new ProxyError(
      `the proxy at ${at} does not speak HTTP (check --proxy-type)`,
    );
  }
  const code = Number(status[1]);
  if (code === 407) {
    throw new ProxyError(
      `the HTTP proxy at ${at} wants a user name and password (407): ${
        authHint(auth)
      }`,
    );
  }
  if (code < 200 || code > 299) {
    throw new ProxyError(
      `the HTTP proxy at ${at} could not connect to ${authority}: ${code}${
        [...status[2]].filter((c) => !hasControl(c)).join("").slice(0, 100)
      }`,
    );
  }
}

function hasControl(text: string): boolean {
  for (const char of text) {
    const code = char.charCodeAt(0);
    if (code < 0x20 || code === 0x7f) return true;
  }
  return false;
}

function endsWithBlankLine(header: number[]): boolean {
  const n = header.length;
  return (n >= 4 && header[n - 4] === 13 && header[n - 3] === 10 &&
    header[n - 2] === 13 && header[n - 1] === 10) ||
    (n >= 2 && header[n - 2] === 10 && header[n - 1] === 10);
}
