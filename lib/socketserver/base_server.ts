/**
 * `BaseServer`, the request loop every server of Python's `socketserver`
 * shares: {@linkcode BaseServer.serve_forever}, {@linkcode BaseServer.handle_request},
 * {@linkcode BaseServer.shutdown} and the hooks a subclass overrides.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import type { Address } from "../socket/address.ts";
import { OSError, TimeoutError } from "../socket/errors.ts";
import type { Socket } from "../socket/socket.ts";
import { checkTimeout, Deadline, TIMED_OUT } from "../socket/_deadline.ts";
import type { BaseRequestHandler, DatagramRequest } from "./request_handler.ts";
import { pythonRepr } from "./_repr.ts";

/**
 * What a server hands its handler as `request`: the accepted connection
 * for stream servers, `[data, socket]` for datagram servers.
 */
export type Request = Socket | DatagramRequest;

/**
 * A request handler class, as given to a server's constructor: the server
 * makes one instance per request.
 */
export type RequestHandlerClass = new (
  request: never,
  client_address: Address,
  server: never,
) => BaseRequestHandler<unknown, BaseServer>;

/** The outcome of one `get_request()`, kept until the loop takes it. */
type Got =
  | { ok: true; request: Request; client_address: Address }
  | { ok: false; error: unknown };

/** Where `shutdown()` is called from: inside the loop's own request. */
const insideLoop = new AsyncLocalStorage<object>();

/**
 * Python's `socketserver.BaseServer`: the loop that waits for requests
 * and hands each to {@linkcode BaseServer.process_request}. It owns no
 * socket; {@linkcode TCPServer} and the others add one. Subclass it only
 * for a server of your own kind (override `get_request` and `fileno`).
 *
 * Every method that waits is async: `serve_forever`, `handle_request`,
 * `shutdown`, `server_close`, and the hooks (`process_request`,
 * `finish_request`, `shutdown_request`, `handle_error`...), which may be
 * overridden with sync or async methods alike; the loop awaits them.
 *
 * `using` closes the server's socket at the end of the block without
 * waiting for running handlers; `await using` waits as
 * {@linkcode BaseServer.server_close} does.
 */
export abstract class BaseServer implements Disposable, AsyncDisposable {
  /**
   * Seconds {@linkcode BaseServer.handle_request} waits for a request before
   * calling {@linkcode BaseServer.handle_timeout}; `null` waits forever.
   * `serve_forever` ignores it, as in Python.
   *
   * @default {null}
   */
  static timeout: number | null = null;

  /** The address the server serves: after binding, the real one (port 0 becomes the port the OS chose). */
  server_address: Address;
  /** The class instantiated for each request. */
  RequestHandlerClass: RequestHandlerClass;

  #shutdownRequest = false;
  #serving = false;
  #isShutDown: Promise<void> = Promise.resolve();
  #wake: () => void = () => {};
  #woken: Promise<void> = Promise.resolve();
  #pending: Promise<Got> | null = null;
  #current: object | null = null;
  #deadline = new Deadline();

  /**
   * Keeps the address and the handler class. Subclasses open the socket.
   *
   * @param server_address The address to serve.
   * @param RequestHandlerClass The handler class, instantiated per request.
   */
  constructor(
    server_address: Address,
    RequestHandlerClass: RequestHandlerClass,
  ) {
    this.server_address = server_address;
    this.RequestHandlerClass = RequestHandlerClass;
  }

  /** The value of a static field, as overridden by the instance's class. */
  protected classValue<T>(name: string): T {
    return (this.constructor as unknown as Record<string, T>)[name];
  }

  /** Called by the constructor to activate the server. May be overridden. */
  server_activate(): void {}

  /**
   * Handles one request at a time until {@linkcode BaseServer.shutdown}.
   * Between requests, and at least every `poll_interval` seconds, it calls
   * {@linkcode BaseServer.service_actions}. A handler that throws goes to
   * {@linkcode BaseServer.handle_error} and the loop goes on; so does a
   * failed `get_request()` (an `OSError`), after `poll_interval` seconds
   * (0.5 when it is `null`) so that a persistent failure (out of
   * descriptors) does not spin.
   *
   * Unlike Python's, which polls, a `shutdown()` ends the wait at once.
   *
   * @param poll_interval Seconds between calls of `service_actions` while
   * idle; `null` calls it only after requests.
   * @returns Once `shutdown()` has been called and the current request is done.
   */
  async serve_forever(poll_interval = 0.5): Promise<void> {
    const interval = checkTimeout(poll_interval, "serve_forever()");
    let done!: () => void;
    this.#isShutDown = new Promise((resolve) => done = resolve);
    this.#serving = true;
    this.#woken = new Promise((resolve) => this.#wake = resolve);
    try {
      while (!this.#shutdownRequest) {
        const got = await this.#wait(interval, true);
        if (this.#shutdownRequest) break;
        if (got !== TIMED_OUT) {
          if (got.ok) {
            const token = {};
            this.#current = token;
            try {
              await insideLoop.run(
                token,
                () => this.#handle(got.request, got.client_address),
              );
            } finally {
              this.#current = null;
            }
          } else if (got.error instanceof TimeoutError) {
            // The socket's own timeout passed: nothing arrived.
          } else if (
            got.error instanceof OSError && this.fileno() !== -1
          ) {
            await this.#deadline.within(this.#woken, interval ?? 0.5);
          } else {
            throw got.error;
          }
        }
        await this.service_actions();
      }
    } finally {
      this.#shutdownRequest = false;
      this.#serving = false;
      done();
    }
  }

  /**
   * Stops {@linkcode BaseServer.serve_forever} and resolves once it has
   * returned. Unlike Python's, it may be awaited from a handler: the loop
   * stops waiting at once; a handler running inside the loop itself (a
   * server without `ThreadingMixIn`) gets its answer at once, and the loop
   * returns when that handler is done. Called while no `serve_forever`
   * runs, the next one returns at once, as in Python, and this resolves
   * without waiting.
   *
   * @returns Once `serve_forever` has returned.
   */
  async shutdown(): Promise<void> {
    this.#shutdownRequest = true;
    this.#wake();
    if (!this.#serving) return;
    const store = insideLoop.getStore();
    if (store !== undefined && store === this.#current) return;
    await this.#isShutDown;
  }

  /**
   * Called by the `serve_forever` loop after each request and each
   * `poll_interval` while idle. May be overridden.
   */
  service_actions(): void | Promise<void> {}

  /**
   * Handles one request, waiting for it at most the server's `timeout` (or
   * the socket's, whichever is shorter); when that passes, calls
   * {@linkcode BaseServer.handle_timeout} instead.
   *
   * @returns Once the request (or the timeout) has been handled.
   */
  async handle_request(): Promise<void> {
    const sockTimeout = this.socketTimeout();
    const own = this.classValue<number | null>("timeout");
    let timeout = sockTimeout ?? own;
    if (sockTimeout !== null && own !== null) {
      timeout = Math.min(sockTimeout, own);
    }
    const got = await this.#wait(timeout, false);
    if (got === TIMED_OUT) return await this.handle_timeout();
    if (got.ok) return await this.#handle(got.request, got.client_address);
    if (got.error instanceof TimeoutError) return await this.handle_timeout();
    if (got.error instanceof OSError) return;
    throw got.error;
  }

  /** The timeout of the server's socket, if it has one (`null` for none). */
  protected socketTimeout(): number | null {
    return null;
  }

  /**
   * Waits for the next request within `timeout` seconds, or (in
   * `serve_forever`) a `shutdown()`. A request that arrives after the wait
   * ended is kept for the next one, never lost.
   */
  async #wait(
    timeout: number | null,
    wakeable: boolean,
  ): Promise<Got | typeof TIMED_OUT> {
    const pending = this.#pending ??= this.#getRequest();
    const race = wakeable
      ? Promise.race([
        pending,
        this.#woken.then((): typeof TIMED_OUT => TIMED_OUT),
      ])
      : pending;
    const got = await this.#deadline.within(race, timeout);
    if (got !== TIMED_OUT) this.#pending = null;
    return got;
  }

  async #getRequest(): Promise<Got> {
    try {
      const [request, client_address] = await this.get_request();
      return { ok: true, request, client_address };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** Python's `_handle_request_noblock`, once a request has arrived. */
  async #handle(request: Request, client_address: Address): Promise<void> {
    if (await this.verify_request(request, client_address)) {
      try {
        await this.process_request(request, client_address);
      } catch (error) {
        await this.handle_error(request, client_address, error);
        await this.shutdown_request(request);
      }
    } else {
      await this.shutdown_request(request);
    }
  }

  /**
   * Gets the next request and the client's address. Overridden by each
   * kind of server.
   *
   * @returns `[request, client_address]`.
   */
  abstract get_request(): Promise<[Request, Address]>;

  /**
   * The identifier of the server's socket (pysocket's counter, as
   * `Socket.fileno()`), or -1 once closed.
   *
   * @returns The number.
   */
  abstract fileno(): number;

  /**
   * Called when {@linkcode BaseServer.handle_request} waited `timeout`
   * seconds for nothing. May be overridden.
   */
  handle_timeout(): void | Promise<void> {}

  /**
   * Decides whether to handle a request; `false` closes it unhandled. May
   * be overridden (the default accepts every request).
   *
   * @param _request The request.
   * @param _client_address The client's address.
   * @returns Whether to proceed.
   */
  verify_request(
    _request: Request,
    _client_address: Address,
  ): boolean | Promise<boolean> {
    return true;
  }

  /**
   * Handles the request: finishes it, then shuts it down. `ThreadingMixIn`
   * overrides it to run each request as its own task.
   *
   * @param request The request.
   * @param client_address The client's address.
   */
  async process_request(
    request: Request,
    client_address: Address,
  ): Promise<void> {
    await this.finish_request(request, client_address);
    await this.shutdown_request(request);
  }

  /**
   * Cleans up the server: closes its socket (in the subclasses, at once,
   * before the first `await`). May be overridden.
   *
   * @returns Once the server is closed (with `ThreadingMixIn`, once the
   * running handlers are done, when `block_on_close` is true).
   */
  server_close(): Promise<void> {
    return Promise.resolve();
  }

  /**
   * Finishes one request by instantiating `RequestHandlerClass`, whose
   * `setup`, `handle` and `finish` run once its constructor has returned;
   * resolves when they are done and rejects with what `handle` threw.
   *
   * @param request The request.
   * @param client_address The client's address.
   */
  async finish_request(
    request: Request,
    client_address: Address,
  ): Promise<void> {
    const Handler = this.RequestHandlerClass as unknown as new (
      request: Request,
      client_address: Address,
      server: BaseServer,
    ) => BaseRequestHandler<unknown, BaseServer>;
    await new Handler(request, client_address, this).handled;
  }

  /**
   * Shuts down and closes one request. May be overridden.
   *
   * @param request The request.
   */
  async shutdown_request(request: Request): Promise<void> {
    await this.close_request(request);
  }

  /**
   * Cleans up one request. May be overridden.
   *
   * @param _request The request.
   */
  close_request(_request: Request): void | Promise<void> {}

  /**
   * Handles an error a request raised, as Python does: prints the client's
   * address and the error (with its stack, Python's traceback) to stderr
   * between two lines of dashes, and the server goes on. May be
   * overridden.
   *
   * @param _request The request.
   * @param client_address The client's address.
   * @param error What was thrown (Python reads it from `sys.exc_info()`).
   */
  handle_error(
    _request: Request,
    client_address: Address,
    error: unknown,
  ): void | Promise<void> {
    const detail = error instanceof Error
      ? (error.stack ?? `${error.name}: ${error.message}`)
      : String(error);
    console.error(
      `${"-".repeat(40)}\n` +
        `Exception occurred during processing of request from ${
          pythonRepr(client_address)
        }\n${detail}\n${"-".repeat(40)}`,
    );
  }

  /** `using`: closes the socket, without waiting for running handlers. */
  [Symbol.dispose](): void {
    this.server_close().catch(() => {});
  }

  /** `await using`: {@linkcode BaseServer.server_close}. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.server_close();
  }
}
