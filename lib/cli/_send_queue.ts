/**
 * A bounded queue of bytes for one peer: a server broadcasting to a
 * thousand peers must not wait for the slowest, so {@linkcode SendQueue.push}
 * never waits. Each queue counts the bytes it holds, including the write
 * in flight, and refuses what would pass its bound: the peer is then
 * disconnected instead of the server's memory growing. The kernel's socket
 * buffers absorb the short stalls of a healthy reader; only a peer that
 * stopped reading for good reaches the bound.
 *
 * @module
 */

import type { Socket } from "../socket/socket.ts";

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
 * import assert from "node:assert/strict";
 * import { SendQueue } from "./_send_queue.ts";
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
 * await queue.drained();
 * let received = "";
 * while (received.length < 7) {
 *   received += new TextDecoder().decode(await client.recv(1024));
 * }
 * assert.equal(received, "one two");
 * assert.equal(queue.push(new Uint8Array(2048)), false); // past the bound
 * assert.equal(queue.stopped, true); // the peer is to be dropped
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
