/**
 * Limits that keep a server's memory and connection count bounded
 * whatever its peers do, and the bounded per-peer output queue that
 * enforces the memory limit.
 *
 * | Limit | Defends against |
 * | --- | --- |
 * | `maxClients` (`--max-clients`) | a crowd of connections exhausting memory and file descriptors |
 * | `maxMessage` (`--max-message`) | a peer sending endless bytes without a newline: the server would buffer them all |
 * | `idleTimeout` (`--idle-timeout`) | connections opened and left silent, holding a slot forever |
 * | `maxQueued` (derived) | a peer that never reads: every broadcast would pile up for it |
 *
 * A queue never blocks its producer: a server broadcasting to a thousand
 * peers must not wait for the slowest. Instead each queue counts the bytes
 * it holds, including the write in flight, and a peer whose queue would
 * pass {@linkcode Limits.maxQueued} is disconnected. The kernel's socket
 * buffers absorb the short stalls of a healthy reader; only a peer that
 * stopped reading for good reaches the bound.
 *
 * @example
 * ```ts
 * import { checkLimits } from "./_limits.ts";
 * const limits = checkLimits({ maxMessage: 1024 });
 * console.log(limits.maxMessage, limits.maxQueued); // 1024 1048576
 * ```
 *
 * @module
 */

import type { Socket } from "../socket/socket.ts";

/** Limits of a server; every field is bounded, none is optional once checked. */
export interface Limits {
  /**
   * The most clients connected at once; `null` for no limit.
   *
   * @default {null}
   */
  maxClients: number | null;
  /**
   * The longest message accepted, in bytes, not counting its newline.
   *
   * @default {65536}
   */
  maxMessage: number;
  /**
   * Seconds a connection may stay silent before it is closed; `null`
   * waits forever.
   *
   * @default {null}
   */
  idleTimeout: number | null;
  /**
   * The most bytes waiting to be sent to one peer: past it, the peer is
   * disconnected.
   *
   * @default {max(1 MiB, 16 × maxMessage)}
   */
  maxQueued: number;
}

/** The default longest message: 64 KiB, one read of the chat programs. */
export const DEFAULT_MAX_MESSAGE = 65536;
/** The floor of the per-peer output queue: 1 MiB. */
export const MIN_MAX_QUEUED = 1 << 20;

/**
 * Fills in defaults and checks each limit.
 *
 * @param limits Some limits.
 * @returns Every limit, checked.
 * @throws {RangeError} For a limit that is not a positive number (or a
 * whole number, for counts and bytes).
 *
 * @example
 * ```ts
 * import { checkLimits } from "./_limits.ts";
 * console.log(checkLimits({}).maxMessage); // 65536
 * try {
 *   checkLimits({ maxClients: 0 });
 * } catch (err) {
 *   console.log((err as Error).message); // "maxClients must be a whole number above 0, got 0"
 * }
 * ```
 */
export function checkLimits(limits: Partial<Limits>): Limits {
  const whole = (name: string, value: number) => {
    if (!Number.isSafeInteger(value) || value <= 0) {
      throw new RangeError(
        `${name} must be a whole number above 0, got ${String(value)}`,
      );
    }
    return value;
  };
  const maxMessage = whole(
    "maxMessage",
    limits.maxMessage ?? DEFAULT_MAX_MESSAGE,
  );
  const maxClients = limits.maxClients == null
    ? null
    : whole("maxClients", limits.maxClients);
  const idleTimeout = limits.idleTimeout ?? null;
  if (
    idleTimeout !== null &&
    !(typeof idleTimeout === "number" && Number.isFinite(idleTimeout) &&
      idleTimeout > 0)
  ) {
    throw new RangeError(
      `idleTimeout must be a number of seconds above 0, got ${
        String(idleTimeout)
      }`,
    );
  }
  const maxQueued = whole(
    "maxQueued",
    limits.maxQueued ?? Math.max(MIN_MAX_QUEUED, 16 * maxMessage),
  );
  return { maxClients, maxMessage, idleTimeout, maxQueued };
}

/** What {@linkcode SendQueue} calls when it gives up on its peer. */
export interface SendQueueHandlers {
  /**
   * The peer's queue would pass its bound: it is not reading.
   *
   * @default {undefined}
   */
  onOverflow?: (queued: number) => void;
  /**
   * A write failed (the peer reset or closed).
   *
   * @default {undefined}
   */
  onError?: (error: unknown) => void;
}

/**
 * A bounded queue of bytes for one peer, written in order by one writer
 * loop. {@linkcode SendQueue.push} never waits; it refuses (and calls
 * `onOverflow` once) when the bytes waiting, including the write in
 * flight, would pass `maxQueued`. Chunks queued together are joined into
 * one write.
 *
 * @example
 * ```ts
 * import { SendQueue } from "./_limits.ts";
 * import { socket } from "../../mod.ts";
 *
 * using server = socket();
 * server.bind(["127.0.0.1", 0]);
 * server.listen();
 * using client = socket();
 * await client.connect(server.getsockname());
 * const [conn] = await server.accept();
 * const queue = new SendQueue(conn, 1024);
 * queue.push(new TextEncoder().encode("one "));
 * queue.push(new TextEncoder().encode("two"));
 * console.log(queue.push(new Uint8Array(2048))); // false: past the bound
 * await queue.drained();
 * console.log(new TextDecoder().decode(await client.recv(1024))); // "one two"
 * conn.close();
 * ```
 */
export class SendQueue {
  #sock: Socket;
  #max: number;
  #handlers: SendQueueHandlers;
  #chunks: Uint8Array[] = [];
  #queued = 0;
  #writing = false;
  #stopped = false;
  #idle: (() => void)[] = [];

  /**
   * Makes the queue.
   *
   * @param sock The connected socket it writes to.
   * @param maxQueued The most bytes it may hold.
   * @param handlers Called when it gives up.
   */
  constructor(
    sock: Socket,
    maxQueued: number,
    handlers: SendQueueHandlers = {},
  ) {
    this.#sock = sock;
    this.#max = maxQueued;
    this.#handlers = handlers;
  }

  /** The bytes waiting, including the write in flight. */
  get queued(): number {
    return this.#queued;
  }

  /** Whether the queue has given up (overflow, error, or {@linkcode SendQueue.stop}). */
  get stopped(): boolean {
    return this.#stopped;
  }

  /**
   * Queues bytes for the peer. The bytes are not copied: do not change
   * them afterwards (one buffer may go to every peer of a broadcast).
   *
   * @param data The bytes.
   * @returns `false` if the queue has stopped, or has just overflowed.
   */
  push(data: Uint8Array): boolean {
    if (this.#stopped) return false;
    if (this.#queued + data.length > this.#max) {
      const queued = this.#queued;
      this.stop();
      this.#handlers.onOverflow?.(queued + data.length);
      return false;
    }
    if (data.length === 0) return true;
    this.#chunks.push(data);
    this.#queued += data.length;
    if (!this.#writing) this.#pump();
    return true;
  }

  /** Drops what is waiting and stops accepting more. */
  stop(): void {
    this.#stopped = true;
    this.#chunks = [];
    if (!this.#writing) this.#queued = 0;
    this.#wakeIdle();
  }

  /**
   * Resolves once everything queued so far is written, or the queue has
   * stopped.
   *
   * @returns A promise of that moment.
   */
  drained(): Promise<void> {
    if (!this.#writing || this.#stopped) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  #wakeIdle(): void {
    for (const wake of this.#idle.splice(0)) wake();
  }

  async #pump(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#chunks.length > 0 && !this.#stopped) {
        const chunks = this.#chunks;
        this.#chunks = [];
        let data: Uint8Array;
        if (chunks.length === 1) data = chunks[0];
        else {
          let size = 0;
          for (const chunk of chunks) size += chunk.length;
          data = new Uint8Array(size);
          let at = 0;
          for (const chunk of chunks) {
            data.set(chunk, at);
            at += chunk.length;
          }
        }
        try {
          await this.#sock.sendall(data);
        } catch (err) {
          if (!this.#stopped) {
            this.stop();
            this.#handlers.onError?.(err);
          }
          return;
        }
        this.#queued -= data.length;
      }
    } finally {
      this.#writing = false;
      if (this.#stopped) this.#queued = 0;
      this.#wakeIdle();
    }
  }
}
