/**
 * Benchmark worker on pysocket's `socket`, written the way the Python
 * tutorial writes it (`recv(65536)`, `sendall`, `recvfrom`/`sendto`).
 *
 * Run as `deno run --allow-net=127.0.0.1 --unstable-net bench/workers/pysocket.ts
 * <role> <workload> <port> <seconds> <count> [timeout]`; with a timeout (in
 * seconds) both ends call `settimeout` on every socket they use.
 *
 * @module
 */
import {
  AF_INET,
  IPPROTO_TCP,
  SOCK_DGRAM,
  SOCK_STREAM,
  type Socket,
  socket,
  TCP_NODELAY,
} from "../../mod.ts";
import {
  BaseRequestHandler,
  ThreadingTCPServer,
} from "../../lib/socketserver/mod.ts";
import { DefaultSelector, EVENT_READ } from "../../lib/selectors/mod.ts";
import {
  armLifetimeGuard,
  BULK_CHUNK,
  emit,
  isStop,
  MESSAGE_SIZE,
  parseWorkerArgs,
  payload,
  sleep,
  timedLoop,
  UDP_STOP,
  type WorkerArgs,
} from "./_common.ts";

const HOST = "127.0.0.1";

function listener(args: WorkerArgs, backlog?: number): Socket {
  const s = socket(AF_INET, SOCK_STREAM);
  s.settimeout(args.timeout);
  s.bind([HOST, 0]);
  s.listen(backlog);
  emit({ port: s.getsockname()[1] });
  return s;
}

async function accept(server: Socket, args: WorkerArgs): Promise<Socket> {
  const [conn] = await server.accept();
  conn.settimeout(args.timeout);
  return conn;
}

async function connect(args: WorkerArgs): Promise<Socket> {
  const c = socket(AF_INET, SOCK_STREAM);
  c.settimeout(args.timeout);
  await c.connect([HOST, args.port]);
  return c;
}

async function bulkServer(args: WorkerArgs): Promise<void> {
  using server = listener(args);
  using conn = await accept(server, args);
  let bytes = 0;
  let start = 0;
  for (;;) {
    const data = await conn.recv(BULK_CHUNK);
    if (data.length === 0) break;
    if (bytes === 0) start = performance.now();
    bytes += data.length;
  }
  const seconds = (performance.now() - start) / 1000;
  emit({ bytes, seconds, value: bytes / 1e6 / seconds, unit: "MB/s" });
}

/** Bulk receiver with `recv_into` and one reused buffer: no allocation per read. */
async function bulkIntoServer(args: WorkerArgs): Promise<void> {
  using server = listener(args);
  using conn = await accept(server, args);
  const buf = new Uint8Array(BULK_CHUNK);
  let bytes = 0;
  let start = 0;
  for (;;) {
    const n = await conn.recv_into(buf);
    if (n === 0) break;
    if (bytes === 0) start = performance.now();
    bytes += n;
  }
  const seconds = (performance.now() - start) / 1000;
  emit({ bytes, seconds, value: bytes / 1e6 / seconds, unit: "MB/s" });
}

async function bulkClient(args: WorkerArgs): Promise<void> {
  using c = await connect(args);
  const chunk = payload(BULK_CHUNK);
  const deadline = performance.now() + args.seconds * 1000;
  let sent = 0;
  for (let i = 0; i < args.count && performance.now() < deadline; i++) {
    await c.sendall(chunk);
    sent += chunk.length;
  }
  emit({ sent });
}

async function pingpongServer(args: WorkerArgs): Promise<void> {
  using server = listener(args);
  using conn = await accept(server, args);
  conn.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  let echoed = 0;
  for (;;) {
    const data = await conn.recv(BULK_CHUNK);
    if (data.length === 0) break;
    await conn.sendall(data);
    echoed += data.length;
  }
  emit({ echoed });
}

async function pingpongClient(args: WorkerArgs): Promise<void> {
  using c = await connect(args);
  c.setsockopt(IPPROTO_TCP, TCP_NODELAY, 1);
  const message = payload(MESSAGE_SIZE);
  const { count, seconds } = await timedLoop(args, async () => {
    await c.sendall(message);
    let got = 0;
    while (got < MESSAGE_SIZE) {
      const data = await c.recv(MESSAGE_SIZE - got);
      if (data.length === 0) {
        throw new Error("Cannot ping: server closed the connection");
      }
      got += data.length;
    }
  });
  emit({ count, seconds, value: count / seconds, unit: "rt/s" });
}

async function udpServer(args: WorkerArgs): Promise<void> {
  using s = socket(AF_INET, SOCK_DGRAM);
  s.settimeout(args.timeout);
  s.bind([HOST, 0]);
  emit({ port: s.getsockname()[1] });
  let echoed = 0;
  for (;;) {
    const [data, addr] = await s.recvfrom(BULK_CHUNK);
    if (isStop(data)) break;
    await s.sendto(data, addr);
    echoed++;
  }
  emit({ echoed });
}

async function udpClient(args: WorkerArgs): Promise<void> {
  using s = socket(AF_INET, SOCK_DGRAM);
  s.settimeout(args.timeout);
  s.bind([HOST, 0]);
  const server: [string, number] = [HOST, args.port];
  const message = payload(MESSAGE_SIZE);
  const { count, seconds } = await timedLoop(args, async () => {
    await s.sendto(message, server);
    await s.recvfrom(BULK_CHUNK);
  });
  for (let i = 0; i < 3; i++) await s.sendto(UDP_STOP, server);
  emit({ count, seconds, value: count / seconds, unit: "rt/s" });
}

async function connsServer(args: WorkerArgs): Promise<void> {
  const server = listener(args, 4096);
  const held: Socket[] = [];
  for (;;) {
    const conn = await accept(server, args);
    held.push(conn);
    // An idle connection in a server is one waiting for data.
    conn.recv(1024).catch(() => {});
    if (held.length === args.count) emit({ accepted: held.length });
  }
}

async function connsClient(args: WorkerArgs): Promise<void> {
  const held: Socket[] = [];
  for (let i = 0; i < args.count; i++) held.push(await connect(args));
  emit({ opened: held.length });
  await sleep(args.seconds * 1000);
}

/** An echo handler, as a socketserver program writes it. */
class EchoHandler extends BaseRequestHandler {
  override async handle(): Promise<void> {
    for (;;) {
      const data = await this.request.recv(BULK_CHUNK);
      if (data.length === 0) break;
      await this.request.sendall(data);
    }
  }
}

/** Python's socketserver.ThreadingTCPServer, echoing every client, until killed. */
async function manyClientsServer(): Promise<void> {
  class Server extends ThreadingTCPServer {
    static override request_queue_size = 128;
    static override daemon_threads = true;
  }
  await using server = new Server([HOST, 0], EchoHandler);
  emit({ port: (server.server_address as [string, number])[1] });
  await server.serve_forever();
}

/**
 * The many-clients server as Python's selectors echo server
 * (`examples/selectors_echo_server.ts`, without its prints): one task
 * runs every callback in turn, as Python's event loop does.
 */
async function selectorsServer(): Promise<void> {
  type Callback = (sock: Socket) => Promise<void>;
  const sel = new DefaultSelector<Socket, Callback>();
  const read = async (conn: Socket) => {
    const data = await conn.recv(1000);
    if (data.length > 0) {
      await conn.sendall(data);
    } else {
      sel.unregister(conn);
      conn.close();
    }
  };
  const accept = async (sock: Socket) => {
    const [conn] = await sock.accept();
    conn.setblocking(false);
    sel.register(conn, EVENT_READ, read);
  };
  const sock = socket(AF_INET, SOCK_STREAM);
  sock.bind([HOST, 0]);
  sock.listen(1024);
  sock.setblocking(false);
  sel.register(sock, EVENT_READ, accept);
  emit({ port: sock.getsockname()[1] });
  while (true) {
    for (const [key] of await sel.select()) await key.data!(key.fileobj);
  }
}

function main(): Promise<void> {
  armLifetimeGuard();
  const args = parseWorkerArgs(Deno.args);
  const server = args.role === "server";
  switch (args.workload) {
    case "bulk":
      return server ? bulkServer(args) : bulkClient(args);
    case "bulk-into":
      return server ? bulkIntoServer(args) : bulkClient(args);
    case "tcp-pingpong":
      return server ? pingpongServer(args) : pingpongClient(args);
    case "udp-pingpong":
      return server ? udpServer(args) : udpClient(args);
    case "conns":
      return server ? connsServer(args) : connsClient(args);
    case "many-clients":
      if (!server) {
        throw new Error(
          "The many-clients workload's client is deno_raw.ts, for every server",
        );
      }
      return manyClientsServer();
    case "many-clients-selectors":
      if (!server) {
        throw new Error(
          "The many-clients workload's client is deno_raw.ts, for every server",
        );
      }
      return selectorsServer();
    case "startup":
      throw new Error(
        "The pysocket start-up workload runs cli.ts, not this worker",
      );
  }
}

if (import.meta.main) await main();
