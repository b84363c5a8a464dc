/**
 * Private: what `select` and `selectors` ask of a socket (or of the
 * standard input): whether a call would return at once, and a way to be
 * woken when that may have changed.
 *
 * Asking never loses anything. To learn that a socket is readable, its
 * engine starts the very read (or accept, or receive) the next `recv`
 * (`accept`, `recvfrom`) would have started, and holds what it brings for
 * that call: the read that `select` starts is the one the next `recv`
 * finishes.
 *
 * A `select` that returns forgets its wake-up calls (each watch returns a
 * function that does it), so a server that selects a million times over
 * idle clients holds no more than one wake-up call per waiting `select`.
 *
 * @module
 */

/** The key under which a socket hands its readiness to `select`. */
export const READINESS: unique symbol = Symbol("pysocket.readiness");

/** Forgets a wake-up call that was not needed. */
export type Forget = () => void;

/** The readiness of one socket in its present state. */
export interface Readiness {
  /**
   * Whether `recv`/`recvfrom`/`accept` would return at once: data, end of
   * stream, an error, or a connection is held.
   */
  readable(): boolean;
  /** Whether `send` would not wait: no write of ours is still running. */
  writable(): boolean;
  /**
   * Calls `wake` (at most once) when `readable()` may have changed; it may
   * still be false then: ask again. Starts the read that learns it, held
   * for the next call.
   */
  watchReadable(wake: () => void): Forget;
  /** Calls `wake` (at most once) when `writable()` may have changed. */
  watchWritable(wake: () => void): Forget;
}

/** Something `select` can wait on: a socket, or the standard input. */
export interface Selectable {
  /** The number Python would call its file descriptor. */
  fileno(): number;
  /** Its readiness now (a socket's changes as it connects or listens). */
  [READINESS](): Readiness;
}

const nothing: Forget = () => {};

/**
 * The wake-up calls waiting for one event (the end of a pending read, of
 * a write...). The event is watched once however many `select`s wait on
 * it, and the calls of a `select` that returned are forgotten.
 */
export class Wakers {
  #calls = new Set<() => void>();
  #watched: Promise<unknown> | null = null;

  /**
   * Adds `wake`, called when `event` settles (or another wake-up comes).
   *
   * @param event What the caller waits for.
   * @param wake The call.
   * @param settled Runs first when `event` settles (once per event).
   * @returns A function that forgets `wake`.
   */
  add(
    event: Promise<unknown>,
    wake: () => void,
    settled: () => void = nothing,
  ): Forget {
    if (this.#watched !== event) {
      this.#watched = event;
      const done = () => {
        if (this.#watched === event) this.#watched = null;
        settled();
        this.wake();
      };
      event.then(done, done);
    }
    this.#calls.add(wake);
    return () => this.#calls.delete(wake);
  }

  /** Calls every waiting wake-up once, and forgets them. */
  wake(): void {
    if (this.#calls.size === 0) return;
    const calls = [...this.#calls];
    this.#calls.clear();
    for (const call of calls) call();
  }
}

/**
 * The readiness of a socket whose calls all fail at once (not connected,
 * closed): readable and writable, as the kernel reports it.
 */
export const AT_ONCE: Readiness = {
  readable: () => true,
  writable: () => true,
  watchReadable: () => nothing,
  watchWritable: () => nothing,
};

/**
 * The readiness of a stream socket whose connect is still running: not
 * readable, writable once the connect is done (connected or failed), as a
 * non-blocking connect is waited for in Python.
 *
 * @param connect Settles when the connect is done.
 * @returns The readiness.
 */
export function connecting(connect: Promise<void>): Readiness {
  const watch = (wake: () => void): Forget => {
    let wanted = true;
    connect.then(() => wanted && wake());
    return () => wanted = false;
  };
  return {
    readable: () => false,
    writable: () => false,
    watchReadable: watch,
    watchWritable: watch,
  };
}

/**
 * Never wakes: for a readiness that cannot come (a listening socket is
 * never writable).
 *
 * @returns A function that forgets nothing.
 */
export function never(): Forget {
  return nothing;
}

/**
 * Whether `value` is something `select` can wait on.
 *
 * @param value Any value.
 * @returns Whether it has a readiness.
 */
export function isSelectable(value: unknown): value is Selectable {
  return typeof value === "object" && value !== null && READINESS in value &&
    typeof (value as Selectable)[READINESS] === "function";
}
