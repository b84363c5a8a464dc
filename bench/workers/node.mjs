// Benchmark worker on Node.js `net` and `dgram`, run with `node`.
//
// Usage: node bench/workers/node.mjs <role> <workload> <port> <seconds> <count>
// Prints one JSON object per line on stdout, like the Deno workers.
import net from "node:net";
import dgram from "node:dgram";
import { once } from "node:events";

const HOST = "127.0.0.1";
const BULK_CHUNK = 65536;
const MESSAGE_SIZE = 64;
const WARMUP_SHARE = 0.1;
const MAX_LIFETIME_MS = 180_000;

const [role, workload, portText, secondsText, countText] = process.argv.slice(
  2,
);
const port = Number(portText ?? 0);
const seconds = Number(secondsText ?? 3);
const count = Number(countText || 1e9);

setTimeout(() => process.exit(3), MAX_LIFETIME_MS).unref();

function emit(value) {
  process.stdout.write(JSON.stringify(value) + "\n");
}

function payload(size) {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = 97 + (i % 26);
  return data;
}

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(
      { host: HOST, port: 0, backlog: 4096 },
      () => resolve(server.address().port),
    );
  });
}

async function bulkServer() {
  const server = net.createServer((sock) => {
    let bytes = 0;
    let start = 0;
    sock.on("data", (chunk) => {
      if (bytes === 0) start = performance.now();
      bytes += chunk.length;
    });
    sock.on("end", () => {
      const secs = (performance.now() - start) / 1000;
      emit({ bytes, seconds: secs, value: bytes / 1e6 / secs, unit: "MB/s" });
      sock.destroy();
      server.close();
    });
  });
  emit({ port: await listen(server) });
}

async function bulkClient() {
  const sock = net.connect({ host: HOST, port });
  await once(sock, "connect");
  const chunk = payload(BULK_CHUNK);
  const deadline = performance.now() + seconds * 1000;
  let sent = 0;
  // Write while the kernel takes it; wait for "drain" when it does not.
  for (let i = 0; i < count && performance.now() < deadline; i++) {
    sent += chunk.length;
    if (!sock.write(chunk)) await once(sock, "drain");
  }
  sock.end();
  await once(sock, "close");
  emit({ sent });
}

async function pingpongServer() {
  const server = net.createServer((sock) => {
    sock.setNoDelay(true);
    let echoed = 0;
    sock.on("data", (chunk) => {
      echoed += chunk.length;
      sock.write(chunk);
    });
    sock.on("end", () => {
      emit({ echoed });
      sock.destroy();
      server.close();
    });
  });
  emit({ port: await listen(server) });
}

/** Drives `step` (which calls back when one round trip is done) for the timed window. */
function timedLoop(start, stepOnce) {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const warmupEnd = t0 + seconds * 1000 * WARMUP_SHARE;
    let measuring = false;
    let begin = 0;
    let deadline = 0;
    let n = 0;
    const next = () => {
      const now = performance.now();
      if (!measuring) {
        if (now >= warmupEnd) {
          measuring = true;
          begin = now;
          deadline = begin + seconds * 1000;
        }
      } else {
        n++;
        if (n >= count || now >= deadline) {
          resolve({ count: n, seconds: (now - begin) / 1000 });
          return;
        }
      }
      stepOnce();
    };
    start(next);
    stepOnce();
  });
}

async function pingpongClient() {
  const sock = net.connect({ host: HOST, port });
  await once(sock, "connect");
  sock.setNoDelay(true);
  const message = payload(MESSAGE_SIZE);
  let got = 0;
  const result = await timedLoop((next) => {
    sock.on("data", (chunk) => {
      got += chunk.length;
      if (got >= MESSAGE_SIZE) {
        got -= MESSAGE_SIZE;
        next();
      }
    });
  }, () => sock.write(message));
  sock.end();
  await once(sock, "close");
  emit({ ...result, value: result.count / result.seconds, unit: "rt/s" });
}

async function udpServer() {
  const sock = dgram.createSocket("udp4");
  let echoed = 0;
  sock.on("message", (msg, rinfo) => {
    if (msg.length === 4 && msg.toString() === "STOP") {
      emit({ echoed });
      sock.close();
      return;
    }
    echoed++;
    sock.send(msg, rinfo.port, rinfo.address);
  });
  sock.bind(0, HOST);
  await once(sock, "listening");
  emit({ port: sock.address().port });
}

async function udpClient() {
  const sock = dgram.createSocket("udp4");
  sock.bind(0, HOST);
  await once(sock, "listening");
  const message = payload(MESSAGE_SIZE);
  const result = await timedLoop(
    (next) => sock.on("message", () => next()),
    () => sock.send(message, port, HOST),
  );
  for (let i = 0; i < 3; i++) sock.send(Buffer.from("STOP"), port, HOST);
  await new Promise((r) => setTimeout(r, 50));
  sock.close();
  emit({ ...result, value: result.count / result.seconds, unit: "rt/s" });
}

async function connsServer() {
  const held = [];
  const server = net.createServer((sock) => {
    held.push(sock);
    // An idle connection in a server is one waiting for data.
    sock.on("data", () => {});
    sock.on("error", () => {});
    if (held.length === count) emit({ accepted: held.length });
  });
  emit({ port: await listen(server) });
}

async function connsClient() {
  const held = [];
  for (let i = 0; i < count; i++) {
    const sock = net.connect({ host: HOST, port });
    sock.on("error", () => {});
    await once(sock, "connect");
    held.push(sock);
  }
  emit({ opened: held.length });
  await new Promise((r) => setTimeout(r, seconds * 1000));
  process.exit(0);
}

async function startupServer() {
  const server = net.createServer((sock) => {
    sock.on("error", () => {});
    sock.pipe(sock);
  });
  const p = await listen(server);
  process.stderr.write(`listening on ${HOST}:${p}\n`);
  emit({ port: p });
}

async function startupClient() {
  const sock = net.connect({ host: HOST, port });
  await once(sock, "connect");
  let input = "";
  for await (const chunk of process.stdin) input += chunk;
  let pending = "";
  const lines = [];
  sock.on("data", (chunk) => {
    pending += chunk;
    let i;
    while ((i = pending.indexOf("\n")) >= 0) {
      lines.push(pending.slice(0, i));
      pending = pending.slice(i + 1);
      sock.emit("line");
    }
  });
  for (const line of input.split("\n")) {
    if (line === "exit") break;
    sock.write(line + "\n");
    if (lines.length === 0) await once(sock, "line");
    console.log(lines.shift());
  }
  sock.end();
}

const table = {
  "bulk": [bulkServer, bulkClient],
  "tcp-pingpong": [pingpongServer, pingpongClient],
  "udp-pingpong": [udpServer, udpClient],
  "conns": [connsServer, connsClient],
  "startup": [startupServer, startupClient],
};
const pair = table[workload];
if (!pair || (role !== "server" && role !== "client")) {
  console.error(
    `usage: node node.mjs server|client <workload> <port> <seconds> <count>`,
  );
  process.exit(2);
}
await pair[role === "server" ? 0 : 1]();
