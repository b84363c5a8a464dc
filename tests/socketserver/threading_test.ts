/**
 * `ThreadingMixIn` on real loopback sockets: 50 clients handled at once by
 * `ThreadingTCPServer`, one after another by `TCPServer`; a failing
 * handler ends only its request; `server_close` and `block_on_close`.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socket from "../../mod.ts";
import * as socketserver from "../../lib/socketserver/mod.ts";
import { WAIT_MS } from "../_support/paths.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { needs } from "../_support/platform.ts";
import { sleep, within } from "../_support/wait.ts";

const CLIENTS = 50;
const unix = needs("unix-sockets");

/** Resolves once `count` calls of `arrive()` have been made, or false after WAIT_MS. */
class Gate {
  #arrived = 0;
  #open!: () => void;
  #opened = new Promise<void>((resolve) => this.#open = resolve);
  constructor(readonly count: number) {}

  async arrive(): Promise<boolean> {
    if (++this.#arrived === this.count) this.#open();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), WAIT_MS);
    });
    try {
      return await Promise.race([this.#opened.then(() => true), late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Connects `CLIENTS` clients at once; each sends its number and reads the reply. */
async function manyClients(address: socket.Address): Promise<string[]> {
  return await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      using sock = await socket.create_connection(
        address as [string, number],
      );
      await sock.sendall(socket.bytes(`${i}\n`));
      return socket.str(await sock.recv(100));
    }),
  );
}

class Roomy extends socketserver.TCPServer {
  // All 50 connect at once; a backlog of 5 would make the kernel retry SYNs.
  static override request_queue_size = 64;
}

const RoomyThreading = socketserver.ThreadingMixIn(Roomy);

Deno.test("ThreadingTCPServer handles 50 clients at once: each handler waits until all 50 are being handled", async () => {
  const gate = new Gate(CLIENTS);
  class Together extends socketserver.StreamRequestHandler {
    override async handle() {
      const line = socket.str(await this.rfile.readline()).trim();
      const all = await gate.arrive();
      await this.wfile.write(
        socket.bytes(`${line} ${all ? "together" : "alone"}`),
      );
    }
  }
  await using server = new RoomyThreading(["127.0.0.1", 0], Together);
  const serving = server.serve_forever();
  const replies = await within(
    manyClients(server.server_address),
    WAIT_MS * 2,
    "50 replies",
  );
  assert.deepEqual(
    replies,
    Array.from({ length: CLIENTS }, (_, i) => `${i} together`),
  );
  await server.shutdown();
  await serving;
});

Deno.test("the ready-made ThreadingTCPServer runs handlers concurrently too", async () => {
  const gate = new Gate(3);
  class Together extends socketserver.BaseRequestHandler {
    override async handle() {
      await this.request.recv(10);
      await this.request.sendall(
        socket.bytes((await gate.arrive()) ? "together" : "alone"),
      );
    }
  }
  await using server = new socketserver.ThreadingTCPServer(
    ["127.0.0.1", 0],
    Together,
  );
  assert.equal(socketserver.ThreadingTCPServer.daemon_threads, false);
  assert.equal(socketserver.ThreadingTCPServer.block_on_close, true);
  const serving = server.serve_forever();
  const address = server.server_address as [string, number];
  const replies = await Promise.all([0, 1, 2].map(async () => {
    using sock = await socket.create_connection(address);
    await sock.sendall(socket.bytes("hi"));
    return socket.str(await sock.recv(100));
  }));
  assert.deepEqual(replies, ["together", "together", "together"]);
  await server.shutdown();
  await serving;
});

Deno.test("TCPServer handles the same 50 clients one after another", async () => {
  let active = 0;
  let most = 0;
  const order: number[] = [];
  class OneAtATime extends socketserver.StreamRequestHandler {
    override async handle() {
      active++;
      most = Math.max(most, active);
      const line = socket.str(await this.rfile.readline()).trim();
      order.push(Number(line));
      await sleep(1);
      await this.wfile.write(socket.bytes(`${line} done`));
      active--;
    }
  }
  await using server = new Roomy(["127.0.0.1", 0], OneAtATime);
  const serving = server.serve_forever();
  const replies = await within(
    manyClients(server.server_address),
    WAIT_MS * 3,
    "50 replies",
  );
  assert.deepEqual(
    replies,
    Array.from({ length: CLIENTS }, (_, i) => `${i} done`),
  );
  assert.equal(most, 1);
  assert.equal(order.length, CLIENTS);
  await server.shutdown();
  await serving;
});

Deno.test("a handler that throws in ThreadingTCPServer ends only its request: handle_error runs and the server keeps serving", async () => {
  const errors: string[] = [];
  class Flaky extends socketserver.BaseRequestHandler {
    override async handle() {
      const data = socket.str(await this.request.recv(100));
      if (data === "boom") throw new Error("boom");
      await this.request.sendall(socket.bytes(`ok ${data}`));
    }
  }
  class Recording extends socketserver.ThreadingTCPServer {
    override handle_error(
      _request: socketserver.Request,
      client_address: socket.Address,
      error: unknown,
    ) {
      errors.push(`${(error as Error).message} from ${client_address[0]}`);
    }
  }
  await using server = new Recording(["127.0.0.1", 0], Flaky);
  const serving = server.serve_forever();
  const address = server.server_address as [string, number];
  for (let i = 0; i < 3; i++) {
    using bad = await socket.create_connection(address);
    await bad.sendall(socket.bytes("boom"));
    assert.equal((await bad.recv(10)).length, 0);
  }
  using good = await socket.create_connection(address);
  await good.sendall(socket.bytes("still here"));
  assert.equal(socket.str(await good.recv(100)), "ok still here");
  assert.deepEqual(errors, Array(3).fill("boom from 127.0.0.1"));
  await server.shutdown();
  await serving;
});

/** A handler that holds its request until `release()`. */
function holdingHandler() {
  let release!: () => void;
  const released = new Promise<void>((resolve) => release = resolve);
  let started!: () => void;
  const running = new Promise<void>((resolve) => started = resolve);
  const events: string[] = [];
  class Holding extends socketserver.BaseRequestHandler {
    override async handle() {
      started();
      await released;
      events.push("handler done");
    }
  }
  return { Holding, release, running, events };
}

Deno.test("server_close waits for running handlers when block_on_close is true", async () => {
  const { Holding, release, running, events } = holdingHandler();
  const server = new socketserver.ThreadingTCPServer(
    ["127.0.0.1", 0],
    Holding,
  );
  const serving = server.serve_forever();
  using _client = await socket.create_connection(
    server.server_address as [string, number],
  );
  await within(running, WAIT_MS, "the handler to start");
  await server.shutdown();
  await serving;
  const closing = server.server_close().then(() => events.push("closed"));
  await sleep(50);
  assert.deepEqual(events, []);
  assert.equal(server.fileno(), -1, "the socket closes at once");
  release();
  await within(closing, WAIT_MS, "server_close");
  assert.deepEqual(events, ["handler done", "closed"]);
});

Deno.test("server_close does not wait for daemon_threads handlers, nor when block_on_close is false", async () => {
  for (const statics of [{ daemon_threads: true }, { block_on_close: false }]) {
    const { Holding, release, running, events } = holdingHandler();
    class Server extends socketserver.ThreadingTCPServer {}
    Object.assign(Server, statics);
    const server = new Server(["127.0.0.1", 0], Holding);
    const serving = server.serve_forever();
    using _client = await socket.create_connection(
      server.server_address as [string, number],
    );
    await within(running, WAIT_MS, "the handler to start");
    await server.shutdown();
    await serving;
    await within(server.server_close(), WAIT_MS, "server_close");
    assert.deepEqual(events, [], JSON.stringify(statics));
    release();
    await sleep(0);
  }
});

Deno.test(
  `ThreadingUnixStreamServer serves two clients at once on a temporary path${unix.why}`,
  { ignore: unix.ignore },
  async () => {
    using dir = tempDir();
    const path = dir.join("threads.sock");
    const gate = new Gate(2);
    class Together extends socketserver.BaseRequestHandler {
      override async handle() {
        await this.request.recv(10);
        await this.request.sendall(
          socket.bytes((await gate.arrive()) ? "together" : "alone"),
        );
      }
    }
    await using server = new socketserver.ThreadingUnixStreamServer(
      path,
      Together,
    );
    const serving = server.serve_forever();
    const replies = await Promise.all([0, 1].map(async () => {
      using sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM);
      await sock.connect(path);
      await sock.sendall(socket.bytes("hi"));
      return socket.str(await sock.recv(100));
    }));
    assert.deepEqual(replies, ["together", "together"]);
    await server.shutdown();
    await serving;
  },
);
