/**
 * The sockets of a run, opened as its plan says: a server's listening or
 * datagram socket (bound, announced with the `listening` event, its Unix
 * socket file removed at the end), a TCP client's connection (with TLS
 * when asked), and a UDP client's address for replies over Unix sockets.
 *
 * @module
 */

import { AF_INET6, SOCK_DGRAM, SOCK_STREAM } from "../socket/constants.ts";
import type { Address } from "../socket/address.ts";
import {
  formatAddress,
  formatHostPort,
  isLoopback,
} from "../socket/_address.ts";
import { PermissionError } from "../socket/errors.ts";
import { Socket } from "../socket/socket.ts";
import type { ChatEvent } from "./_events.ts";
import type { Endpoint } from "./_plan.ts";
import type { Run } from "./_run.ts";
import { ChatFailure } from "./_explain.ts";
import { connectThroughProxy, proxyAuthFromEnv, ProxyError } from "./_proxy.ts";
import { listenTls, wrapClient } from "./_tls.ts";

/**
 * The `listening` event for a bound socket.
 *
 * @param address The socket's `getsockname()`.
 * @param maxClients The server's limit of clients, when it has one.
 * @returns The event.
 */
export function listeningEvent(
  address: Address,
  maxClients?: number | null,
): ChatEvent {
  const limit = maxClients === undefined ? {} : { maxClients };
  if (typeof address === "string") {
    return { event: "listening", address, path: address, ...limit };
  }
  return {
    event: "listening",
    address: formatAddress(address),
    host: address[0],
    port: address[1],
    ...limit,
  };
}

/**
 * Opens a server's socket on the run's endpoint: binds it, listens (stream
 * sockets, TLS with `--tls`), removes a Unix socket file at the end, and
 * announces the `listening` event with the real address (so scripts using
 * port 0 can find it).
 *
 * @param run The run that owns the socket.
 * @param type `SOCK_STREAM` or `SOCK_DGRAM`.
 * @param backlog The listen backlog (stream sockets).
 * @returns The socket, owned by the run.
 * @throws {ChatFailure} One line naming the cause, if binding fails.
 */
export async function openServerSocket(
  run: Run,
  type: number,
  backlog?: number,
): Promise<Socket> {
  const { endpoint, tls } = run.plan;
  let sock = run.own(new Socket(endpoint.family, type));
  try {
    sock.bind(endpoint.path ?? [endpoint.host, endpoint.port]);
    if (type === SOCK_STREAM) {
      sock.listen(backlog);
      if (tls) sock = run.own(await listenTls(sock, tls));
    }
  } catch (err) {
    throw run.explain(err, `cannot listen on ${endpoint.display}`);
  }
  if (endpoint.path) run.onClose(() => removeQuietly(endpoint.path!));
  const many = run.plan.mode === "room" || run.plan.mode === "stream-echo" ||
    run.plan.mode === "relay";
  const maxClients = type === SOCK_STREAM && many
    ? run.plan.limits.maxClients
    : undefined;
  const bound = sock.getsockname();
  if (typeof bound !== "string") run.bound = bound[0];
  run.emit(listeningEvent(bound, maxClients));
  // A datagram server's socket is the one that carries the traffic; its
  // chunks name each sender, its counts are for all of them.
  return type === SOCK_DGRAM
    ? run.traffic.tap(sock, `${formatAddress(bound)}, every peer`)
    : sock;
}

/**
 * Connects a TCP client as the plan says (with TLS when asked), within
 * `--timeout`.
 *
 * @param run The run that owns the socket.
 * @returns The connected socket, blocking (no timeout).
 * @throws {ChatFailure} One line naming the cause.
 */
export async function connectClient(run: Run): Promise<Socket> {
  const { endpoint, tls, timeout, proxy } = run.plan;
  let sock: Socket;
  if (proxy) {
    try {
      sock = await connectViaProxy(run, endpoint, timeout, "connect to");
    } catch (err) {
      if (err instanceof ChatFailure) throw err;
      throw run.explain(err, `cannot reach the proxy at ${proxy.display}`);
    }
  } else {
    sock = run.own(new Socket(endpoint.family, SOCK_STREAM));
    sock.settimeout(timeout);
    try {
      await sock.connect(endpoint.path ?? [endpoint.host, endpoint.port]);
    } catch (err) {
      throw run.explain(err, `cannot connect to ${endpoint.display}`);
    }
  }
  // Through a proxy, the peer is the target the proxy reached.
  const peer = endpoint.path ??
    (proxy ? endpoint.display : formatAddress(sock.getpeername()));
  const { traffic } = run;
  if (traffic.verbose) {
    const local = endpoint.path
      ? ""
      : ` from ${formatAddress(sock.getsockname())}`;
    const named = endpoint.path || proxy || peer === endpoint.display
      ? ""
      : ` (${endpoint.display} resolved)`;
    traffic.note(`connected to ${peer}${named}${local}`);
  }
  if (tls) {
    try {
      sock = run.own(await wrapClient(sock, endpoint.host, tls));
    } catch (err) {
      throw run.explain(err, `cannot start TLS with ${endpoint.display}`);
    }
    traffic.note(
      `TLS with ${peer}: certificate verified for ${
        tls.serverName ?? endpoint.host
      } (Deno does not report the protocol version)`,
    );
  }
  sock.settimeout(null);
  return traffic.tap(sock, peer);
}

/**
 * Connects to `target` through the run's `--proxy`; the socket is owned by
 * the run. The one way the command goes through a proxy (`tcp-client`, a
 * relay's target).
 *
 * @param run The run (its plan has a proxy).
 * @param target Where the proxy should connect us.
 * @param timeout Seconds for the whole exchange, or `null`.
 * @param verb For the failure line: `cannot ${verb} ${target}: why`.
 * @returns The tunnel, ready for the target's bytes.
 * @throws {ChatFailure} When the proxy refused or answered wrongly.
 * @throws The error on the way to the proxy itself (as the network or the
 *   permission reported it), for the caller to explain.
 */
export async function connectViaProxy(
  run: Run,
  target: Endpoint,
  timeout: number | null,
  verb: string,
): Promise<Socket> {
  const proxy = run.plan.proxy!;
  let sock: Socket;
  try {
    sock = run.own(
      await connectThroughProxy({
        proxy,
        type: proxy.type,
        target,
        auth: proxyAuthFromEnv(),
        timeout,
      }),
    );
  } catch (err) {
    if (err instanceof ProxyError && !(err.cause instanceof PermissionError)) {
      throw new ChatFailure(`cannot ${verb} ${target.display}: ${err.message}`);
    }
    throw err instanceof ProxyError ? err.cause : err;
  }
  run.traffic.note(
    `${
      proxy.type === "socks5" ? "SOCKS5" : "HTTP"
    } proxy ${proxy.display} connected us to ${target.display}`,
  );
  return sock;
}

/**
 * A UDP client's socket, with an address that replies can come back to.
 * Towards a loopback server (`127.x`, `::1`, `localhost`) it is bound to
 * the loopback address of its family, port 0: least exposure, a local chat
 * is not reachable from the network (unbound, the first `sendto` would
 * bind every interface, as Python's does, when the permission covers it).
 * Towards any other server the first send binds it as the library does. A
 * Unix datagram socket needs a path, so it is bound in a new temporary
 * folder next to the server's socket, removed when the run ends.
 *
 * @param run The run that owns the socket.
 * @returns The socket.
 * @throws {ChatFailure} One line naming the cause, if the folder or the
 * bind fails.
 */
export function openClientDatagram(run: Run): Socket {
  const { endpoint } = run.plan;
  const sock = run.traffic.tap(
    run.own(new Socket(endpoint.family, SOCK_DGRAM)),
    endpoint.display,
  );
  if (!endpoint.path) {
    if (!isLoopback(endpoint.host)) {
      run.traffic.note(`sending datagrams to ${endpoint.display}`);
      return sock;
    }
    const local = endpoint.family === AF_INET6 ? "::1" : "127.0.0.1";
    try {
      sock.bind([local, 0]);
    } catch (err) {
      throw run.explain(err, `cannot bind ${formatHostPort(local, 0)}`);
    }
    run.traffic.note(
      `sending datagrams to ${endpoint.display} from ${
        formatAddress(sock.getsockname())
      }`,
    );
    return sock;
  }
  run.traffic.note(`sending datagrams to ${endpoint.display}`);
  const folder = unixFolder(endpoint.path);
  let dir: string;
  try {
    dir = Deno.makeTempDirSync({ dir: folder, prefix: ".pysocket-" });
  } catch (err) {
    throw run.explain(err, `cannot make a socket for replies in ${folder}`);
  }
  run.onClose(() => removeQuietly(dir, true));
  try {
    sock.bind(`${dir}/udp-client.sock`);
  } catch (err) {
    throw run.explain(err, `cannot bind a socket for replies in ${dir}`);
  }
  return sock;
}

/**
 * The folder of a Unix socket path (`.` when there is none). The UDP
 * client makes its own socket there, next to the server's, so one
 * `--allow-read`/`--allow-write` covers both.
 *
 * @param path The server's socket path.
 * @returns The folder.
 */
export function unixFolder(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return cut === -1 ? "." : cut === 0 ? path.slice(0, 1) : path.slice(0, cut);
}

/** The flags of a UDP program on a Unix socket: its folder, and the net. */
export function unixDatagramFlags(endpoint: Endpoint): string {
  const dir = unixFolder(endpoint.path!);
  return `--allow-read=${dir} --allow-write=${dir} --allow-net`;
}

/**
 * Removes a file, ignoring failures (for socket files at exit).
 *
 * @param path The file.
 * @param recursive Whether to remove a folder with its contents.
 */
export function removeQuietly(path: string, recursive = false): void {
  try {
    Deno.removeSync(path, { recursive });
  } catch {
    // Gone already, or not ours to remove.
  }
}
