/**
 * Python's selectors: `BaseSelector`, `SelectSelector` (also
 * `DefaultSelector`), `SelectorKey`, `EVENT_READ` and `EVENT_WRITE`.
 *
 * @module
 */

import { KeyError, RuntimeError, ValueError } from "../socket/errors.ts";
import type { Socket } from "../socket/socket.ts";
import type { Selectable } from "../socket/_readiness.ts";
import { selectableFor } from "../select/_fileobj.ts";
import { waitReady } from "../select/_wait.ts";
import { checkSelectTimeout } from "../select/select.ts";
import type { Stdin } from "../select/stdin.ts";

/**
 * Wait until the object can be read (`recv`, `accept` would return at
 * once), as Python's `selectors.EVENT_READ`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EVENT_READ, EVENT_WRITE } from "@pysocket/pysocket/selectors";
 * assert.equal(EVENT_READ | EVENT_WRITE, 3);
 * ```
 */
export const EVENT_READ = 1;

/**
 * Wait until the object can be written (`send` would start at once), as
 * Python's `selectors.EVENT_WRITE`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { EVENT_WRITE } from "@pysocket/pysocket/selectors";
 * assert.equal(EVENT_WRITE, 2);
 * ```
 */
export const EVENT_WRITE = 2;

/** What a selector watches: a pysocket socket, `stdin`, or 0 (stdin's number). */
export type FileObject = Socket | Stdin | number;

/**
 * A registered object, its file descriptor, the events it is watched for
 * and the data attached to it, like Python's `SelectorKey` named tuple
 * (its fields cannot be changed: `modify` makes a new key).
 *
 * @typeParam F The type of the registered objects.
 * @typeParam D The type of the attached data.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { socket } from "@pysocket/pysocket";
 * import { DefaultSelector, EVENT_READ } from "@pysocket/pysocket/selectors";
 * using sel = new DefaultSelector<ReturnType<typeof socket>, string>();
 * using sock = socket();
 * const key = sel.register(sock, EVENT_READ, "the listener");
 * assert.equal(key.fileobj, sock);
 * assert.equal(key.fd, sock.fileno());
 * assert.equal(key.events, EVENT_READ);
 * assert.equal(key.data, "the listener");
 * ```
 */
export class SelectorKey<F = FileObject, D = unknown> {
  /** The object registered. */
  readonly fileobj: F;
  /** Its file descriptor (`fileno()`). */
  readonly fd: number;
  /** The events waited for: `EVENT_READ`, `EVENT_WRITE`, or both. */
  readonly events: number;
  /** The data given to `register` (or `modify`). */
  readonly data: D | undefined;

  /**
   * Makes a key (selectors make them; you read them).
   *
   * @param fileobj The object.
   * @param fd Its file descriptor.
   * @param events The events.
   * @param data The attached data.
   */
  constructor(fileobj: F, fd: number, events: number, data?: D) {
    this.fileobj = fileobj;
    this.fd = fd;
    this.events = events;
    this.data = data;
    Object.freeze(this);
  }

  /**
   * Shows the key as Python's `repr` does.
   *
   * @returns `SelectorKey(fileobj=..., fd=..., events=..., data=...)`.
   */
  toString(): string {
    return `SelectorKey(fileobj=${
      String(this.fileobj)
    }, fd=${this.fd}, events=${this.events}, data=${String(this.data)})`;
  }
}

/**
 * The registered objects of a selector, from `get_map()`: a read-only
 * view, like Python's mapping of file objects to keys. Looking an object
 * up finds it by its file descriptor.
 *
 * @typeParam F The type of the registered objects.
 * @typeParam D The type of the attached data.
 */
export interface SelectorMapping<F = FileObject, D = unknown> {
  /** How many objects are registered (Python's `len(mapping)`). */
  readonly size: number;
  /**
   * The key of `fileobj` (Python's `mapping[fileobj]`).
   *
   * @throws {KeyError} If it is not registered.
   */
  get(fileobj: F | number): SelectorKey<F, D>;
  /** Whether `fileobj` is registered (Python's `fileobj in mapping`). */
  has(fileobj: F | number): boolean;
  /** The file descriptors registered (Python iterates over these). */
  keys(): IterableIterator<number>;
  /** The keys. */
  values(): IterableIterator<SelectorKey<F, D>>;
  /** The file descriptors registered. */
  [Symbol.iterator](): IterableIterator<number>;
}

/** Python's `repr` of an object, for messages. */
function repr(obj: unknown): string {
  return typeof obj === "string" ? JSON.stringify(obj) : String(obj);
}

/**
 * Python's `selectors._fileobj_to_fd`: a number, or the number its
 * `fileno()` returns, never negative.
 */
function fileobjToFd(fileobj: unknown): number {
  let fd: unknown = fileobj;
  if (typeof fileobj !== "number") {
    try {
      fd = (fileobj as { fileno(): unknown }).fileno();
    } catch {
      fd = undefined;
    }
  }
  if (typeof fd !== "number" || !Number.isInteger(fd)) {
    throw new ValueError(`Invalid file object: ${repr(fileobj)}`);
  }
  if (fd < 0) throw new ValueError(`Invalid file descriptor: ${fd}`);
  return fd;
}

/**
 * The base of the selectors, like Python's `selectors.BaseSelector` (with
 * the shared implementation Python keeps in `_BaseSelectorImpl`): a table
 * of registered objects by file descriptor. `register`, `unregister`,
 * `modify`, `get_key`, `get_map` and `close` are synchronous; `select`
 * waits, so it is async.
 *
 * @typeParam F The type of the registered objects.
 * @typeParam D The type of the attached data.
 */
export abstract class BaseSelector<F = FileObject, D = unknown> {
  #keys: Map<number, SelectorKey<F, D>> | null = new Map();
  #targets = new Map<number, Selectable>();

  /**
   * Registers `fileobj` to be watched for `events`, with `data` attached.
   *
   * @param fileobj A socket, `stdin`, or 0.
   * @param events `EVENT_READ`, `EVENT_WRITE`, or both (`|`).
   * @param data Anything: a callback, a session...
   * @returns Its key.
   * @throws {ValueError} If `events` is invalid, or `fileobj` is closed or
   *   not something pysocket can wait on.
   * @throws {KeyError} If `fileobj` (or its file descriptor) is already registered.
   */
  register(fileobj: F, events: number, data?: D): SelectorKey<F, D> {
    if (
      !Number.isInteger(events) || !events ||
      (events & ~(EVENT_READ | EVENT_WRITE))
    ) {
      throw new ValueError(`Invalid events: ${repr(events)}`);
    }
    const keys = this.#open();
    const fd = this.#lookup(fileobj);
    if (keys.has(fd)) {
      throw new KeyError(`${repr(fileobj)} (FD ${fd}) is already registered`);
    }
    const target = selectableFor(fileobj, fd);
    const key = new SelectorKey<F, D>(fileobj, fd, events, data);
    keys.set(fd, key);
    this.#targets.set(fd, target);
    return key;
  }

  /**
   * Stops watching `fileobj`; works after it was closed too.
   *
   * @param fileobj A registered object.
   * @returns Its key.
   * @throws {KeyError} If it is not registered.
   */
  unregister(fileobj: F | number): SelectorKey<F, D> {
    const keys = this.#keys ?? new Map<number, SelectorKey<F, D>>();
    let fd: number;
    try {
      fd = this.#lookup(fileobj);
    } catch {
      throw new KeyError(`${repr(fileobj)} is not registered`);
    }
    const key = keys.get(fd);
    if (!key) throw new KeyError(`${repr(fileobj)} is not registered`);
    keys.delete(fd);
    this.#targets.delete(fd);
    return key;
  }

  /**
   * Changes the events or the data of a registered object.
   *
   * @param fileobj A registered object.
   * @param events The new events.
   * @param data The new data.
   * @returns Its new key.
   * @throws {KeyError} If it is not registered.
   * @throws {ValueError} If `events` is invalid.
   */
  modify(fileobj: F, events: number, data?: D): SelectorKey<F, D> {
    const keys = this.#keys ?? new Map<number, SelectorKey<F, D>>();
    let key: SelectorKey<F, D> | undefined;
    try {
      key = keys.get(this.#lookup(fileobj));
    } catch {
      key = undefined;
    }
    if (!key) throw new KeyError(`${repr(fileobj)} is not registered`);
    if (events !== key.events) {
      this.unregister(fileobj);
      return this.register(fileobj, events, data);
    }
    if (data !== key.data) {
      key = new SelectorKey<F, D>(key.fileobj, key.fd, key.events, data);
      keys.set(key.fd, key);
    }
    return key;
  }

  /**
   * Waits until registered objects are ready, or `timeout` passes.
   *
   * @param timeout Seconds; `null` or left out waits as long as it takes;
   *   0 or less polls.
   * @returns `[key, events]` for each ready object, `events` being the
   *   ready ones among those it is registered for; empty on timeout.
   * @throws {ValueError} If the selector is closed.
   */
  async select(
    timeout?: number | null,
  ): Promise<Array<[SelectorKey<F, D>, number]>> {
    const keys = this.#keys;
    if (!keys) throw new ValueError("I/O operation on closed selector");
    const seconds = checkSelectTimeout(
      timeout === null || timeout === undefined ? null : Math.max(timeout, 0),
    );
    const readers: Selectable[] = [], writers: Selectable[] = [];
    const fds = new Map<Selectable, number>();
    for (const key of keys.values()) {
      const target = this.#targets.get(key.fd)!;
      fds.set(target, key.fd);
      if (key.events & EVENT_READ) readers.push(target);
      if (key.events & EVENT_WRITE) writers.push(target);
    }
    const [r, w] = await waitReady(readers, writers, seconds);
    const ready = new Map<number, number>();
    for (const t of r) ready.set(fds.get(t)!, EVENT_READ);
    for (const t of w) {
      const fd = fds.get(t)!;
      ready.set(fd, (ready.get(fd) ?? 0) | EVENT_WRITE);
    }
    const out: Array<[SelectorKey<F, D>, number]> = [];
    for (const [fd, events] of ready) {
      // Unregistered (or modified) while select waited: as Python, the key
      // the selector holds now, or nothing.
      const key = this.#keys?.get(fd);
      if (key && (events & key.events)) out.push([key, events & key.events]);
    }
    return out;
  }

  /**
   * Forgets every registered object; the selector cannot be used again.
   * The objects themselves stay open.
   */
  close(): void {
    this.#keys?.clear();
    this.#targets.clear();
    this.#keys = null;
  }

  /**
   * The key of a registered object.
   *
   * @param fileobj A registered object.
   * @returns Its key.
   * @throws {KeyError} If it is not registered.
   * @throws {RuntimeError} If the selector is closed.
   */
  get_key(fileobj: F | number): SelectorKey<F, D> {
    const map = this.get_map();
    if (map === null) throw new RuntimeError("Selector is closed");
    return map.get(fileobj);
  }

  /**
   * The registered objects, as a read-only mapping.
   *
   * @returns The mapping, or `null` once the selector is closed (Python's `None`).
   */
  get_map(): SelectorMapping<F, D> | null {
    const keys = this.#keys;
    if (!keys) return null;
    const lookup = (fileobj: F | number): SelectorKey<F, D> | undefined => {
      try {
        return this.#keys?.get(this.#lookup(fileobj));
      } catch {
        return undefined;
      }
    };
    return {
      get size() {
        return keys.size;
      },
      get(fileobj) {
        const key = lookup(fileobj);
        if (!key) throw new KeyError(`${repr(fileobj)} is not registered`);
        return key;
      },
      has: (fileobj) => lookup(fileobj) !== undefined,
      keys: () => keys.keys(),
      values: () => keys.values(),
      [Symbol.iterator]: () => keys.keys(),
    };
  }

  /** Closes the selector at the end of a `using` block (Python's `with`). */
  [Symbol.dispose](): void {
    this.close();
  }

  #open(): Map<number, SelectorKey<F, D>> {
    if (!this.#keys) throw new ValueError("I/O operation on closed selector");
    return this.#keys;
  }

  /**
   * The file descriptor of `fileobj`, or, if it has none any more (closed),
   * that of the key registered for this very object.
   */
  #lookup(fileobj: F | number): number {
    try {
      return fileobjToFd(fileobj);
    } catch (err) {
      for (const key of this.#keys?.values() ?? []) {
        if (key.fileobj === fileobj) return key.fd;
      }
      throw err;
    }
  }
}

/**
 * A selector on `select`, like Python's `selectors.SelectSelector`; it is
 * also {@linkcode DefaultSelector}, pysocket having one mechanism.
 *
 * @typeParam F The type of the registered objects.
 * @typeParam D The type of the attached data.
 *
 * @example Echo one client (Python's selectors example, shortened)
 * ```ts
 * import assert from "node:assert/strict";
 * import * as socket from "@pysocket/pysocket";
 * import * as selectors from "@pysocket/pysocket/selectors";
 *
 * using sel = new selectors.SelectSelector<socket.Socket, "accept" | "read">();
 * using server = socket.socket();
 * server.bind(["127.0.0.1", 0]);
 * server.listen();
 * sel.register(server, selectors.EVENT_READ, "accept");
 * using client = socket.socket();
 * await client.connect(server.getsockname());
 * await client.sendall(socket.bytes("hi", "utf-8"));
 * let echoed = false;
 * while (!echoed) {
 *   for (const [key] of await sel.select(5)) {
 *     if (key.data === "accept") {
 *       const [conn] = await key.fileobj.accept();
 *       sel.register(conn, selectors.EVENT_READ, "read");
 *     } else {
 *       await key.fileobj.sendall(await key.fileobj.recv(1000));
 *       sel.unregister(key.fileobj);
 *       key.fileobj.close();
 *       echoed = true;
 *     }
 *   }
 * }
 * assert.equal(socket.str(await client.recv(1000), "utf-8"), "hi");
 * ```
 */
export class SelectSelector<F = FileObject, D = unknown>
  extends BaseSelector<F, D> {}

/**
 * The selector to use, like Python's `selectors.DefaultSelector`: the same
 * class as {@linkcode SelectSelector} (Python picks epoll or kqueue when
 * the system has them; pysocket has one mechanism).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { DefaultSelector, SelectSelector } from "@pysocket/pysocket/selectors";
 * assert.equal(DefaultSelector, SelectSelector);
 * ```
 */
export const DefaultSelector: typeof SelectSelector = SelectSelector;
/** The selector to use: the same class as {@linkcode SelectSelector}. */
export type DefaultSelector<F = FileObject, D = unknown> = SelectSelector<F, D>;
