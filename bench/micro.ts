/**
 * `deno task bench --micro`: the per-call cost of pysocket's hot path, in
 * one process, beside the same loop on raw `Deno.Conn` and
 * `Deno.DatagramConn`. Not part of the test suite.
 *
 * Each workload is a ping-pong of 64-byte messages over loopback between
 * two ends in this process (no scheduler between two processes to blame):
 * a round trip is send, receive, send back, receive. Raw Deno and pysocket
 * run the same loop, interleaved round by round (raw, pysocket, raw, ...),
 * and each figure is the median of the rounds; the ratio is
 * pysocket / raw (higher is better, 1.0 is no cost). Beside round trips
 * per second of wall time it reports round trips per second of CPU time:
 * on a shared machine the wall time moves with the neighbours, the CPU
 * time is the cost the code itself adds.
 *
 * ```sh
 * deno task bench --micro                   # 5 rounds of 30,000 round trips
 * deno task bench --micro --rounds=9 --trips=50000
 * deno task bench --micro --only=tcp-recv   # one workload
 * ```
 *
 * @module
 */

import { parseArgs } from "node:util";
import process from "node:process";
import {
  AF_INET,
  IPPROTO_TCP,
  SOCK_DGRAM,
  SOCK_STREAM,
  type Socket,
  socket,
  TCP_NODELAY,
} from "../mod.ts";

const HOST = "127.0.0.1";
const SIZE = 64;

/** One way to do the round trips, on a connected pair. */
type Loop = (trips: number) => Promise<void>;

/** A workload: how to set up a pair for each implementation. */
interface Workload {
  name: string;
  what: string;
  raw: () => Promise<{ loop: Loop; close(): void }>;
  pysocket: (timeout: number | null) => Promise<{ loop: Loop; close(): void }>;
}

async function rawTcpPair(): Promise<[Deno.TcpConn, Deno.TcpConn, () => void]> {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  const [client, server] = await Promise.all([
    Deno.connect({ hostname: HOST, port: listener.addr.port }),
    listener.accept(),
  ]);
  listener.close();
  client.setNoDelay(true);
  (server as Deno.TcpConn).setNoDelay(true);
  return [client, server as Deno.TcpConn, () => {
    client.close();
    server.close();
  }];
}

async function pyTcpPair(
  timeout: number | null,
): Promise<[Socket, Socket, () => void]> {
  const listener = socket(AF_INET, SOCK_STREAM);
  listener.bind([HOST, 0]);
  listener.listen();
  const client = socket(AF_INET, SOCK_STREAM);
  const [, [server]] = await Promise.all([
    client.connect(listener.getsockname()),
    listener.accept(),
  ]);
  listener.close();
  client.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  client.settimeout(timeout);
  server.settimeout(timeout);
  return [client, server, () => {
    client.close();
    server.close();
  }];
}

/** Reads exactly `buf.length` bytes from a raw connection. */
async function rawReadFull(conn: Deno.Conn, buf: Uint8Array): Promise<void> {
  for (let at = 0; at < buf.length;) {
    const n = await conn.read(buf.subarray(at));
    if (n === null) throw new Error("closed");
    at += n;
  }
}

async function rawWriteAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.length;) at += await conn.write(data.subarray(at));
}

/** Receives exactly `size` bytes with `recv`, as a Python loop would. */
async function recvFull(sock: Socket, size: number): Promise<void> {
  for (let got = 0; got < size;) {
    const data = await sock.recv(size - got);
    if (data.length === 0) throw new Error("closed");
    got += data.length;
  }
}

async function recvIntoFull(sock: Socket, buf: Uint8Array): Promise<void> {
  for (let at = 0; at < buf.length;) {
    const n = await sock.recv_into(buf.subarray(at));
    if (n === 0) throw new Error("closed");
    at += n;
  }
}

async function sendFull(sock: Socket, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.length;) at += await sock.send(data.subarray(at));
}

const PAYLOAD = new Uint8Array(SIZE).fill(0x61);

/** The raw TCP ping-pong every TCP workload compares with. */
async function rawTcp(): Promise<{ loop: Loop; close(): void }> {
  const [client, server, close] = await rawTcpPair();
  const cbuf = new Uint8Array(SIZE), sbuf = new Uint8Array(SIZE);
  return {
    close,
    loop: async (trips) => {
      const echo = (async () => {
        for (let i = 0; i < trips; i++) {
          await rawReadFull(server, sbuf);
          await rawWriteAll(server, sbuf);
        }
      })();
      for (let i = 0; i < trips; i++) {
        await rawWriteAll(client, PAYLOAD);
        await rawReadFull(client, cbuf);
      }
      await echo;
    },
  };
}

/** A pysocket TCP ping-pong with the given send and receive steps. */
function pyTcp(
  send: (s: Socket, d: Uint8Array) => Promise<unknown>,
  receive: (s: Socket, buf: Uint8Array) => Promise<void>,
) {
  return async (timeout: number | null) => {
    const [client, server, close] = await pyTcpPair(timeout);
    const cbuf = new Uint8Array(SIZE), sbuf = new Uint8Array(SIZE);
    return {
      close,
      loop: async (trips: number) => {
        const echo = (async () => {
          for (let i = 0; i < trips; i++) {
            await receive(server, sbuf);
            await send(server, sbuf);
          }
        })();
        for (let i = 0; i < trips; i++) {
          await send(client, PAYLOAD);
          await receive(client, cbuf);
        }
        await echo;
      },
    };
  };
}

function listenDatagram(): Deno.DatagramConn {
  return Deno.listenDatagram({ hostname: HOST, port: 0, transport: "udp" });
}

// Async like the other setups, which await; these set up synchronously.
// deno-lint-ignore require-await
async function rawUdp(): Promise<{ loop: Loop; close(): void }> {
  const a = listenDatagram(), b = listenDatagram();
  const bufA = new Uint8Array(65536), bufB = new Uint8Array(65536);
  return {
    close: () => {
      a.close();
      b.close();
    },
    loop: async (trips) => {
      const echo = (async () => {
        for (let i = 0; i < trips; i++) {
          const [data, from] = await b.receive(bufB);
          await b.send(data, from);
        }
      })();
      for (let i = 0; i < trips; i++) {
        await a.send(PAYLOAD, b.addr);
        await a.receive(bufA);
      }
      await echo;
    },
  };
}

// Async like the other setups, which await; these set up synchronously.
// deno-lint-ignore require-await
async function pyUdp(timeout: number | null) {
  const a = socket(AF_INET, SOCK_DGRAM), b = socket(AF_INET, SOCK_DGRAM);
  a.bind([HOST, 0]);
  b.bind([HOST, 0]);
  a.settimeout(timeout);
  b.settimeout(timeout);
  const to = b.getsockname();
  return {
    close: () => {
      a.close();
      b.close();
    },
    loop: async (trips: number) => {
      const echo = (async () => {
        for (let i = 0; i < trips; i++) {
          const [data, from] = await b.recvfrom(SIZE);
          await b.sendto(data, from);
        }
      })();
      for (let i = 0; i < trips; i++) {
        await a.sendto(PAYLOAD, to);
        await a.recvfrom(SIZE);
      }
      await echo;
    },
  };
}

/** The workloads, as named by `--only`. */
export const WORKLOADS: readonly Workload[] = [
  {
    name: "tcp-recv",
    what: "TCP sendall + recv(64)",
    raw: rawTcp,
    pysocket: pyTcp((s, d) => s.sendall(d), (s, b) => recvFull(s, b.length)),
  },
  {
    name: "tcp-recv_into",
    what: "TCP sendall + recv_into",
    raw: rawTcp,
    pysocket: pyTcp((s, d) => s.sendall(d), recvIntoFull),
  },
  {
    name: "tcp-send",
    what: "TCP send + recv(64)",
    raw: rawTcp,
    pysocket: pyTcp(sendFull, (s, b) => recvFull(s, b.length)),
  },
  {
    name: "udp",
    what: "UDP sendto + recvfrom(64)",
    raw: rawUdp,
    pysocket: pyUdp,
  },
];

/**
 * One run: round trips per second of wall time, and per second of CPU time
 * (user and system, this process). The CPU figure is the cost itself: time
 * the machine spends elsewhere (a neighbour on the host, the other core)
 * does not count.
 */
async function measure(
  setup: () => Promise<{ loop: Loop; close(): void }>,
  trips: number,
): Promise<{ wall: number; cpu: number }> {
  const pair = await setup();
  try {
    await pair.loop(Math.min(2000, trips)); // warm up
    const cpu0 = process.cpuUsage();
    const start = performance.now();
    await pair.loop(trips);
    const wall = (performance.now() - start) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { wall: trips / wall, cpu: trips / ((cpu.user + cpu.system) / 1e6) };
  } finally {
    pair.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** One row of the results. */
export interface MicroRow {
  workload: string;
  impl: "deno-raw" | "pysocket" | "pysocket+timeout";
  median: number;
  min: number;
  max: number;
  ratio: number;
  /** Round trips per CPU second (median), and its ratio to raw Deno's. */
  cpu: number;
  cpuRatio: number;
}

/**
 * Runs the microbenchmark and returns its rows.
 *
 * @param args The command line after `--micro`.
 * @returns The exit code.
 */
export async function micro(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      micro: { type: "boolean" },
      rounds: { type: "string", default: "5" },
      trips: { type: "string", default: "30000" },
      only: { type: "string" },
      out: { type: "string", default: "micro" },
    },
  });
  const rounds = Number(values.rounds), trips = Number(values.trips);
  if (!(rounds >= 1 && trips >= 100)) {
    console.error("bench --micro: --rounds >= 1 and --trips >= 100");
    return 2;
  }
  const only = values.only?.split(",");
  const workloads = WORKLOADS.filter((w) => !only || only.includes(w.name));
  const rows: MicroRow[] = [];
  const started = performance.now();
  for (const workload of workloads) {
    type Run = { wall: number; cpu: number };
    const runs = { raw: [] as Run[], py: [] as Run[], timed: [] as Run[] };
    for (let round = 0; round < rounds; round++) {
      // Interleaved, so a slow patch of the machine hits all three.
      runs.raw.push(await measure(workload.raw, trips));
      runs.py.push(await measure(() => workload.pysocket(null), trips));
      runs.timed.push(await measure(() => workload.pysocket(30), trips));
      console.log(
        `  ${workload.name} round ${round + 1}: raw ${
          runs.raw.at(-1)!.wall.toFixed(0)
        }, pysocket ${runs.py.at(-1)!.wall.toFixed(0)}, +timeout ${
          runs.timed.at(-1)!.wall.toFixed(0)
        } rt/s`,
      );
    }
    const raw = median(runs.raw.map((r) => r.wall));
    const rawCpu = median(runs.raw.map((r) => r.cpu));
    for (
      const [impl, list] of [
        ["deno-raw", runs.raw],
        ["pysocket", runs.py],
        ["pysocket+timeout", runs.timed],
      ] as const
    ) {
      const walls = list.map((r) => r.wall);
      const cpu = median(list.map((r) => r.cpu));
      rows.push({
        workload: workload.what,
        impl,
        median: median(walls),
        min: Math.min(...walls),
        max: Math.max(...walls),
        ratio: median(walls) / raw,
        cpu,
        cpuRatio: cpu / rawCpu,
      });
    }
  }
  const table = [
    "| workload | implementation | median rt/s | min – max | vs deno-raw | rt per CPU second | vs deno-raw (CPU) |",
    "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map((r) =>
      `| ${r.workload} | ${r.impl} | ${r.median.toFixed(0)} | ${
        r.min.toFixed(0)
      } – ${r.max.toFixed(0)} | ${r.ratio.toFixed(2)}× | ${
        r.cpu.toFixed(0)
      } | ${r.cpuRatio.toFixed(2)}× |`
    ),
  ].join("\n");
  console.log(`\n${table}\n`);
  const report = `# pysocket microbenchmark (\`deno task bench --micro\`)

Run ${
    new Date().toISOString()
  }, Deno ${Deno.version.deno}, ${Deno.build.os} ${Deno.build.arch}.
One process, two ends over 127.0.0.1, ${SIZE}-byte messages, ${trips} round trips per run, ${rounds} rounds interleaved (raw, pysocket, pysocket with \`settimeout(30)\`); medians; total ${
    ((performance.now() - started) / 1000).toFixed(0)
  } s.

${table}
`;
  await Deno.writeTextFile(
    new URL(`./results/${values.out}.md`, import.meta.url),
    report,
  );
  console.log(`Wrote bench/results/${values.out}.md`);
  return 0;
}
