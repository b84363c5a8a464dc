/**
 * `deno task load`: the servers under many concurrent clients, on
 * loopback only, bounded in count and time. Not part of the test suite.
 *
 * 1. Room: `pysocket tcp-server --room` holds `--clients` (1,000)
 *    connections; `--senders` of them send `--messages` lines each, all at
 *    once. Every client must receive every other client's broadcast
 *    exactly once and in the order the server printed them (its stdout is
 *    the broadcast order). Reports deliveries per second and the server's
 *    memory per client (RSS from /proc, through `cat`).
 * 2. Echo: `pysocket tcp-server --stream --echo` answers `--clients`
 *    concurrent clients that each send `--mib` MiB (1) and half-close;
 *    every byte that comes back is compared with what was sent.
 *
 * The server runs as a child process, started through `sh -c 'ulimit -n
 * N; exec deno ...'` when the file-descriptor limit is too low (exec
 * keeps the PID, so it is killed by its own PID). The clients are raw
 * `Deno.connect` connections in this process. Results go to
 * `bench/results/load.md`.
 *
 * ```sh
 * deno task load
 * deno task load --clients=200 --messages=10
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import {
  capture,
  killAll,
  type Proc,
  readRss,
  startProcess,
} from "./_process.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const HOST = "127.0.0.1";
const ENCODER = new TextEncoder();
const MiB = 1 << 20;

const { values } = parseArgs({
  args: Deno.args,
  strict: true,
  options: {
    clients: { type: "string", default: "1000" },
    senders: { type: "string", default: "20" },
    messages: { type: "string", default: "100" },
    mib: { type: "string", default: "1" },
    "time-limit": { type: "string", default: "180" },
  },
});
const CLIENTS = Number(values.clients);
const SENDERS = Math.min(Number(values.senders), CLIENTS);
const MESSAGES = Number(values.messages);
const ECHO_BYTES = Math.round(Number(values.mib) * MiB);
const TIME_LIMIT_MS = Number(values["time-limit"]) * 1000;
for (const [name, value] of Object.entries({ CLIENTS, MESSAGES, ECHO_BYTES })) {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${name} must be a whole number above 0`);
  }
}

/** Fails a phase that takes longer than the time limit. */
function deadline<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`${what}: not done within ${TIME_LIMIT_MS} ms`)),
        TIME_LIMIT_MS,
      );
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The shell prefix that raises the descriptor limit, when needed. */
async function fdLimit(): Promise<{ limit: number; raise: number | null }> {
  const limit = Number(await capture("sh", ["-c", "ulimit -n"]) ?? "1024");
  const need = CLIENTS * 2 + 256;
  return { limit, raise: limit >= need ? null : need };
}

/** Starts `pysocket tcp-server ARGS` and returns it with its port. */
async function startServer(
  args: string[],
  raise: number | null,
): Promise<{ server: Proc; port: number }> {
  const deno = [
    Deno.execPath(),
    "run",
    `--allow-net=${HOST}`,
    `${ROOT}/cli.ts`,
    "tcp-server",
    "--host",
    HOST,
    "--port",
    "0",
    ...args,
  ];
  const quoted = deno.map((arg) => `'${arg.replaceAll("'", `'"'"'`)}'`);
  const server = raise === null
    ? startProcess(deno[0], deno.slice(1), { timeoutMs: TIME_LIMIT_MS * 2 })
    : startProcess("sh", [
      "-c",
      `ulimit -n ${raise} && exec ${quoted.join(" ")}`,
    ], { timeoutMs: TIME_LIMIT_MS * 2 });
  const line = await server.stderr.next(
    (l) => /listening on .*:(\d+)$/.exec(l)?.[1],
    15_000,
    "the listening line",
  );
  return { server, port: Number(line) };
}

/** One room client: a raw connection whose lines are collected. */
class RoomClient {
  readonly conn: Deno.Conn;
  name = "";
  /** The `msg` lines received, in order. */
  readonly messages: string[] = [];
  #decoder = new TextDecoder();
  #rest = "";
  #welcomed = Promise.withResolvers<void>();
  #waiting: { count: number; resolve: () => void } | null = null;
  readonly reading: Promise<void>;

  constructor(conn: Deno.Conn) {
    this.conn = conn;
    this.reading = this.#read();
  }

  async #read(): Promise<void> {
    const buffer = new Uint8Array(65536);
    while (true) {
      let n: number | null;
      try {
        n = await this.conn.read(buffer);
      } catch {
        break;
      }
      if (n === null) break;
      const text = this.#rest + this.#decoder.decode(buffer.subarray(0, n), {
        stream: true,
      });
      const lines = text.split("\n");
      this.#rest = lines.pop()!;
      for (const line of lines) {
        const message = line.indexOf(": msg ");
        if (message !== -1) this.messages.push(line);
        else if (line.startsWith("* welcome, you are ")) {
          this.name = line.slice(19, line.indexOf(";"));
          this.#welcomed.resolve();
        }
      }
      if (this.#waiting && this.messages.length >= this.#waiting.count) {
        this.#waiting.resolve();
        this.#waiting = null;
      }
    }
    this.#welcomed.reject(new Error("closed before the welcome"));
    this.#waiting?.resolve();
  }

  welcomed(): Promise<void> {
    return this.#welcomed.promise;
  }

  /** Resolves once `count` messages have arrived (or the connection ended). */
  received(count: number): Promise<void> {
    if (this.messages.length >= count) return Promise.resolve();
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#waiting = { count, resolve };
    return promise;
  }

  async send(text: string): Promise<void> {
    const data = ENCODER.encode(text);
    for (let at = 0; at < data.length;) {
      at += await this.conn.write(data.subarray(at));
    }
  }
}

/** Connects `count` clients in batches and waits for each welcome. */
async function connectAll<T>(
  port: number,
  count: number,
  make: (conn: Deno.Conn, index: number) => T,
  ready: (client: T) => Promise<void>,
): Promise<T[]> {
  const clients: T[] = [];
  for (let from = 0; from < count; from += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, count - from) }, async (_, i) => {
        const conn = await Deno.connect({ hostname: HOST, port });
        const client = make(conn, from + i);
        await ready(client);
        return client;
      }),
    );
    clients.push(...batch);
  }
  return clients;
}

interface RoomResult {
  clients: number;
  messages: number;
  deliveries: number;
  seconds: number;
  perSecond: number;
  rssBaseline: number;
  rssLoaded: number;
  perClient: number;
  connectSeconds: number;
}

async function roomLoad(raise: number | null): Promise<RoomResult> {
  const { server, port } = await startServer(["--room"], raise);
  try {
    await new Promise((resolve) => setTimeout(resolve, 300));
    const rssBaseline = await readRss(server.pid);
    const connectStart = performance.now();
    const clients = await deadline(
      connectAll(
        port,
        CLIENTS,
        (conn) => new RoomClient(conn),
        (c) => c.welcomed(),
      ),
      "connecting the room clients",
    );
    const connectSeconds = (performance.now() - connectStart) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const rssLoaded = await readRss(server.pid);

    const senders = clients.slice(0, SENDERS);
    const total = SENDERS * MESSAGES;
    const start = performance.now();
    await deadline(
      Promise.all([
        ...senders.map(async (sender, s) => {
          // Each message is its own write, as a person would type them.
          for (let i = 0; i < MESSAGES; i++) {
            await sender.send(`msg ${s} ${i}\n`);
          }
        }),
        ...clients.map((client, c) =>
          client.received(c < SENDERS ? total - MESSAGES : total)
        ),
      ]),
      "broadcasting",
    );
    const seconds = (performance.now() - start) / 1000;

    // The server's stdout is the broadcast order: every client must have
    // exactly that sequence, without its own messages.
    await deadline(
      (async () => {
        while (server.stdout.lines.length < total) {
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })(),
      "the server's transcript",
    );
    const order = server.stdout.lines.filter((line) => line.includes(": msg "));
    if (order.length !== total) {
      throw new Error(
        `the server printed ${order.length} of ${total} messages`,
      );
    }
    let deliveries = 0;
    for (const client of clients) {
      const expected = order.filter((line) =>
        !line.startsWith(`${client.name}: `)
      );
      const got = client.messages;
      if (got.length !== expected.length) {
        throw new Error(
          `${client.name} received ${got.length} messages, expected ${expected.length}`,
        );
      }
      for (let i = 0; i < got.length; i++) {
        if (got[i] !== expected[i]) {
          throw new Error(
            `${client.name}: message ${i} is ${
              JSON.stringify(got[i])
            }, expected ${JSON.stringify(expected[i])}`,
          );
        }
      }
      deliveries += got.length;
    }
    for (const client of clients) client.conn.close();
    await Promise.all(clients.map((client) => client.reading));
    return {
      clients: CLIENTS,
      messages: total,
      deliveries,
      seconds,
      perSecond: deliveries / seconds,
      rssBaseline,
      rssLoaded,
      perClient: (rssLoaded - rssBaseline) / CLIENTS,
      connectSeconds,
    };
  } finally {
    await server.kill();
  }
}

interface EchoResult {
  clients: number;
  bytesEach: number;
  seconds: number;
  mibPerSecond: number;
  rssPeak: number;
}

async function echoLoad(raise: number | null): Promise<EchoResult> {
  const { server, port } = await startServer(["--stream", "--echo"], raise);
  let rssPeak = 0;
  let sampling = true;
  const sampler = (async () => {
    while (sampling) {
      try {
        rssPeak = Math.max(rssPeak, await readRss(server.pid));
      } catch {
        // Exiting.
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  try {
    const base = new Uint8Array(ECHO_BYTES);
    for (let at = 0; at < base.length; at += 65536) {
      crypto.getRandomValues(
        base.subarray(at, Math.min(base.length, at + 65536)),
      );
    }
    const start = performance.now();
    const conns = await deadline(
      connectAll(port, CLIENTS, (conn) => conn, () => Promise.resolve()),
      "connecting the echo clients",
    );
    await deadline(
      Promise.all(conns.map(async (conn, index) => {
        // Each client's bytes differ: its index leads, the rest is random.
        const data = base.slice();
        new DataView(data.buffer).setUint32(0, index);
        const sending = (async () => {
          for (let at = 0; at < data.length;) {
            at += await conn.write(data.subarray(at, at + 65536));
          }
          await conn.closeWrite();
        })();
        const buffer = new Uint8Array(65536);
        let at = 0;
        while (true) {
          const n = await conn.read(buffer);
          if (n === null) break;
          for (let i = 0; i < n; i++) {
            if (buffer[i] !== data[at + i]) {
              throw new Error(`client ${index}: byte ${at + i} differs`);
            }
          }
          at += n;
        }
        await sending;
        conn.close();
        if (at !== data.length) {
          throw new Error(
            `client ${index}: ${at} of ${data.length} bytes came back`,
          );
        }
      })),
      "echoing",
    );
    const seconds = (performance.now() - start) / 1000;
    return {
      clients: CLIENTS,
      bytesEach: ECHO_BYTES,
      seconds,
      mibPerSecond: (CLIENTS * ECHO_BYTES) / MiB / seconds,
      rssPeak,
    };
  } finally {
    sampling = false;
    await sampler;
    await server.kill();
  }
}

async function machine(): Promise<string> {
  const cpuinfo = await capture("cat", ["/proc/cpuinfo"]) ?? "";
  const cpu = cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ??
    "unknown";
  const nproc = await capture("nproc", []) ?? "?";
  return `${nproc} CPUs (nproc), ${cpu}, ${Deno.build.os} ${Deno.build.arch}, Deno ${Deno.version.deno}`;
}

async function main(): Promise<number> {
  const { limit, raise } = await fdLimit();
  const where = await machine();
  console.log(
    `load: ${where}; open-file limit ${limit}${
      raise ? `, raised to ${raise} for the server` : ""
    }`,
  );
  let room: RoomResult, echo: EchoResult;
  try {
    room = await roomLoad(raise);
    console.log(
      `room: ${room.clients} clients, ${room.messages} messages, ${room.deliveries} deliveries in ${
        room.seconds.toFixed(2)
      } s = ${Math.round(room.perSecond)} deliveries/s; RSS ${
        (room.rssBaseline / MiB).toFixed(1)
      } -> ${(room.rssLoaded / MiB).toFixed(1)} MiB = ${
        (room.perClient / 1024).toFixed(1)
      } KiB per client`,
    );
    echo = await echoLoad(raise);
    console.log(
      `echo: ${echo.clients} clients x ${
        echo.bytesEach / MiB
      } MiB, every byte back intact in ${echo.seconds.toFixed(2)} s = ${
        echo.mibPerSecond.toFixed(0)
      } MiB/s each way; server RSS peak ${(echo.rssPeak / MiB).toFixed(1)} MiB`,
    );
  } catch (err) {
    console.error(`load: FAILED: ${err instanceof Error ? err.message : err}`);
    await killAll();
    return 1;
  }
  const report = `# deno task load

Machine: ${where}. Loopback only; the clients run in the orchestrating
process, the server in its own. Written by \`bench/load.ts\` on ${
    new Date().toISOString().slice(0, 10)
  }.

## Room (\`pysocket tcp-server --room\`)

| | |
| --- | --- |
| concurrent clients | ${room.clients} (connected in ${
    room.connectSeconds.toFixed(2)
  } s) |
| messages sent | ${room.messages} (${SENDERS} senders x ${MESSAGES}, all at once) |
| deliveries checked | ${room.deliveries}: each client got every other client's messages exactly once, in the server's order |
| time | ${room.seconds.toFixed(2)} s |
| throughput | ${Math.round(room.perSecond)} deliveries/s (${
    Math.round(room.messages / room.seconds)
  } messages in/s) |
| server RSS | ${(room.rssBaseline / MiB).toFixed(1)} MiB idle, ${
    (room.rssLoaded / MiB).toFixed(1)
  } MiB with ${room.clients} clients |
| memory per client | ${(room.perClient / 1024).toFixed(1)} KiB |

## Echo (\`pysocket tcp-server --stream --echo\`)

| | |
| --- | --- |
| concurrent clients | ${echo.clients}, each sending ${
    echo.bytesEach / MiB
  } MiB then half-closing |
| result | every byte came back intact (compared byte for byte) |
| time | ${echo.seconds.toFixed(2)} s (${
    echo.mibPerSecond.toFixed(0)
  } MiB/s each way) |
| server RSS peak | ${(echo.rssPeak / MiB).toFixed(1)} MiB |
`;
  await Deno.writeTextFile(`${ROOT}/bench/results/load.md`, report);
  console.log("load: wrote bench/results/load.md");
  return 0;
}

if (import.meta.main) {
  let code = 1;
  try {
    code = await main();
  } finally {
    await killAll();
  }
  Deno.exit(code);
}
