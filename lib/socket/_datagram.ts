/**
 * Private: the engine of a datagram socket (UDP, Unix datagrams), under the
 * `Socket` facade.
 *
 * One receive is pending at a time, into a full-size buffer reused between
 * calls; a datagram is cut to the size asked for and copied out, the rest of
 * it dropped, as in Python. A receive left running by a timed-out call is
 * picked up by the next one. Receives take turns (see `_turns.ts`).
 *
 * `select` learns that the socket is readable by starting that same pending
 * receive and waiting for it; `recvfrom(n, MSG_PEEK)` returns a datagram
 * and leaves it pending, so the next call returns it again.
 *
 * @module
 */

import { AF_INET6, AF_UNIX } from "./constants.ts";
import type { Address } from "./address.ts";
import {
  describeAddress,
  endpointFor,
  fromDenoAddr,
  isLoopback,
  unixPath,
} from "./_address.ts";
import { BlockingIOError, type OSError, TimeoutError } from "./errors.ts";
import { bindError, oserror, translateError } from "./_translate.ts";
import { Deadline, timedOne } from "./_deadline.ts";
import { Turns } from "./_turns.ts";
import { copyOut } from "./_pool.ts";
import { type Forget, never, type Readiness, Wakers } from "./_readiness.ts";

const ignore = () => {};

type DatagramOptions =
  | (Deno.UdpListenOptions & { transport: "udp" })
  | (Deno.UnixListenDatagramOptions & { transport: "unixpacket" });

/** `Deno.listenDatagram`, or a clear error when `--unstable-net` is off. */
function listenDatagram(options: DatagramOptions): Deno.DatagramConn {
  if (typeof Deno.listenDatagram !== "function") {
    throw oserror(
      "EOPNOTSUPP",
      "datagram sockets need Deno's --unstable-net flag: run with " +
        '`deno run --unstable-net`, or add "unstable": ["net"] to deno.json',
    );
  }
  // The overloads do not accept the union; each branch is one of them.
  return Deno.listenDatagram(
    options as Deno.UdpListenOptions & { transport: "udp" },
  );
}

/** Whether two Deno addresses name the same peer. */
function sameAddr(a: Deno.Addr, b: Deno.Addr): boolean {
  if (a.transport === "unixpacket" || b.transport === "unixpacket") {
    return (a as Deno.UnixAddr).path === (b as Deno.UnixAddr).path;
  }
  const x = a as Deno.NetAddr, y = b as Deno.NetAddr;
  if (x.port !== y.port) return false;
  const norm = (h: string) =>
    h === "localhost" ? "127.0.0.1" : h.replace(/^::ffff:/, "");
  return norm(x.hostname) === norm(y.hostname);
}

/** A datagram socket: receives, sends, and an optional connected peer. */
export class DatagramEngine implements Readiness {
  /** The Deno datagram socket. */
  readonly dgram: Deno.DatagramConn;
  /** The peer set by `connect()`: the default destination and only source. */
  peer: Deno.Addr | null = null;
  /** Socket options still being applied (see `_multicast.ts`): sends wait. */
  settling: Promise<void> | null = null;
  #family: number;
  #closed = false;
  #reads = new Turns();
  #readDeadline: Deadline | null = null;
  #pending: Promise<[Uint8Array, Deno.Addr]> | null = null;
  /** The pending receive once it is known to be done (see `watchReadable`). */
  #done: Promise<[Uint8Array, Deno.Addr]> | null = null;
  #wakers: Wakers | null = null; // made on the first select, not per socket
  #buf: Uint8Array | null = null;
  // The last sendto() destination, so a reply loop does not re-parse it.
  #lastHost = "";
  #lastPort = -1;
  #lastDest: Deno.Addr | null = null;
  // The last sender, so a reply loop does not build its tuple again.
  #lastFrom: Address | null = null;
  #lastFromHost = "";
  #lastFromPort = -1;

  /**
   * Opens a datagram socket bound to `address` (`null`: an unbound Unix
   * datagram socket, which can send but has no address to answer).
   *
   * @param family The socket's family.
   * @param address Where to bind.
   * @param call The method, for messages.
   * @param reuseAddress Whether to set `SO_REUSEADDR` (UDP).
   * @param loopback Whether this host hears its own multicast (UDP;
   * Python's default is on, Deno's off).
   * @returns The engine.
   */
  static open(
    family: number,
    address: Address | null,
    call: string,
    reuseAddress = false,
    loopback = true,
  ): DatagramEngine {
    let options: DatagramOptions;
    if (family === AF_UNIX) {
      options = address === null
        ? { transport: "unixpacket" } as DatagramOptions
        : { transport: "unixpacket", path: unixPath(address, call) };
    } else {
      const { hostname, port } = endpointFor(address!, family, call);
      options = { hostname, port, transport: "udp", reuseAddress, loopback };
    }
    try {
      return new DatagramEngine(family, listenDatagram(options));
    } catch (err) {
      // Our own argument errors pass; Deno reports the OS's EINVAL as a
      // TypeError too ("Invalid argument (os error 22)"), which translates.
      if (
        (err instanceof TypeError || err instanceof RangeError) &&
        !/\(os error \d+\)/.test(err.message)
      ) throw err;
      if (address === null) {
        throw translateError(
          err,
          "cannot open an unbound AF_UNIX datagram socket",
        );
      }
      throw bindError(
        err,
        call,
        describeAddress(address),
        family === AF_UNIX ? address as string : undefined,
      );
    }
  }

  /**
   * Adopts an open datagram socket.
   *
   * @param family The socket's family.
   * @param dgram The Deno datagram socket.
   */
  constructor(family: number, dgram: Deno.DatagramConn) {
    this.#family = family;
    this.dgram = dgram;
  }

  /** Whether a receive is still in flight. */
  get busy(): boolean {
    return this.#pending !== null;
  }

  #fail(err: unknown, call: string): OSError {
    if (this.#closed) {
      return oserror("EBADF", `cannot ${call}: the socket was closed`, err);
    }
    return translateError(err, `cannot ${call}`);
  }

  /**
   * Receives the next datagram (from the peer only, once connected).
   *
   * @param bufsize The most bytes to return; the rest is dropped.
   * @param timeout The socket's timeout.
   * @param call The method, for messages.
   * @param peek Whether to leave the datagram for the next call (`MSG_PEEK`).
   * @returns The bytes and the sender.
   */
  receive(
    bufsize: number,
    timeout: number | null,
    call: string,
    peek = false,
  ): Promise<[Uint8Array, Address]> {
    if (this.#reads.take()) return this.#receive(bufsize, timeout, call, peek);
    return this.#queued(bufsize, timeout, call, peek);
  }

  /** Starts the one pending receive, into the reused buffer. */
  #start(): Promise<[Uint8Array, Deno.Addr]> {
    this.#buf ??= new Uint8Array(this.#family === AF_UNIX ? 262144 : 65536);
    const pending = this.dgram.receive(this.#buf);
    pending.catch(ignore);
    this.#pending = pending;
    return pending;
  }

  /**
   * Whether `recvfrom` would return at once: the pending receive is done
   * (with a datagram or an error), or the socket is closed.
   *
   * @returns Whether the socket is readable.
   */
  readable(): boolean {
    return this.#closed ||
      (this.#pending !== null && this.#pending === this.#done);
  }

  /**
   * Calls `wake` when `readable()` may have changed: starts the receive the
   * next `recvfrom` finishes (if none runs) and watches it. A datagram from
   * another address than a connected peer is dropped here, as the next
   * receive would drop it.
   *
   * @param wake The wake-up call.
   * @returns A function that forgets it.
   */
  watchReadable(wake: () => void): Forget {
    const pending = this.#pending ?? this.#start();
    return (this.#wakers ??= new Wakers()).add(pending, wake, () => {
      if (this.#pending !== pending) return;
      pending.then(([, from]) => {
        if (this.#pending !== pending) return;
        if (this.peer && !sameAddr(this.peer, from)) this.#pending = null;
        else this.#done = pending;
      }, () => {
        if (this.#pending === pending) this.#done = pending;
      });
    });
  }

  /**
   * Always true: a datagram send does not wait for a peer.
   *
   * @returns `true`.
   */
  writable(): boolean {
    return true;
  }

  /**
   * Never called for: a datagram socket is always writable.
   *
   * @returns A function that forgets nothing.
   */
  watchWritable(): Forget {
    return never();
  }

  async #queued(
    bufsize: number,
    timeout: number | null,
    call: string,
    peek: boolean,
  ): Promise<[Uint8Array, Address]> {
    const start = performance.now();
    await this.#reads.wait(timeout, this.#readDeadline ??= new Deadline());
    let left = timeout;
    if (timeout !== null && timeout !== 0) {
      left = timeout - (performance.now() - start) / 1000;
      if (left <= 0) {
        this.#reads.release();
        throw new TimeoutError("timed out");
      }
    }
    return this.#receive(bufsize, left, call, peek);
  }

  async #receive(
    bufsize: number,
    timeout: number | null,
    call: string,
    peek = false,
  ): Promise<[Uint8Array, Address]> {
    try {
      while (true) {
        const pending = this.#pending ?? this.#start();
        let data: Uint8Array, from: Deno.Addr;
        try {
          [data, from] = timeout === null ? await pending : await timedOne(
            pending,
            timeout,
            this.#readDeadline ??= new Deadline(),
          );
        } catch (err) {
          if (err instanceof TimeoutError || err instanceof BlockingIOError) {
            throw err;
          }
          this.#pending = null;
          throw this.#fail(err, call);
        }
        // A connected datagram socket only hears its peer, as in the kernel.
        if (this.peer && !sameAddr(this.peer, from)) {
          this.#pending = null;
          continue;
        }
        // A peek leaves the datagram (and the buffer it is in) for the
        // next call: no new receive starts until then.
        if (!peek) this.#pending = null;
        return [
          copyOut(data.subarray(0, Math.min(data.length, bufsize))),
          this.#sender(from),
        ];
      }
    } finally {
      this.#reads.release();
    }
  }

  /**
   * A sender's address in Python's form. A reply loop hears the same peer
   * again and again: its tuple is made once, and frozen, as Python's
   * tuples cannot be changed either.
   */
  #sender(from: Deno.Addr): Address {
    const last = this.#lastFrom;
    if (
      last !== null && from.transport === "udp" &&
      (from as Deno.NetAddr).port === this.#lastFromPort &&
      (from as Deno.NetAddr).hostname === this.#lastFromHost
    ) {
      return last;
    }
    const address = Object.freeze(fromDenoAddr(from, this.#family)) as Address;
    if (from.transport === "udp") {
      this.#lastFrom = address;
      this.#lastFromHost = (from as Deno.NetAddr).hostname;
      this.#lastFromPort = (from as Deno.NetAddr).port;
    }
    return address;
  }

  /**
   * The Deno address to send to, from a Python-style one (the last one is
   * remembered, so a reply loop does not parse it again).
   *
   * @param target The address given to `sendto`.
   * @returns The destination.
   */
  destination(target: Address): Deno.Addr {
    if (this.#family === AF_UNIX) {
      return { transport: "unixpacket", path: unixPath(target, "sendto") };
    }
    if (
      this.#lastDest && Array.isArray(target) &&
      target[0] === this.#lastHost && target[1] === this.#lastPort
    ) {
      return this.#lastDest;
    }
    const { hostname, port } = endpointFor(target, this.#family, "sendto");
    const dest: Deno.Addr = { transport: "udp", hostname, port };
    this.#lastHost = (target as [string, number])[0];
    this.#lastPort = port;
    this.#lastDest = dest;
    return dest;
  }

  /**
   * Sends one datagram.
   *
   * @param data The bytes.
   * @param dest Where to.
   * @param call The method, for messages.
   * @returns The count sent.
   */
  async send(data: Uint8Array, dest: Deno.Addr, call: string): Promise<number> {
    if (this.settling) {
      const settling = this.settling;
      this.settling = null;
      await settling;
    }
    try {
      return await this.dgram.send(data, dest);
    } catch (err) {
      if (
        err instanceof Deno.errors.Busy && this.#pending &&
        dest.transport === "unixpacket"
      ) {
        // Deno's Unix datagram sockets do one thing at a time.
        throw oserror(
          "EALREADY",
          `cannot ${call} while a recv waits on this AF_UNIX datagram socket: Deno cannot do both at once on Unix datagram sockets (UDP sockets can); let the recv finish first`,
        );
      }
      if (this.#closed) throw this.#fail(err, call);
      throw translateError(err, `cannot ${call} to ${describeAddress(dest)}`);
    }
  }

  /** Closes the socket; operations still waiting fail with EBADF. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#readDeadline?.clear();
    try {
      this.dgram.close();
    } catch {
      // Already closed.
    }
  }

  /**
   * The local address that an automatic bind takes for `dest`, as Python
   * binds. `sendto` binds every interface (`0.0.0.0` or `::`) whenever the
   * permission covers it; only when it does not, and `dest` is loopback,
   * the loopback address, so `--allow-net=127.0.0.1` is enough to talk to a
   * local peer. `connect` to loopback binds loopback, as the kernel's route
   * choice does for Python (`getsockname()` then shows `127.0.0.1`).
   *
   * @param family The socket's family.
   * @param host The destination host.
   * @param connecting Whether `connect()` asks (rather than `sendto()`).
   * @returns The address to bind.
   */
  static autoBindAddress(
    family: number,
    host: string,
    connecting = false,
  ): Address {
    const any = family === AF_INET6 ? "::" : "0.0.0.0";
    if (!isLoopback(host)) return [any, 0];
    if (connecting) return [family === AF_INET6 ? "::1" : "127.0.0.1", 0];
    const { state } = Deno.permissions.querySync({
      name: "net",
      host: family === AF_INET6 ? "[::]:0" : "0.0.0.0:0",
    });
    if (state === "granted") return [any, 0];
    return [family === AF_INET6 ? "::1" : "127.0.0.1", 0];
  }
}
