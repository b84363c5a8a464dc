/**
 * Benchmark worker on the raw Deno runtime APIs (`Deno.listen`, `Deno.connect`,
 * `Deno.listenDatagram`, `conn.read`, `conn.write`): the baseline pysocket
 * has to keep up with.
 *
 * Run as `deno run --allow-net=127.0.0.1 --unstable-net bench/workers/deno_raw.ts
 * <role> <workload> <port> <seconds> <count>`.
 *
 * @module
 */
import {
  armLifetimeGuard,
  BULK_CHUNK,
  emit,
  isStop,
  MANY_CLIENTS,
  MESSAGE_SIZE,
  parseWorkerArgs,
  payload,
  sleep,
  timedLoop,
  UDP_STOP,
  WARMUP_SHARE,
  type WorkerArgs,
} from "./_common.ts";

const HOST = "127.0.0.1";

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

async function bulkServer(): Promise<void> {
  using listener = Deno.listen({ hostname: HOST, port: 0 });
  emit({ port: (listener.addr as Deno.NetAddr).port });
  const conn = await listener.accept();
  const buf = new Uint8Array(BULK_CHUNK);
  let bytes = 0;
  let start = 0;
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    if (bytes === 0) start = performance.now();
    bytes += n;
  }
  const seconds = (performance.now() - start) / 1000;
  conn.close();
  emit({ bytes, seconds, value: bytes / 1e6 / seconds, unit: "MB/s" });
}

async function bulkClient(args: WorkerArgs): Promise<void> {
  const conn = await Deno.connect({ hostname: HOST, port: args.port });
  const chunk = payload(BULK_CHUNK);
  const deadline = performance.now() + args.seconds * 1000;
  let sent = 0;
  for (let i = 0; i < args.count && performance.now() < deadline; i++) {
    await writeAll(conn, chunk);
    sent += chunk.length;
  }
  conn.close();
  emit({ sent });
}

async function pingpongServer(): Promise<void> {
  using listener = Deno.listen({ hostname: HOST, port: 0 });
  emit({ port: (listener.addr as Deno.NetAddr).port });
  const conn = await listener.accept();
  conn.setNoDelay(true);
  const buf = new Uint8Array(BULK_CHUNK);
  let echoed = 0;
  for (;;) {
    const n = await conn.read(buf);
    if (n === null) break;
    await writeAll(conn, buf.subarray(0, n));
    echoed += n;
  }
  conn.close();
  emit({ echoed });
}

async function pingpongClient(args: WorkerArgs): Promise<void> {
  const conn = await Deno.connect({ hostname: HOST, port: args.port });
  conn.setNoDelay(true);
  const message = payload(MESSAGE_SIZE);
  const buf = new Uint8Array(MESSAGE_SIZE);
  const roundTrip = async () => {
    await writeAll(conn, message);
    let got = 0;
    while (got < MESSAGE_SIZE) {
      const n = await conn.read(buf.subarray(got));
      if (n === null) {
        throw new Error("Cannot ping: server closed the connection");
      }
      got += n;
    }
  };
  const { count, seconds } = await timedLoop(args, roundTrip);
  conn.close();
  emit({ count, seconds, value: count / seconds, unit: "rt/s" });
}

async function udpServer(): Promise<void> {
  const sock = Deno.listenDatagram({
    transport: "udp",
    hostname: HOST,
    port: 0,
  });
  emit({ port: (sock.addr as Deno.NetAddr).port });
  const buf = new Uint8Array(BULK_CHUNK);
  let echoed = 0;
  for (;;) {
    const [data, addr] = await sock.receive(buf);
    if (isStop(data)) break;
    await sock.send(data, addr);
    echoed++;
  }
  sock.close();
  emit({ echoed });
}

async function udpClient(args: WorkerArgs): Promise<void> {
  const sock = Deno.listenDatagram({
    transport: "udp",
    hostname: HOST,
    port: 0,
  });
  const server: Deno.NetAddr = {
    transport: "udp",
    hostname: HOST,
    port: args.port,
  };
  const message = payload(MESSAGE_SIZE);
  const buf = new Uint8Array(BULK_CHUNK);
  const { count, seconds } = await timedLoop(args, async () => {
    await sock.send(message, server);
    await sock.receive(buf);
  });
  for (let i = 0; i < 3; i++) await sock.send(UDP_STOP, server);
  sock.close();
  emit({ count, seconds, value: count / seconds, unit: "rt/s" });
}

async function connsServer(args: WorkerArgs): Promise<void> {
  const listener = Deno.listen({ hostname: HOST, port: 0, tcpBacklog: 4096 });
  emit({ port: (listener.addr as Deno.NetAddr).port });
  const held: Deno.Conn[] = [];
  for await (const conn of listener) {
    held.push(conn);
    // An idle connection in a server is one waiting for data.
    conn.read(new Uint8Array(1024)).catch(() => {});
    if (held.length === args.count) emit({ accepted: held.length });
  }
}

async function connsClient(args: WorkerArgs): Promise<void> {
  const held: Deno.Conn[] = [];
  for (let i = 0; i < args.count; i++) {
    held.push(await Deno.connect({ hostname: HOST, port: args.port }));
  }
  emit({ opened: held.length });
  await sleep(args.seconds * 1000);
}

async function startupServer(): Promise<void> {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  console.error(`listening on ${HOST}:${(listener.addr as Deno.NetAddr).port}`);
  emit({ port: (listener.addr as Deno.NetAddr).port });
  for await (const conn of listener) {
    (async () => {
      const buf = new Uint8Array(4096);
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        await writeAll(conn, buf.subarray(0, n));
      }
      conn.close();
    })().catch(() => {});
  }
}

/** The scripted client of the start-up workload: echo each stdin line, stop at `exit`. */
async function startupClient(args: WorkerArgs): Promise<void> {
  const conn = await Deno.connect({ hostname: HOST, port: args.port });
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const input = decoder.decode(
    await new Response(Deno.stdin.readable).arrayBuffer(),
  );
  const buf = new Uint8Array(4096);
  for (const line of input.split("\n")) {
    if (line === "exit") break;
    const data = encoder.encode(line + "\n");
    await writeAll(conn, data);
    let reply = "";
    while (!reply.endsWith("\n")) {
      const n = await conn.read(buf);
      if (n === null) break;
      reply += decoder.decode(buf.subarray(0, n));
    }
    console.log(reply.trimEnd());
  }
  conn.close();
}

/** Echoes every connection in its own task, until killed. */
async function manyClientsServer(): Promise<void> {
  const listener = Deno.listen({ hostname: HOST, port: 0 });
  emit({ port: (listener.addr as Deno.NetAddr).port });
  const echo = async (conn: Deno.Conn) => {
    const buf = new Uint8Array(BULK_CHUNK);
    try {
      for (;;) {
        const n = await conn.read(buf);
        if (n === null) break;
        await writeAll(conn, buf.subarray(0, n));
      }
    } catch {
      // A client gone mid-write ends its connection only.
    } finally {
      conn.close();
    }
  };
  for await (const conn of listener) echo(conn);
}

/**
 * The one client of the many-clients workload, whatever the server:
 * MANY_CLIENTS connections ping-ponging MESSAGE_SIZE bytes at once; the
 * figure is their round trips per second, all together, after a warm-up.
 */
async function manyClientsClient(args: WorkerArgs): Promise<void> {
  const conns = await Promise.all(
    Array.from(
      { length: MANY_CLIENTS },
      () => Deno.connect({ hostname: HOST, port: args.port }),
    ),
  );
  const message = payload(MESSAGE_SIZE);
  const start = performance.now() + args.seconds * 1000 * WARMUP_SHARE;
  const end = start + args.seconds * 1000;
  let count = 0;
  await Promise.all(conns.map(async (conn) => {
    conn.setNoDelay(true);
    const buf = new Uint8Array(MESSAGE_SIZE);
    for (;;) {
      const now = performance.now();
      if (now >= end) break;
      await writeAll(conn, message);
      let got = 0;
      while (got < MESSAGE_SIZE) {
        const n = await conn.read(buf.subarray(got));
        if (n === null) {
          throw new Error("Cannot ping: server closed the connection");
        }
        got += n;
      }
      if (now >= start) count++;
    }
    conn.close();
  }));
  const seconds = (end - start) / 1000;
  emit({ count, seconds, value: count / seconds, unit: "rt/s" });
}

function main(): Promise<void> {
  armLifetimeGuard();
  const args = parseWorkerArgs(Deno.args);
  const server = args.role === "server";
  switch (args.workload) {
    case "bulk":
    case "bulk-into": // deno-raw always reads into one reused buffer
      return server ? bulkServer() : bulkClient(args);
    case "tcp-pingpong":
      return server ? pingpongServer() : pingpongClient(args);
    case "udp-pingpong":
      return server ? udpServer() : udpClient(args);
    case "conns":
      return server ? connsServer(args) : connsClient(args);
    case "startup":
      return server ? startupServer() : startupClient(args);
    case "many-clients":
      return server ? manyClientsServer() : manyClientsClient(args);
    case "many-clients-selectors":
      throw new Error("Only the pysocket worker has a selectors server");
  }
}

if (import.meta.main) await main();
