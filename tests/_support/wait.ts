/**
 * Waiting with a deadline: the one mechanism behind every "wait until"
 * in the tests. {@linkcode Waiters} re-checks a condition whenever its
 * owner reports news (output from a child, bytes from a peer) and fails
 * with a description of what it saw once the deadline passes;
 * {@linkcode poll} does the same for conditions nobody reports (a terminal
 * screen, a kernel table); {@linkcode within} bounds a single promise.
 * Every timer is cleared, so no test leaks one.
 *
 * @module
 */

import { WAIT_MS } from "./paths.ts";

/** Sleeps for `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Waits for `promise`, failing with `what` after `ms` milliseconds. */
export async function within<T>(
  promise: Promise<T>,
  ms: number,
  what: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: no result within ${ms} ms`)),
      ms,
    );
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** A value other than `undefined` or `false` ends a wait. */
export type Found<T> = T | undefined | false;

/**
 * Calls `check` every `everyMs` until it returns a value other than
 * `undefined` or `false`, and returns that value; fails after `ms`, with
 * `seen()` (what was there last) in the message.
 */
export async function poll<T>(
  what: string,
  check: () => Found<T> | Promise<Found<T>>,
  options: { ms?: number; everyMs?: number; seen?: () => string } = {},
): Promise<T> {
  const { ms = WAIT_MS, everyMs = 20, seen } = options;
  const deadline = Date.now() + ms;
  while (true) {
    const found = await check();
    if (found !== undefined && found !== false) return found;
    if (Date.now() > deadline) {
      throw new Error(
        `Gave up waiting for ${what} after ${ms} ms` +
          (seen ? `\n${seen()}` : ""),
      );
    }
    await sleep(everyMs);
  }
}

/**
 * Conditions waiting on something that reports its news: the owner calls
 * {@linkcode Waiters.notify} whenever its state changes, and
 * {@linkcode Waiters.until} re-checks then (and every 200 ms regardless).
 */
export class Waiters {
  #wakers = new Set<() => void>();

  /** Wakes every wait, so each re-checks its condition. */
  notify(): void {
    for (const wake of this.#wakers) wake();
  }

  /**
   * Waits until `check` returns a value other than `undefined` or `false`
   * and returns it. Fails when `ms` have passed, or at once when `over()`
   * says nothing more can change; the message names `what` and adds
   * `seen()`.
   */
  async until<T>(
    what: string,
    check: () => Found<T>,
    options: { ms?: number; over?: () => boolean; seen?: () => string } = {},
  ): Promise<T> {
    const { ms = WAIT_MS, over = () => false, seen = () => "" } = options;
    const deadline = Date.now() + ms;
    while (true) {
      const found = check();
      if (found !== undefined && found !== false) return found;
      const left = deadline - Date.now();
      const ended = over();
      if (left <= 0 || ended) {
        throw new Error(
          `Gave up waiting for ${what} ` +
            (ended ? "(nothing more can come)" : `after ${ms} ms`) +
            `\n${seen()}`,
        );
      }
      let wake!: () => void;
      const woken = new Promise<void>((resolve) => wake = resolve);
      this.#wakers.add(wake);
      const timer = setTimeout(wake, Math.min(left, 200));
      await woken;
      clearTimeout(timer);
      this.#wakers.delete(wake);
    }
  }
}
