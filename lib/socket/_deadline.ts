/**
 * Timeouts for socket operations without a timer per call.
 *
 * A socket with a timeout waits on many short operations (a `recv` in a
 * ping-pong loop completes in microseconds). Creating and clearing a timer
 * for each would cost more than the read itself, so each socket keeps one
 * lazily armed timer per direction: every wait moves the deadline forward,
 * and the timer, when it fires early, re-arms itself for the time left.
 *
 * @module
 */

/** One direction's deadline keeper (reads, writes or connecting). */
export class Deadline {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #firesAt = 0;
  #deadline = 0;
  #expire: (() => void) | null = null;

  /**
   * Waits for `operation`, or rejects with `onTimeout()` once `ms` pass.
   * The operation itself is left running: the caller keeps it, so that a
   * later call can pick up its result and nothing is lost.
   *
   * @param operation The pending operation.
   * @param ms The timeout in milliseconds.
   * @param onTimeout Builds the error to reject with.
   * @returns What the operation resolves to.
   */
  wait<T>(
    operation: Promise<T>,
    ms: number,
    onTimeout: () => Error,
  ): Promise<T> {
    this.#deadline = performance.now() + ms;
    return new Promise<T>((resolve, reject) => {
      const expire = () => reject(onTimeout());
      this.#expire = expire;
      operation.then(
        (value) => {
          if (this.#expire === expire) this.#expire = null;
          resolve(value);
        },
        (err) => {
          if (this.#expire === expire) this.#expire = null;
          reject(err);
        },
      );
      // Re-arm only when no timer runs, or it would fire too late (the
      // timeout was shortened); otherwise the running one is reused.
      if (this.#timer === undefined) this.#arm(ms);
      else if (this.#firesAt > this.#deadline + 1) {
        clearTimeout(this.#timer);
        this.#arm(ms);
      }
    });
  }

  /** Stops the timer (on close). */
  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#expire = null;
  }

  #arm(ms: number): void {
    this.#firesAt = performance.now() + ms;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, ms));
    // A pending operation keeps the process alive; the timer need not.
    Deno.unrefTimer(this.#timer);
  }

  #fire(): void {
    this.#timer = undefined;
    const expire = this.#expire;
    if (!expire) return; // Nothing waits: stay idle until the next wait.
    const left = this.#deadline - performance.now();
    if (left > 0.5) {
      this.#arm(left);
      return;
    }
    this.#expire = null;
    expire();
  }
}

/**
 * Resolves after the current turn of the event loop: long enough for data
 * that has already arrived to be read, short enough to count as "at once"
 * for non-blocking sockets.
 *
 * @returns A promise that resolves on the next macrotask.
 */
export function nextTurn(): Promise<"later"> {
  return new Promise((resolve) => setTimeout(() => resolve("later"), 0));
}

/**
 * Checks a timeout value the way Python does: `null` (or nothing) for none,
 * else a non-negative number of seconds.
 *
 * @param value The timeout given.
 * @param what The call that received it, for messages.
 * @returns The timeout.
 */
export function checkTimeout(value: unknown, what: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(
      `${what}: timeout must be a number of seconds or null, got ${
        String(value)
      }`,
    );
  }
  if (value < 0) throw new RangeError(`${what}: timeout value out of range`);
  return value;
}
