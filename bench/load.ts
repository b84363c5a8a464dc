/**
 * `deno task load`: the servers under many concurrent clients, on
 * loopback only, bounded in count and time. Not part of the test suite.
 *
 * For each count of `--clients` (1,000 and 5,000):
 *
 * 1. Room: `pysocket tcp-server --room` holds that many connections; the
 *    time from the last connect until every client has its welcome is
 *    measured, and the server's memory per idle client (RSS from /proc,
 *    through `cat`). Then `--senders` of them send `--messages` lines each,
 *    all at once: every client must receive every other client's broadcast
 *    exactly once and in the order the server printed them (its stdout is
 *    the broadcast order).
 * 2. Echo: `pysocket tcp-server --stream --echo` holds that many idle
 *    clients (memory per idle client), then each sends `--mib` MiB (1) and
 *    half-closes; every byte that comes back is compared with what was
 *    sent.
 *
 * 3. Churn: `--churn` (20,000) short connections to a room, 200 at a time,
 *    each waiting for its welcome and leaving: the server's memory after
 *    them against its idle baseline, and its open descriptors before and
 *    after (counted in /proc/PID/fd, through `ls`).
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
    clients: { type: "string", default: "1000,5000" },
    churn: { type: "string", default: "20000" },
    senders: { type: "string", default: "20" },
    messages: { type: "string", default: "100" },
    mib: { type: "string", default: "1" },
    "time-limit": { type: "string", default: "180" },
  },
});
const COUNTS = values.clients.split(",").map(Number);
const CHURN = Number(values.churn);
let CLIENTS = COUNTS[0];
let SENDERS = Math.min(Number(values.senders), CLIENTS);
const MESSAGES = Number(values.messages);
const ECHO_BYTES = Math.round(Number(values.mib) * MiB);
const TIME_LIMIT_MS = Number(values["time-limit"]) * 1000;
for (
  const [name, value] of Object.entries({
    CLIENTS: Math.min(...COUNTS),
    CHURN,
    MESSAGES,
    ECHO_BYTES,
  })
) {
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
  const need = Math.max(...COUNTS) * 2 + 256;
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

/** Connects `count` clients, 100 at a time. */
async function connectAll<T>(
  port: number,
  count: number,
  make: (conn: Deno.Conn, index: number) => T,
): Promise<T[]> {
  const clients: T[] = [];
  for (let from = 0; from < count; from += 100) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(100, count - from) }, async (_, i) => {
        const conn = await Deno.connect({ hostname: HOST, port });
        return make(conn, from + i);
      }),
    );
    clients.push(...batch);
  }
  return clients;
}

/** Lets the server settle, then reads its RSS. */
async function settledRss(pid: number): Promise<number> {
  await new Promise((resolve) => setTimeout(resolve, 1000));
  return await readRss(pid);
}

/** The number of descriptors a process has open. */
async function openDescriptors(pid: number): Promise<number> {
  const listing = await capture("ls", [`/proc/${pid}/fd`]) ?? "";
  return listing.split("\n").filter((line) => line.trim() !== "").length;
}

interface RoomResult {
  clients: number;
  welcomeSeconds: number;
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
      connectAll(port, CLIENTS, (conn) => new RoomClient(conn)),
      "connecting the room clients",
    );
    const connectSeconds = (performance.now() - connectStart) / 1000;
    const lastConnect = performance.now();
    await deadline(
      Promise.all(clients.map((c) => c.welcomed())),
      "the welcomes",
    );
    const welcomeSeconds = (performance.now() - lastConnect) / 1000;
    const rssLoaded = await settledRss(server.pid);

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
      welcomeSeconds,
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
  rssBaseline: number;
  rssIdle: number;
  perClient: number;
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
    const rssBaseline = await settledRss(server.pid);
    const conns = await deadline(
      connectAll(port, CLIENTS, (conn) => conn),
      "connecting the echo clients",
    );
    const rssIdle = await settledRss(server.pid);
    const start = performance.now();
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
      rssBaseline,
      rssIdle,
      perClient: (rssIdle - rssBaseline) / CLIENTS,
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

interface ChurnResult {
  connections: number;
  seconds: number;
  rssBaseline: number;
  rssPeak: number;
  rssAfter: number;
  fdsBefore: number;
  fdsAfter: number;
}

async function churnLoad(raise: number | null): Promise<ChurnResult> {
  const { server, port } = await startServer(["--room"], raise);
  try {
    const rssBaseline = await settledRss(server.pid);
    const fdsBefore = await openDescriptors(server.pid);
    let rssPeak = rssBaseline;
    const start = performance.now();
    for (let done = 0; done < CHURN; done += 200) {
      await deadline(
        Promise.all(
          Array.from({ length: Math.min(200, CHURN - done) }, async () => {
            const conn = await Deno.connect({ hostname: HOST, port });
            const client = new RoomClient(conn);
            await client.welcomed();
            await client.send("exit\n");
            await client.reading;
            conn.close();
          }),
        ),
        "churning",
      );
      if (done % 2000 === 0) {
        rssPeak = Math.max(rssPeak, await readRss(server.pid));
      }
    }
    const seconds = (performance.now() - start) / 1000;
    // Memory the churn took is given back once the collector has run.
    await new Promise((resolve) => setTimeout(resolve, 4000));
    const rssAfter = await readRss(server.pid);
    const fdsAfter = await openDescriptors(server.pid);
    return {
      connections: CHURN,
      seconds,
      rssBaseline,
      rssPeak,
      rssAfter,
      fdsBefore,
      fdsAfter,
    };
  } finally {
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
  const rooms: RoomResult[] = [], echoes: EchoResult[] = [];
  let churn: ChurnResult;
  const kib = (bytes: number) => (bytes / 1024).toFixed(1);
  const mib = (bytes: number) => (bytes / MiB).toFixed(1);
  try {
    for (const count of COUNTS) {
      CLIENTS = count;
      SENDERS = Math.min(Number(values.senders), CLIENTS);
      const room = await roomLoad(raise);
      rooms.push(room);
      console.log(
        `room ${room.clients}: all welcomed ${
          room.welcomeSeconds.toFixed(2)
        } s after the last connect; ${room.deliveries} deliveries in ${
          room.seconds.toFixed(2)
        } s = ${Math.round(room.perSecond)}/s; RSS ${
          mib(room.rssBaseline)
        } -> ${mib(room.rssLoaded)} MiB = ${
          kib(room.perClient)
        } KiB per client`,
      );
      const echo = await echoLoad(raise);
      echoes.push(echo);
      console.log(
        `echo ${echo.clients}: ${kib(echo.perClient)} KiB per idle client; ${
          echo.bytesEach / MiB
        } MiB each, every byte back intact in ${echo.seconds.toFixed(2)} s = ${
          echo.mibPerSecond.toFixed(0)
        } MiB/s each way; RSS peak ${mib(echo.rssPeak)} MiB`,
      );
    }
    churn = await churnLoad(raise);
    console.log(
      `churn: ${churn.connections} connections in ${
        churn.seconds.toFixed(1)
      } s; RSS ${mib(churn.rssBaseline)} -> peak ${mib(churn.rssPeak)} -> ${
        mib(churn.rssAfter)
      } MiB; descriptors ${churn.fdsBefore} -> ${churn.fdsAfter}`,
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
  }. Memory per client is the server's RSS with the clients connected and
idle (1 s after the last), less its RSS before them, divided by their
number.

## Room (\`pysocket tcp-server --room\`)

| clients | connected in | all welcomed after the last connect | memory per idle client | broadcast burst | deliveries checked |
| ---: | ---: | ---: | ---: | --- | --- |
${
    rooms.map((r) =>
      `| ${r.clients} | ${r.connectSeconds.toFixed(2)} s | ${
        r.welcomeSeconds.toFixed(2)
      } s | ${kib(r.perClient)} KiB (${mib(r.rssBaseline)} -> ${
        mib(r.rssLoaded)
      } MiB) | ${r.messages} messages in ${r.seconds.toFixed(2)} s, ${
        Math.round(r.perSecond)
      } deliveries/s | ${r.deliveries}: every broadcast exactly once, in the server's order |`
    ).join("\n")
  }

## Echo (\`pysocket tcp-server --stream --echo\`)

| clients | memory per idle client | traffic | result |
| ---: | ---: | --- | --- |
${
    echoes.map((e) =>
      `| ${e.clients} | ${kib(e.perClient)} KiB (${mib(e.rssBaseline)} -> ${
        mib(e.rssIdle)
      } MiB) | ${e.bytesEach / MiB} MiB each way per client in ${
        e.seconds.toFixed(2)
      } s (${e.mibPerSecond.toFixed(0)} MiB/s), RSS peak ${
        mib(e.rssPeak)
      } MiB | every byte back intact |`
    ).join("\n")
  }

## Churn (\`--room\`, short connections)

| | |
| --- | --- |
| connections | ${churn.connections}, 200 at a time, each welcomed then leaving (${
    churn.seconds.toFixed(1)
  } s) |
| server RSS | ${mib(churn.rssBaseline)} MiB idle, ${
    mib(churn.rssPeak)
  } MiB at most during, ${mib(churn.rssAfter)} MiB 4 s after (${
    mib(churn.rssAfter - churn.rssBaseline)
  } MiB above idle) |
| open descriptors | ${churn.fdsBefore} before, ${churn.fdsAfter} after |
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
