/**
 * Private: one operation of a kind at a time on a socket.
 *
 * Python's blocking calls cannot overlap on one socket; async calls can
 * (two `recv` awaited at once). Each direction of a socket takes turns:
 * the first call runs at once, the others wait in call order, each within
 * its own timeout, so every call gets its own data and none shares another's
 * result. A call that times out while waiting leaves the queue without
 * having touched the socket.
 *
 * @module
 */

import { type Deadline, timed } from "./_deadline.ts";

interface Ticket {
  grant(): void;
  granted: boolean;
}

/** A first-come, first-served turn for one kind of operation. */
export class Turns {
  #busy = false;
  #queue: Ticket[] = [];
  #idle: PromiseWithResolvers<void> | null = null;

  /** Whether a call has the turn. */
  get busy(): boolean {
    return this.#busy;
  }

  /**
   * Resolves once nobody has the turn (at once if nobody has it now).
   *
   * @returns A promise for the moment the last waiting call is done.
   */
  idle(): Promise<void> {
    if (!this.#busy) return Promise.resolve();
    return (this.#idle ??= Promise.withResolvers<void>()).promise;
  }

  /**
   * Takes the turn if nobody has it.
   *
   * @returns Whether the turn was free (and is now taken).
   */
  take(): boolean {
    if (this.#busy) return false;
    this.#busy = true;
    return true;
  }

  /**
   * Waits for the turn, after the calls already waiting.
   *
   * @param seconds The caller's timeout (see `timed`).
   * @param deadline The socket's deadline keeper for this direction.
   * @returns A promise of the turn; rejected if the timeout passes first.
   */
  async wait(seconds: number | null, deadline: Deadline): Promise<void> {
    if (this.take()) return;
    const ticket: Ticket = { grant: () => {}, granted: false };
    const granted = new Promise<void>((resolve) => {
      ticket.grant = () => {
        ticket.granted = true;
        resolve();
      };
    });
    this.#queue.push(ticket);
    try {
      await timed(granted, seconds, deadline);
    } catch (err) {
      if (ticket.granted) this.release();
      else this.#queue.splice(this.#queue.indexOf(ticket), 1);
      throw err;
    }
  }

  /** Gives the turn to the next caller waiting, or frees it. */
  release(): void {
    const next = this.#queue.shift();
    if (next) {
      next.grant();
      return;
    }
    this.#busy = false;
    const idle = this.#idle;
    if (idle) {
      this.#idle = null;
      idle.resolve();
    }
  }
}
