/**
 * Private: the one wait behind `select.select` and every selector: until
 * one of the objects is ready, or the timeout passes.
 *
 * Level-triggered, as the kernel's `select`: each round asks every object
 * whether it is ready now, and returns all that are. When none is, it
 * watches them all (starting the reads, accepts and receives that learn
 * it, held for the next call) and waits for the first wake-up, then asks
 * again. The wake-up calls of a round are forgotten when it ends.
 *
 * @module
 */

import {
  Deadline,
  MAX_TIMEOUT_SECONDS,
  nextTurn,
} from "../socket/_deadline.ts";
import {
  type Forget,
  READINESS,
  type Selectable,
} from "../socket/_readiness.ts";

/** The one timer of every select in the process. */
const deadline = new Deadline();

/**
 * Waits until an object of `readers` is readable or one of `writers` is
 * writable, or `timeout` passes.
 *
 * @param readers Objects to wait on for reading.
 * @param writers Objects to wait on for writing.
 * @param timeout Seconds (checked); `null` waits as long as it takes; 0
 *   polls: it reports what is ready after one turn of the event loop.
 * @returns The ready readers and writers, in the order given.
 */
export async function waitReady<T extends Selectable>(
  readers: readonly T[],
  writers: readonly T[],
  timeout: number | null,
): Promise<[T[], T[]]> {
  const end = timeout === null ? Infinity : performance.now() + timeout * 1000;
  let last = false;
  while (true) {
    if (readers.length === 0 && writers.length === 0) {
      // Nothing to wait on: a sleep, as select([], [], [], t) is in Python.
      const left = (end - performance.now()) / 1000;
      await deadline.sleep(Math.min(left, MAX_TIMEOUT_SECONDS));
      if (timeout !== null) return [[], []];
      continue;
    }
    const woken = Promise.withResolvers<void>();
    const wake = woken.resolve as () => void;
    const forget: Forget[] = [];
    try {
      // Every reader not ready yet gets its read started, even when this
      // round returns at once: a loop whose writers are always ready must
      // still see its readers become ready.
      const r: T[] = [], w: T[] = [];
      for (const s of readers) {
        const readiness = s[READINESS]();
        if (readiness.readable()) r.push(s);
        else forget.push(readiness.watchReadable(wake));
      }
      for (const s of writers) {
        const readiness = s[READINESS]();
        if (readiness.writable()) w.push(s);
        else forget.push(readiness.watchWritable(wake));
      }
      if (r.length > 0 || w.length > 0 || last) return [r, w];
      const left = (end - performance.now()) / 1000;
      if (timeout === null) {
        await woken.promise;
      } else if (left <= 0) {
        // A poll: what one turn of the event loop brings, then the answer.
        await Promise.race([woken.promise, nextTurn()]);
        last = true;
      } else {
        await deadline.within(woken.promise, left);
        if (performance.now() >= end) last = true;
      }
    } finally {
      for (const f of forget) f();
    }
  }
}
