/**
 * Sockets for the tests' own side: free ports, a connected TCP pair,
 * reading a whole stream or an exact count, and whether this machine has
 * what a network test needs (an IPv6 loopback, a port bound by a child).
 *
 * The helpers that take a `socket.Socket` work on pysocket's own sockets
 * (the library under test); the others use Deno's sockets directly, for
 * tests of the `pysocket` command that must not lean on the library.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socket from "../../mod.ts";
import { concat } from "./data.ts";
import { type Child, run } from "./process.ts";
import { poll, sleep } from "./wait.ts";
import { WAIT_MS } from "./paths.ts";

/**
 * A port on `host` that was free a moment ago for both TCP and UDP: bound
 * with port 0, then released. For children that must be told their port
 * in advance (nc -l, Python's tutorial programs), and as a port nothing
 * listens on.
 */
export function freePort(host = "127.0.0.1"): number {
  for (let attempt = 0; attempt < 20; attempt++) {
    const tcp = Deno.listen({ hostname: host, port: 0 });
    const { port } = tcp.addr as Deno.NetAddr;
    try {
      const udp = Deno.listenDatagram({
        hostname: host,
        port,
        transport: "udp",
      });
      udp.close();
      return port;
    } catch {
      continue;
    } finally {
      tcp.close();
    }
  }
  throw new Error(`No free port found on ${host}`);
}

/** Tells whether this machine has an IPv6 loopback. */
export function hasIPv6(): boolean {
  try {
    Deno.listen({ hostname: "::1", port: 0 }).close();
    return true;
  } catch {
    return false;
  }
}

/** Returns the port of an IP socket address. */
export function portOf(address: socket.Address): number {
  assert.ok(Array.isArray(address), `not an IP address: ${address}`);
  return address[1];
}

/** A listening server, a client connected to it, and the accepted side. */
export class TcpPair implements Disposable {
  /** Holds the three sockets; {@linkcode tcpPair} makes them. */
  constructor(
    /** The listening socket. */
    readonly server: socket.Socket,
    /** The connecting side. */
    readonly client: socket.Socket,
    /** The accepted side. */
    readonly conn: socket.Socket,
  ) {}

  /** Closes all three. */
  [Symbol.dispose](): void {
    this.conn.close();
    this.client.close();
    this.server.close();
  }
}

/** Opens a connected pysocket TCP pair on `host` (127.0.0.1 or ::1), port 0. */
export async function tcpPair(host = "127.0.0.1"): Promise<TcpPair> {
  const family = host.includes(":") ? socket.AF_INET6 : socket.AF_INET;
  const server = socket.socket(family, socket.SOCK_STREAM);
  const client = socket.socket(family, socket.SOCK_STREAM);
  try {
    server.bind([host, 0]);
    server.listen();
    await client.connect(server.getsockname());
    const [conn] = await server.accept();
    return new TcpPair(server, client, conn);
  } catch (err) {
    client.close();
    server.close();
    throw err;
  }
}

/** Reads from a pysocket socket until end of stream and returns everything. */
export async function recvAll(sock: socket.Socket): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  while (true) {
    const data = await sock.recv(65536);
    if (data.length === 0) return concat(parts);
    parts.push(data);
  }
}

/** Reads from a pysocket socket until `size` bytes arrived (or end of stream). */
export async function recvExactly(
  sock: socket.Socket,
  size: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let offset = 0;
  while (offset < size) {
    const data = await sock.recv(size - offset);
    if (data.length === 0) break;
    out.set(data, offset);
    offset += data.length;
  }
  return out.subarray(0, offset);
}

/** Reads from a Deno connection until `size` bytes arrived (or end of stream). */
export async function readExactly(
  conn: Deno.Conn,
  size: number,
): Promise<Uint8Array> {
  const out = new Uint8Array(size);
  let got = 0;
  while (got < size) {
    const n = await conn.read(out.subarray(got));
    if (n === null) break;
    got += n;
  }
  return out.subarray(0, got);
}

/** A Deno UDP socket on `host` (127.0.0.1 by default) that `using` closes. */
export function udpSocket(
  port = 0,
  host = "127.0.0.1",
): Deno.DatagramConn & Disposable {
  const conn = Deno.listenDatagram({
    transport: "udp",
    hostname: host,
    port,
  });
  return Object.assign(conn, { [Symbol.dispose]: () => conn.close() });
}

/**
 * Calls a non-blocking pysocket operation until it stops throwing
 * `BlockingIOError`, as a Python program polls a non-blocking socket, and
 * fails after `ms`. Any other error is thrown at once.
 */
export async function untilReady<T>(
  operation: () => Promise<T>,
  ms = 2000,
): Promise<T> {
  const until = performance.now() + ms;
  while (true) {
    try {
      return await operation();
    } catch (err) {
      if (!(err instanceof socket.BlockingIOError)) throw err;
      if (performance.now() > until) {
        assert.fail(`still BlockingIOError after ${ms} ms`);
      }
      await sleep(5);
    }
  }
}

/**
 * Whether a socket of `kind` is bound to `port`, read from Linux's
 * `/proc/net` tables (with `cat`: Deno grants `/proc` only to
 * `--allow-all`): TCP sockets must be listening. Reading the table touches
 * nothing, where a probe connection would be accepted by the program under
 * test. Linux only: a test using it needs `"proc"`.
 */
async function isBound(port: number, kind: "tcp" | "udp"): Promise<boolean> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, "0")}`;
  for (const table of [kind, `${kind}6`]) {
    const { code, stdout } = await run("cat", [`/proc/net/${table}`]);
    if (code !== 0) continue; // No such table (no IPv6).
    for (const line of stdout.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 4 || !fields[1].endsWith(hex)) continue;
      if (kind === "udp" || fields[3] === "0A") return true; // 0A: LISTEN
    }
  }
  return false;
}

/**
 * Waits until `child` has bound `port` (a listening TCP socket, or a UDP
 * socket), so a client started next is not refused. Linux only (`/proc`).
 */
export async function waitUntilBound(
  port: number,
  kind: "tcp" | "udp",
  child: Child,
): Promise<void> {
  await poll(`${kind} port ${port} to be bound`, async () => {
    if (child.exited) {
      assert.fail(
        `${child.command} exited before binding port ${port}\n${child.report()}`,
      );
    }
    return await isBound(port, kind);
  }, { ms: WAIT_MS, seen: () => child.report() });
}
