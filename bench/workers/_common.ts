/**
 * Shared helpers for the Deno benchmark workers (`pysocket.ts`, `deno_raw.ts`).
 *
 * Every worker is called as
 * `<role> <workload> <port> <seconds> <count> [timeout]` and prints one JSON
 * object per line on stdout: servers first print `{"port": N}`, then their
 * result (if the workload has one); clients print their result.
 *
 * @module
 */

/** The roles a worker process can play. */
export type Role = "server" | "client";

/** The workloads every worker implements. */
export type Workload =
  | "bulk"
  | "bulk-into"
  | "tcp-pingpong"
  | "udp-pingpong"
  | "conns"
  | "startup"
  | "many-clients"
  | "many-clients-selectors";

/** Parsed worker command line. */
export interface WorkerArgs {
  /** `server` or `client`. */
  role: Role;
  /** Which workload to run. */
  workload: Workload;
  /** Port to connect to (clients) or to bind (servers, normally 0). */
  port: number;
  /** How long a client drives the workload, in seconds. */
  seconds: number;
  /** Upper bound on iterations, or the number of connections for `conns`. */
  count: number;
  /** Socket timeout in seconds, or null for none (pysocket only). */
  timeout: number | null;
}

/** Size of one TCP bulk write and of the receive buffer. */
export const BULK_CHUNK = 65536;
/** Size of one ping-pong message. */
export const MESSAGE_SIZE = 64;
/** Concurrent clients of the many-clients workload, each ping-ponging MESSAGE_SIZE bytes. */
export const MANY_CLIENTS = 100;
/** Datagram a UDP client sends to tell the server to stop. */
export const UDP_STOP: Uint8Array = new TextEncoder().encode("STOP");
/** Share of a ping-pong run spent warming up before counting starts. */
export const WARMUP_SHARE = 0.1;
/** A server or idle client never lives longer than this, in milliseconds. */
export const MAX_LIFETIME_MS = 180_000;

/**
 * Parses the positional worker arguments.
 *
 * @param args The process arguments, normally `Deno.args`.
 * @returns The parsed arguments.
 * @throws {TypeError} If a role, workload or number is not valid.
 */
export function parseWorkerArgs(args: string[]): WorkerArgs {
  const [role, workload, port, seconds, count, timeout] = args;
  if (role !== "server" && role !== "client") {
    throw new TypeError(`Cannot run worker: unknown role "${role}"`);
  }
  const workloads = [
    "bulk",
    "bulk-into",
    "tcp-pingpong",
    "udp-pingpong",
    "conns",
    "startup",
    "many-clients",
    "many-clients-selectors",
  ];
  if (!workloads.includes(workload)) {
    throw new TypeError(`Cannot run worker: unknown workload "${workload}"`);
  }
  const num = (name: string, text: string | undefined, fallback: number) => {
    if (text === undefined || text === "") return fallback;
    const value = Number(text);
    if (!Number.isFinite(value) || value < 0) {
      throw new TypeError(
        `Cannot run worker: ${name} "${text}" is not a number`,
      );
    }
    return value;
  };
  const t = timeout === undefined || timeout === "" || timeout === "none"
    ? null
    : num("timeout", timeout, 0);
  return {
    role,
    workload: workload as Workload,
    port: num("port", port, 0),
    seconds: num("seconds", seconds, 3),
    count: num("count", count, 1e9),
    timeout: t,
  };
}

/**
 * Prints one JSON line on stdout.
 *
 * @param value The object to print.
 */
export function emit(value: Record<string, unknown>): void {
  console.log(JSON.stringify(value));
}

/**
 * Makes a payload of the given size filled with a repeating pattern.
 *
 * @param size Number of bytes.
 * @returns The payload.
 */
export function payload(size: number): Uint8Array {
  const data = new Uint8Array(size);
  for (let i = 0; i < size; i++) data[i] = 97 + (i % 26);
  return data;
}

/**
 * Waits for the given number of milliseconds.
 *
 * @param ms Milliseconds to wait.
 * @returns A promise that resolves after the delay.
 */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Exits the process after {@link MAX_LIFETIME_MS}, so a forgotten worker
 * can never outlive the benchmark. The timer does not keep the process alive.
 */
export function armLifetimeGuard(): void {
  const id = setTimeout(() => Deno.exit(3), MAX_LIFETIME_MS);
  Deno.unrefTimer(id);
}

/**
 * Runs `step` for a warm-up share of the time, then counts steps until the
 * deadline or the count bound.
 *
 * @param args The worker's arguments (seconds and count bound).
 * @param step One round trip.
 * @returns How many steps ran in how many seconds, warm-up excluded.
 */
export async function timedLoop(
  args: WorkerArgs,
  step: () => Promise<void>,
): Promise<{ count: number; seconds: number }> {
  const warmupEnd = performance.now() + args.seconds * 1000 * WARMUP_SHARE;
  while (performance.now() < warmupEnd) await step();
  const start = performance.now();
  const deadline = start + args.seconds * 1000;
  let count = 0;
  while (count < args.count && performance.now() < deadline) {
    await step();
    count++;
  }
  return { count, seconds: (performance.now() - start) / 1000 };
}

/**
 * Tells whether a datagram is the client's stop signal.
 *
 * @param data The datagram.
 * @returns `true` for {@linkcode UDP_STOP}.
 */
export function isStop(data: Uint8Array): boolean {
  return data.length === UDP_STOP.length &&
    data.every((b, i) => b === UDP_STOP[i]);
}
