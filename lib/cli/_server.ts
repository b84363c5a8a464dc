/**
 * The one server engine every TCP server mode runs on (the chat server,
 * `--echo`, `--room`, `--stream`, `--stream --echo`, each with or without
 * `--tls`): listen, accept, the `--allow`/`--deny` gate, `--max-clients`,
 * the TLS handshake with its deadline, and running out of descriptors.
 *
 * The order for each connection: accept (no handshake yet), check the
 * address and close a refused peer at once (the `denied` line: a refused
 * peer never costs a handshake), count it against `--max-clients` (the
 * `refused` line past the limit; handshakes in progress count), run the
 * TLS handshake within its deadline, then hand the connection to the
 * mode. Nothing that happens to one connection ends the accept loop: a
 * client that resets before it is accepted, a failed handshake, or a mode
 * that throws for one session. When the process runs out of descriptors,
 * the server stops accepting (clients wait in the kernel's queue), says so
 * once, and goes on as soon as connections close.
 *
 * @module
 */

import { netHost } from "../socket/_address.ts";
import { errno as ERRNO, SOCK_STREAM } from "../socket/constants.ts";
import type { Address } from "../socket/address.ts";
import { OSError } from "../socket/errors.ts";
import { Deadline } from "../socket/_deadline.ts";
import type { Socket } from "../socket/socket.ts";
import { SSLError } from "../ssl/errors.ts";
import { peerName, type Run } from "./_run.ts";
import { openServerSocket } from "./_sockets.ts";
import { handshake } from "./_tls.ts";

/** A connection the engine admitted, handed to a mode. */
export interface Session {
  /** The connected socket (TLS done, with `--tls`); the engine closes it. */
  sock: Socket;
  /** The peer's address. */
  address: Address;
  /** How events name the peer: `127.0.0.1:54321`, or `""` (Unix). */
  peer: string;
}

/** How a mode uses the engine. */
export interface ServeOptions {
  /**
   * Serve one session after another, as the tutorial's server does: the
   * next connection is accepted once the handler returns.
   *
   * @default {false}
   */
  sequential?: boolean;
  /** The listen backlog. */
  backlog?: number;
  /**
   * Stop accepting once this resolves (a server whose input has ended);
   * the engine then returns what `onStop` returns.
   */
  stop?: Promise<unknown>;
  /** The exit code when `stop` ends the server. */
  onStop?: () => number;
  /** Why a connection past `--max-clients` is refused, in the mode's words. */
  fullMessage?: string;
  /**
   * Tells a connection refused for `--max-clients` why, before it is
   * closed (the room sends a notice).
   */
  onFull?: (session: Session, message: string) => Promise<void>;
}

/**
 * What a handler returns: nothing to go on serving, or an exit code to
 * stop the server with (`tcp-server --stream` serves one client).
 */
export type SessionEnd = void | number;

/** How long to wait before accepting again when out of descriptors. */
const FULL_RETRY_SECONDS = 0.1;

/** Whether an accept failed because the process has no descriptor left. */
function outOfDescriptors(err: unknown): boolean {
  return err instanceof OSError &&
    (err.errno === ERRNO.EMFILE || err.errno === ERRNO.ENFILE);
}

/** Whether an accept failed for one connection only, not the listener. */
function oneConnection(err: unknown): boolean {
  return err instanceof SSLError ||
    (err instanceof OSError && err.errno !== null && [
      ERRNO.ENOTCONN,
      ERRNO.ECONNABORTED,
      ERRNO.ECONNRESET,
      ERRNO.EPIPE,
    ].includes(err.errno));
}

/**
 * Runs the accept loop on the run's endpoint, handing each admitted
 * connection to `handle`, until interrupted (or `stop`, or a handler's
 * exit code).
 *
 * @param run The run.
 * @param handle Serves one session.
 * @param options How the mode serves.
 * @returns The exit code.
 * @throws {ChatFailure} If the address cannot be opened, or the listener fails.
 */
export async function serve(
  run: Run,
  handle: (session: Session) => Promise<SessionEnd>,
  options: ServeOptions = {},
): Promise<number> {
  const server = await openServerSocket(run, SOCK_STREAM, options.backlog);
  if (run.plan.giveUpOutgoing) await giveUpOutgoing(run);
  const { access, limits, endpoint } = run.plan;
  const max = limits.maxClients;
  const pause = new Deadline();
  let active = 0;
  let slotFreed = Promise.withResolvers<void>();
  let exhausted = false;
  // Stopping closes the listener, which ends a pending accept. (Racing
  // each accept against a promise that may never settle would leave one
  // reaction on it per connection, for the life of the server.)
  let stopping = false;
  options.stop?.then(() => {
    stopping = true;
    server.close();
  });
  try {
    while (true) {
      let accepted: [Socket, Address];
      try {
        if (stopping) return options.onStop?.() ?? 0;
        accepted = await server.accept();
      } catch (err) {
        if (stopping) return options.onStop?.() ?? 0;
        if (run.closed) return 130;
        if (outOfDescriptors(err)) {
          if (!exhausted) {
            exhausted = true;
            run.emit({
              event: "paused",
              reason:
                `out of file descriptors with ${active} connections open; accepting again once some close${
                  max === null
                    ? ""
                    : ` (--max-clients ${max} is above what the system allows)`
                }`,
            });
          }
          await Promise.race([
            slotFreed.promise,
            pause.sleep(FULL_RETRY_SECONDS),
          ]);
          continue;
        }
        if (oneConnection(err)) continue;
        throw run.explain(err, `cannot accept on ${endpoint.display}`);
      }
      if (exhausted) {
        exhausted = false;
        run.emit({ event: "resumed", reason: "accepting connections again" });
      }
      const [sock, address] = accepted;
      const session: Session = { sock, address, peer: peerName(address) };
      const denied = access?.check(
        typeof address === "string" ? address : address[0],
      );
      if (denied) {
        sock.close();
        run.emit({ event: "denied", peer: session.peer, message: denied });
        continue;
      }
      if (max !== null && active >= max) {
        refuse(
          run,
          session,
          options.fullMessage ??
            `${active} clients already (--max-clients ${max})`,
          options.onFull,
        );
        continue;
      }
      active++;
      const serving = serveOne(run, session, handle).finally(() => {
        active--;
        slotFreed.resolve();
        slotFreed = Promise.withResolvers<void>();
      });
      if (options.sequential) {
        const code = await serving;
        if (typeof code === "number") return code;
      }
    }
  } finally {
    pause.clear();
  }
}

/**
 * Gives up the network permission a server's sessions do not need, once it
 * listens (accepting is not permission-checked), so that a bug in a
 * session cannot reach out: every outgoing connection for a server without
 * a target, everything but the target for a relay. Deno can only revoke
 * grants whole: a relay gives up its listening address when that cannot
 * take the target's grant with it (not when one grant covers both, such
 * as `--allow-net` or `--allow-net=127.0.0.1` for two ports of it).
 *
 * @param run The run, its server listening.
 */
export async function giveUpOutgoing(run: Run): Promise<void> {
  const { endpoint, target } = run.plan;
  if (!target) {
    await Deno.permissions.revoke({ name: "net" });
    return;
  }
  if (endpoint.path !== undefined) return;
  const granted = async (host?: string) =>
    (await Deno.permissions.query({ name: "net", host })).state === "granted";
  if (await granted()) return;
  // Through a proxy, the proxy is what sessions connect to.
  const out = run.plan.proxy ?? target.endpoint;
  const sameHost = !("path" in out && out.path !== undefined) &&
    out.host === endpoint.host;
  if (sameHost && await granted(netHost(endpoint.host))) return;
  await Deno.permissions.revoke({
    name: "net",
    host: `${netHost(endpoint.host)}:${endpoint.port}`,
  });
}

/** Refuses a connection past `--max-clients`, telling it why if the mode can. */
async function refuse(
  run: Run,
  session: Session,
  message: string,
  onFull: ServeOptions["onFull"],
): Promise<void> {
  run.emit({ event: "refused", peer: session.peer, message });
  try {
    await onFull?.(session, message);
  } catch {
    // It could not be told: it is closed all the same.
  } finally {
    session.sock.close();
  }
}

/** One session: the TLS handshake, then the mode's handler. */
async function serveOne(
  run: Run,
  session: Session,
  handle: (session: Session) => Promise<SessionEnd>,
): Promise<SessionEnd> {
  run.own(session.sock);
  try {
    if (run.plan.tls) {
      try {
        await handshake(session.sock);
      } catch (err) {
        run.emit({
          event: "refused",
          peer: session.peer,
          message: `TLS handshake failed: ${run.explain(err).message}`,
        });
        return;
      }
    }
    const { traffic } = run;
    if (traffic.verbose) {
      const local = typeof session.address === "string"
        ? ""
        : ` on ${peerName(session.sock.getsockname())}`;
      traffic.note(
        `accepted ${session.peer || "unix peer"}${local}${
          run.plan.tls ? " (TLS handshake done)" : ""
        }`,
      );
    }
    traffic.tap(session.sock, session.peer || "unix peer");
    return await handle(session);
  } catch (err) {
    // A mode's failure for one session never ends the server.
    if (!run.closed) {
      run.emit({
        event: "disconnected",
        peer: session.peer,
        reason: "error",
        message: run.explain(err).message,
      });
    }
  } finally {
    run.release(session.sock);
  }
}
