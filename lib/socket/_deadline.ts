/**
 * Private: the one timeout mechanism of pysocket, used by the library's
 * sockets and by the command alike.
 *
 * A socket with a timeout waits on many short operations (a `recv` in a
 * ping-pong loop completes in microseconds). Creating and clearing a timer
 * for each would cost more than the read itself, so a {@linkcode Deadline}
 * keeps one lazily armed timer for any number of waits: a wait whose
 * deadline is later than the armed timer does not touch it, and the timer,
 * when it fires, expires the waits that are due and re-arms itself for the
 * next one. A timer never holds more than `setTimeout` can (2^31 - 1 ms):
 * longer waits are armed in chunks, so they neither fire early nor print
 * Deno's overflow warning.
 *
 * @module
 */

import {
  BlockingIOError,
  OverflowError,
  TimeoutError,
  ValueError,
} from "./errors.ts";
import { errno as ERRNO } from "./constants.ts";

/** The longest delay `setTimeout` holds: longer ones fire after 1 ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The longest timeout Python takes, in seconds: 2^63 nanoseconds. Longer
 * ones (`Infinity`) are an `OverflowError`, as in Python.
 */
export const MAX_TIMEOUT_SECONDS = 9223372036.854775;

/** What {@linkcode Deadline.within} resolves to when time runs out. */
export const TIMED_OUT: unique symbol = Symbol("timed out");

interface Waiter {
  at: number;
  expire(): void;
  /** Whether the wait alone keeps the process running ({@linkcode Deadline.sleep}). */
  keepAlive?: boolean;
}

/** Deadlines for any number of waits, on one lazily re-armed timer. */
export class Deadline {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #firesAt = Infinity;
  #waiters: Waiter[] = [];
  #keepAlive = 0;
  /** The wait of {@linkcode Deadline.waitOne}, reused call after call. */
  #one = {
    active: false,
    at: 0,
    reject: (_error: Error): void => {},
    onTimeout: (): Error => new Error(),
  };

  /**
   * Waits for `operation`, or rejects with `onTimeout()` once `ms` pass.
   * The operation itself is left running: the caller keeps it, so that a
   * later call can pick up its result and nothing is lost.
   *
   * @param operation The pending operation.
   * @param ms The time allowed, in milliseconds.
   * @param onTimeout Builds the error to reject with.
   * @returns What the operation resolves to.
   */
  wait<T>(
    operation: Promise<T>,
    ms: number,
    onTimeout: () => Error,
  ): Promise<T> {
    return this.#race<T, never>(
      operation,
      ms,
      (_, reject) => reject(onTimeout()),
    );
  }

  /** Settles with `operation`, or as `expire` says once `ms` pass. */
  #race<T, R>(
    operation: Promise<T>,
    ms: number,
    expire: (resolve: (value: R) => void, reject: (err: Error) => void) => void,
  ): Promise<T | R> {
    return new Promise<T | R>((resolve, reject) => {
      const waiter = {
        at: performance.now() + ms,
        expire: () => expire(resolve, reject),
      };
      this.#add(waiter);
      operation.then(
        (value) => {
          this.#remove(waiter);
          resolve(value);
        },
        (err) => {
          this.#remove(waiter);
          reject(err);
        },
      );
    });
  }

  /**
   * {@linkcode Deadline.wait} for one wait at a time (a socket's reads, or
   * its writes, which take turns), without allocating a record per call:
   * the hot path of a socket with a timeout. A new call replaces the last
   * one, which must have settled.
   *
   * @param operation The pending operation.
   * @param ms The time allowed, in milliseconds.
   * @param onTimeout Builds the error to reject with.
   * @returns What the operation resolves to.
   */
  waitOne<T>(
    operation: Promise<T>,
    ms: number,
    onTimeout: () => Error,
  ): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const one = this.#one;
      one.active = true;
      one.at = performance.now() + ms;
      one.reject = reject;
      one.onTimeout = onTimeout;
      if (one.at < this.#firesAt - 1) {
        if (this.#timer !== undefined) clearTimeout(this.#timer);
        this.#arm(one.at);
      }
      // Settling first makes a later expiry a no-op: no clean-up needed.
      operation.then(resolve, reject);
    });
  }

  /**
   * Waits for `operation`, or resolves to {@linkcode TIMED_OUT} once
   * `seconds` pass (never, for `null`).
   *
   * @param operation The pending operation.
   * @param seconds The time allowed, or `null` for no limit.
   * @returns What the operation resolves to, or `TIMED_OUT`.
   */
  within<T>(
    operation: Promise<T>,
    seconds: number | null | undefined,
  ): Promise<T | typeof TIMED_OUT> {
    if (seconds === null || seconds === undefined) return operation;
    return this.#race<T, typeof TIMED_OUT>(
      operation,
      seconds * 1000,
      (resolve) => resolve(TIMED_OUT),
    );
  }

  /**
   * Resolves after `seconds`, or at once if `seconds` is not above 0.
   *
   * @param seconds How long to sleep.
   * @returns A promise of that moment.
   */
  sleep(seconds: number): Promise<void> {
    if (!(seconds > 0)) return Promise.resolve();
    return new Promise((resolve) =>
      this.#add({
        at: performance.now() + seconds * 1000,
        expire: () => {
          this.#keepAlive--;
          resolve();
        },
        keepAlive: true,
      })
    );
  }

  /**
   * Resolves once `last()` (a `performance.now()` time, such as the last
   * byte's) is `seconds` in the past: a wait for quiet that each new
   * activity extends.
   *
   * @param seconds The quiet time.
   * @param last When the last activity was.
   * @returns A promise of the quiet.
   */
  async quiet(seconds: number, last: () => number): Promise<void> {
    while (true) {
      const left = last() + seconds * 1000 - performance.now();
      if (left <= 0) return;
      await this.sleep(left / 1000);
    }
  }

  /** Stops the timer and forgets every wait (they never expire). */
  clear(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#firesAt = Infinity;
    this.#waiters = [];
    this.#keepAlive = 0;
    this.#one.active = false;
  }

  #add(waiter: Waiter): void {
    this.#waiters.push(waiter);
    if (
      waiter.keepAlive && this.#keepAlive++ === 0 && this.#timer !== undefined
    ) {
      Deno.refTimer(this.#timer);
    }
    // Re-arm only when no timer runs or it would fire too late; otherwise
    // the running one is reused and re-arms itself when it fires.
    if (waiter.at < this.#firesAt - 1) {
      if (this.#timer !== undefined) clearTimeout(this.#timer);
      this.#arm(waiter.at);
    }
  }

  #remove(waiter: Waiter): void {
    const waiters = this.#waiters;
    const at = waiters.indexOf(waiter);
    if (at === -1) return;
    const last = waiters.pop()!;
    if (last !== waiter) waiters[at] = last;
  }

  #arm(at: number): void {
    const ms = Math.min(MAX_TIMER_MS, Math.max(0, at - performance.now()));
    this.#firesAt = performance.now() + ms;
    this.#timer = setTimeout(() => this.#fire(), ms);
    // A pending operation keeps the process alive; the timer need not,
    // unless a sleep waits on it alone.
    if (this.#keepAlive === 0) Deno.unrefTimer(this.#timer);
  }

  #fire(): void {
    this.#timer = undefined;
    this.#firesAt = Infinity;
    const now = performance.now();
    const due: Waiter[] = [];
    let next = Infinity;
    const one = this.#one;
    if (one.active) {
      if (one.at <= now + 0.5) {
        one.active = false;
        one.reject(one.onTimeout());
      } else {
        next = one.at;
      }
    }
    const waiters = this.#waiters;
    for (let i = waiters.length - 1; i >= 0; i--) {
      const waiter = waiters[i];
      if (waiter.at <= now + 0.5) {
        due.push(waiter);
        const last = waiters.pop()!;
        if (last !== waiter) waiters[i] = last;
      } else if (waiter.at < next) {
        next = waiter.at;
      }
    }
    if (next !== Infinity) this.#arm(next);
    for (let i = due.length - 1; i >= 0; i--) due[i].expire();
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
 * Waits for a socket operation within a socket's timeout, as Python's
 * blocking calls do: `null` waits forever, 0 fails with
 * `BlockingIOError` unless the operation completes within this turn of
 * the event loop, and a number of seconds fails with `TimeoutError`
 * ("timed out") once it passes. The operation is left running either way.
 *
 * @param operation The pending operation.
 * @param seconds The socket's timeout.
 * @param deadline The socket's deadline keeper for this direction.
 * @param onTimeout Builds the error for a timeout.
 * @param onWouldBlock Builds the error for a non-blocking socket.
 * @returns What the operation resolves to.
 */
export function timed<T>(
  operation: Promise<T>,
  seconds: number | null,
  deadline: Deadline,
  onTimeout: () => Error = timedOut,
  onWouldBlock: () => Error = wouldBlock,
): Promise<T> {
  if (seconds === null) return operation;
  if (seconds === 0) {
    return Promise.race([operation, nextTurn()]).then((value) => {
      if (value === "later") throw onWouldBlock();
      return value as T;
    });
  }
  return deadline.wait(operation, seconds * 1000, onTimeout);
}

/**
 * {@linkcode timed} for the operation a socket's direction has in flight,
 * one at a time (its calls take turns): {@linkcode Deadline.waitOne}.
 *
 * @param operation The pending operation.
 * @param seconds The socket's timeout.
 * @param deadline The socket's deadline keeper for this direction.
 * @returns What the operation resolves to.
 */
export function timedOne<T>(
  operation: Promise<T>,
  seconds: number | null,
  deadline: Deadline,
): Promise<T> {
  if (seconds === null || seconds === 0) {
    return timed(operation, seconds, deadline);
  }
  return deadline.waitOne(operation, seconds * 1000, timedOut);
}

function timedOut(): Error {
  return new TimeoutError("timed out");
}

function wouldBlock(): Error {
  return new BlockingIOError(
    ERRNO.EWOULDBLOCK,
    "Resource temporarily unavailable",
  );
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
  if (value < 0) throw new ValueError(`${what}: Timeout value out of range`);
  if (value > MAX_TIMEOUT_SECONDS) {
    throw new OverflowError(
      `${what}: timestamp too large to convert to C _PyTime_t (${value} s; Python's limit is ${MAX_TIMEOUT_SECONDS} s)`,
    );
  }
  return value;
}
