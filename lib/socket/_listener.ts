/**
 * Private: the engine of a bound or listening stream socket, under the
 * `Socket` facade.
 *
 * `bind()` opens the address with `Deno.listen` at once, so an address in
 * use fails there, as in Python. One `accept()` is pending at a time: a
 * call that times out leaves it running, and the next call gets its
 * connection; closing the socket closes a connection that such an accept
 * brings later. Accepts take turns (see `_turns.ts`), so two at once get
 * two connections. A connection that fails between the client's connect
 * and our accept (a reset, as port scanners do) is skipped, as the kernel
 * does for Python's `accept`: it is that client's problem, not the
 * listener's.
 *
 * `select` learns that the socket is readable by starting that same pending
 * accept and waiting for it: the next `accept()` returns its connection.
 *
 * @module
 */

import { AF_UNIX } from "./constants.ts";
import type { Address } from "./address.ts";
import {
  describeAddress,
  endpointFor,
  formatHostPort,
  unixPath,
} from "./_address.ts";
import { BlockingIOError, type OSError, TimeoutError } from "./errors.ts";
import { bindError, oserror, translateError } from "./_translate.ts";
import { errno as ERRNO } from "./constants.ts";
import { Deadline, timed } from "./_deadline.ts";
import { Turns } from "./_turns.ts";
import { type Forget, never, type Readiness, Wakers } from "./_readiness.ts";

/** Errors of one incoming connection, not of the listener. */
const PER_CONNECTION = new Set<number>([
  ERRNO.ENOTCONN,
  ERRNO.ECONNABORTED,
  ERRNO.ECONNRESET,
]);

/** Whether the run may use `hostname:port` without asking. */
function netGranted(hostname: string, port: number): boolean {
  try {
    const host = formatHostPort(hostname, port);
    return Deno.permissions.querySync({ name: "net", host }).state ===
      "granted";
  } catch {
    return false;
  }
}

/** A bound stream socket; `listening` once `listen()` was called. */
export class ListenerEngine implements Readiness {
  /** The Deno listener. */
  listener: Deno.Listener;
  /** Whether `listen()` was called (Deno listens from the bind on). */
  listening = false;
  #closed = false;
  #turns = new Turns();
  #deadline: Deadline | null = null;
  #pending: Promise<Deno.Conn> | null = null;
  /** The pending accept once it is known to be done (see `watchReadable`). */
  #done: Promise<Deno.Conn> | null = null;
  #wakers: Wakers | null = null; // made on the first select, not per socket

  /**
   * Opens `address` with `Deno.listen`.
   *
   * @param family The socket's family.
   * @param address Where to bind.
   * @param call The method, for messages.
   * @param backlog The listen backlog (TCP), Deno's default when left out.
   * @returns The engine.
   */
  static open(
    family: number,
    address: Address,
    call: string,
    backlog?: number,
  ): ListenerEngine {
    return new ListenerEngine(
      ListenerEngine.#listen(family, address, call, backlog),
    );
  }

  static #listen(
    family: number,
    address: Address,
    call: string,
    tcpBacklog?: number,
  ): Deno.Listener {
    try {
      if (family === AF_UNIX) {
        return Deno.listen({
          transport: "unix",
          path: unixPath(address, call),
        });
      }
      const { hostname, port } = endpointFor(address, family, call);
      return Deno.listen({ hostname, port, transport: "tcp", tcpBacklog });
    } catch (err) {
      if (err instanceof TypeError || err instanceof RangeError) throw err;
      throw bindError(
        err,
        call,
        describeAddress(address),
        family === AF_UNIX ? address as string : undefined,
      );
    }
  }

  /**
   * Adopts an open listener.
   *
   * @param listener The Deno listener (plain or TLS).
   */
  constructor(listener: Deno.Listener) {
    this.listener = listener;
  }

  /** Whether an accept is still in flight. */
  get busy(): boolean {
    return this.#pending !== null;
  }

  /**
   * Starts listening; a backlog reopens a TCP address with it, when the
   * run's permission covers the port `bind()` got (otherwise Deno's
   * default backlog stays).
   *
   * @param family The socket's family.
   * @param backlog The backlog asked for.
   */
  listen(family: number, backlog: number | undefined): void {
    const addr = this.listener.addr;
    if (
      backlog !== undefined && !this.listening && addr.transport === "tcp" &&
      netGranted(addr.hostname, addr.port)
    ) {
      this.listener.close();
      this.listener = ListenerEngine.#listen(
        family,
        [addr.hostname, addr.port],
        "listen",
        backlog,
      );
    }
    this.listening = true;
  }

  #fail(err: unknown): OSError {
    if (this.#closed) {
      return oserror("EBADF", "cannot accept: the socket was closed", err);
    }
    return translateError(err, "cannot accept");
  }

  /**
   * Waits for the next connection.
   *
   * @param timeout The socket's timeout.
   * @returns The connection.
   */
  async accept(timeout: number | null): Promise<Deno.Conn> {
    const deadline = this.#deadline ??= new Deadline();
    const start = performance.now();
    await this.#turns.wait(timeout, deadline);
    try {
      while (true) {
        let left = timeout;
        if (timeout !== null && timeout !== 0) {
          left = timeout - (performance.now() - start) / 1000;
          if (left <= 0) throw new TimeoutError("timed out");
        }
        const pending = this.#pending ?? this.#start();
        try {
          const conn = await timed(pending, left, deadline);
          this.#pending = null;
          return conn;
        } catch (err) {
          if (err instanceof TimeoutError || err instanceof BlockingIOError) {
            throw err;
          }
          this.#pending = null;
          const e = this.#fail(err);
          if (
            !this.#closed && e.errno !== null && PER_CONNECTION.has(e.errno)
          ) {
            continue;
          }
          throw e;
        }
      }
    } finally {
      this.#turns.release();
    }
  }

  /** Starts the one pending accept, kept for the call that finishes it. */
  #start(): Promise<Deno.Conn> {
    const pending = this.listener.accept();
    pending.catch(() => {});
    this.#pending = pending;
    return pending;
  }

  /**
   * Whether `accept` would return at once: the pending accept is done (a
   * connection held, or the listener's error), or the socket is closed or
   * not listening (accept fails at once).
   *
   * @returns Whether the socket is readable.
   */
  readable(): boolean {
    return this.#closed || !this.listening ||
      (this.#pending !== null && this.#pending === this.#done);
  }

  /**
   * Calls `wake` when `readable()` may have changed: starts the accept the
   * next `accept()` finishes (if none runs) and watches it. A connection
   * that failed before it was accepted is dropped here, as `accept` drops
   * it.
   *
   * @param wake The wake-up call.
   * @returns A function that forgets it.
   */
  watchReadable(wake: () => void): Forget {
    const pending = this.#pending ?? this.#start();
    return (this.#wakers ??= new Wakers()).add(pending, wake, () => {
      pending.then(() => {
        if (this.#pending === pending) this.#done = pending;
      }, (err) => {
        if (this.#pending !== pending) return;
        const e = this.#fail(err);
        if (!this.#closed && e.errno !== null && PER_CONNECTION.has(e.errno)) {
          this.#pending = null;
        } else {
          this.#done = pending;
        }
      });
    });
  }

  /**
   * Never true for a listening socket, as the kernel says (true when not
   * listening: calls fail at once).
   *
   * @returns Whether the socket is writable.
   */
  writable(): boolean {
    return this.#closed || !this.listening;
  }

  /**
   * Never calls `wake`: a listening socket does not become writable.
   *
   * @returns A function that forgets nothing.
   */
  watchWritable(): Forget {
    return never();
  }

  /**
   * Closes the listener. A connection accepted in the background by a
   * timed-out accept is closed too, so its client is not left hanging.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#deadline?.clear();
    this.#pending?.then((conn) => conn.close(), () => {});
    this.#pending = null;
    try {
      this.listener.close();
    } catch {
      // Already closed.
    }
  }

  /**
   * Hands the listener over, leaving this engine closed without closing it.
   *
   * @returns The listener.
   */
  detach(): Deno.Listener {
    this.#closed = true;
    this.#deadline?.clear();
    return this.listener;
  }
}
