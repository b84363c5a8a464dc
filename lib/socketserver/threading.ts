/**
 * Python's `socketserver.ThreadingMixIn`, one task per request, and the
 * servers made with it: {@linkcode ThreadingTCPServer},
 * {@linkcode ThreadingUDPServer}, {@linkcode ThreadingUnixStreamServer}
 * and {@linkcode ThreadingUnixDatagramServer}.
 *
 * JavaScript has one thread per isolate: a "thread" here is a task on the
 * event loop. Handlers run concurrently whenever they wait (on the
 * network, a timer...), which is what a socket server's threads do in
 * Python too; a handler that computes without awaiting holds up the
 * others. Python's `ForkingMixIn` has no counterpart: Deno cannot fork.
 *
 * @module
 */

import type { Address } from "../socket/address.ts";
import type { BaseServer, Request } from "./base_server.ts";
import {
  TCPServer,
  UDPServer,
  UnixDatagramServer,
  UnixStreamServer,
} from "./tcp_server.ts";

/** A server class, as `ThreadingMixIn` takes it. */
// deno-lint-ignore no-explicit-any -- a mixin's base takes any constructor arguments (TypeScript's mixin pattern requires any[])
export type ServerClass = abstract new (...args: any[]) => BaseServer;

/** What `ThreadingMixIn` adds to a server's instances. */
export interface ThreadingServer {
  /**
   * Runs one request as its own task: finishes it, hands an error to
   * `handle_error`, and always shuts the request down.
   *
   * @param request The request.
   * @param client_address The client's address.
   */
  process_request_thread(
    request: Request,
    client_address: Address,
  ): Promise<void>;
}

/** What `ThreadingMixIn` adds to a server class: its static fields. */
export interface ThreadingServerStatics {
  /**
   * Whether `server_close()` leaves running handlers alone (Python's
   * daemon threads, which it does not join). They go on until they end.
   *
   * @default {false}
   */
  daemon_threads: boolean;
  /**
   * Whether `server_close()` waits for the running handlers that are not
   * daemon tasks.
   *
   * @default {true}
   */
  block_on_close: boolean;
}

/** A server class with `ThreadingMixIn`: what {@linkcode ThreadingMixIn} returns. */
export type ThreadingClass<T extends ServerClass> =
  & T
  & ThreadingServerStatics
  // deno-lint-ignore no-explicit-any -- TypeScript's mixin pattern requires any[]
  & (new (...args: any[]) => ThreadingServer);

/**
 * Python's `socketserver.ThreadingMixIn` as a class mixin: TypeScript has
 * no multiple inheritance, so `class MyServer(ThreadingMixIn, TCPServer)`
 * is written `class MyServer extends ThreadingMixIn(TCPServer)`.
 *
 * Each request is handled as its own task: `process_request` starts it and
 * returns, so the server waits for the next request at once. A handler
 * that throws goes to `handle_error` and only its request ends. As in
 * Python, nothing bounds the number of running handlers beyond what the
 * system gives (descriptors, memory); bound them in `verify_request` or
 * `process_request` if clients may be hostile.
 *
 * @param Base The server class to extend.
 * @returns The class with one task per request.
 *
 * @example A server of your own with one task per request
 * ```ts
 * import assert from "node:assert/strict";
 * import * as socketserver from "@pysocket/pysocket/socketserver";
 *
 * class MyServer extends socketserver.ThreadingMixIn(socketserver.TCPServer) {}
 * await using server = new MyServer(["127.0.0.1", 0], socketserver.BaseRequestHandler);
 * assert.equal(MyServer.block_on_close, true);
 * assert.equal(server.server_address[0], "127.0.0.1");
 * ```
 */
export function ThreadingMixIn<T extends ServerClass>(
  Base: T,
): ThreadingClass<T> {
  abstract class Threading extends Base implements ThreadingServer {
    /** @default {false} */
    static daemon_threads = false;
    /** @default {true} */
    static block_on_close = true;
    #tasks = new Set<Promise<void>>();

    async process_request_thread(
      request: Request,
      client_address: Address,
    ): Promise<void> {
      try {
        await this.finish_request(request, client_address);
      } catch (error) {
        await this.handle_error(request, client_address, error);
      } finally {
        await this.shutdown_request(request);
      }
    }

    override process_request(
      request: Request,
      client_address: Address,
    ): Promise<void> {
      const task = this.process_request_thread(request, client_address)
        .catch((error) => {
          // handle_error or shutdown_request itself failed: the task ends
          // here, as a Python thread's exception goes to excepthook.
          console.error(
            `Exception in a request task of ${this.constructor.name}:`,
            error,
          );
        });
      const own = this.constructor as unknown as ThreadingServerStatics;
      if (own.block_on_close && !own.daemon_threads) {
        this.#tasks.add(task);
        task.finally(() => this.#tasks.delete(task));
      }
      return Promise.resolve();
    }

    override async server_close(): Promise<void> {
      await super.server_close();
      while (this.#tasks.size > 0) await Promise.all([...this.#tasks]);
    }
  }
  // The class is abstract only where Base is, which T itself carries.
  return Threading as unknown as ThreadingClass<T>;
}

/**
 * Python's `socketserver.ThreadingTCPServer`: {@linkcode TCPServer} with
 * each connection handled as its own task.
 *
 * Requires `allow-net` permission for the address.
 *
 * @tags allow-net
 *
 * @example Two clients at once
 * ```ts
 * import assert from "node:assert/strict";
 * import * as socket from "@pysocket/pysocket";
 * import * as socketserver from "@pysocket/pysocket/socketserver";
 *
 * class Echo extends socketserver.StreamRequestHandler {
 *   override async handle() {
 *     for await (const line of this.rfile) await this.wfile.write(line);
 *   }
 * }
 * await using server = new socketserver.ThreadingTCPServer(["127.0.0.1", 0], Echo);
 * const serving = server.serve_forever();
 * const address = server.server_address as [string, number];
 * using a = await socket.create_connection(address);
 * using b = await socket.create_connection(address);
 * await b.sendall(socket.bytes("b\n"));
 * await a.sendall(socket.bytes("a\n"));
 * assert.equal(socket.str(await b.recv(10)), "b\n");
 * assert.equal(socket.str(await a.recv(10)), "a\n");
 * a.close();
 * b.close();
 * await server.shutdown();
 * await serving;
 * ```
 */
export const ThreadingTCPServer: ThreadingClass<typeof TCPServer> =
  ThreadingMixIn(
    TCPServer,
  );
/** An instance of {@linkcode ThreadingTCPServer}. */
export type ThreadingTCPServer = InstanceType<typeof ThreadingTCPServer>;

/**
 * Python's `socketserver.ThreadingUDPServer`: {@linkcode UDPServer} with
 * each datagram handled as its own task.
 *
 * Requires `allow-net` permission and Deno's `--unstable-net`.
 *
 * @tags allow-net
 */
export const ThreadingUDPServer: ThreadingClass<typeof UDPServer> =
  ThreadingMixIn(
    UDPServer,
  );
/** An instance of {@linkcode ThreadingUDPServer}. */
export type ThreadingUDPServer = InstanceType<typeof ThreadingUDPServer>;

/**
 * Python's `socketserver.ThreadingUnixStreamServer`:
 * {@linkcode UnixStreamServer} with each connection handled as its own task.
 *
 * Requires `--allow-net=unix:PATH` with read and write access to the path.
 *
 * @tags allow-net, allow-read, allow-write
 */
export const ThreadingUnixStreamServer: ThreadingClass<
  typeof UnixStreamServer
> = ThreadingMixIn(
  UnixStreamServer,
);
/** An instance of {@linkcode ThreadingUnixStreamServer}. */
export type ThreadingUnixStreamServer = InstanceType<
  typeof ThreadingUnixStreamServer
>;

/**
 * Python's `socketserver.ThreadingUnixDatagramServer`:
 * {@linkcode UnixDatagramServer} with each datagram handled as its own task.
 *
 * Requires `--allow-net=unix:PATH` with read and write access to the path,
 * and Deno's `--unstable-net`.
 *
 * @tags allow-net, allow-read, allow-write
 */
export const ThreadingUnixDatagramServer: ThreadingClass<
  typeof UnixDatagramServer
> = ThreadingMixIn(
  UnixDatagramServer,
);
/** An instance of {@linkcode ThreadingUnixDatagramServer}. */
export type ThreadingUnixDatagramServer = InstanceType<
  typeof ThreadingUnixDatagramServer
>;
