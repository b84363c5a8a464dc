/**
 * `deno task bench`: measures pysocket against raw Deno, CPython, Node.js and
 * iperf3 on loopback, side by side in one run, and writes
 * `bench/results/<name>.md` and `.json`.
 *
 * Every run has a client and a server in separate processes on 127.0.0.1;
 * implementations are interleaved round by round (A B C A B C …) and each
 * figure is the median of the rounds. Not part of the test suite.
 *
 * ```sh
 * deno task bench --quick            # about a minute and a half
 * deno task bench                    # the full run, under 15 minutes
 * deno task bench --only=tcp-pingpong --rounds=3 --seconds=2
 * deno task bench --micro            # the per-call cost, in one process (bench/micro.ts)
 * deno task bench --icount           # instructions per round trip, under callgrind (bench/icount.ts)
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { micro } from "./micro.ts";
import { icount } from "./icount.ts";
import {
  capture,
  finish,
  jsonLine,
  killAll,
  type Proc,
  readRss,
  startProcess,
} from "./_process.ts";
import {
  checkGoals,
  goalLines,
  renderConsole,
  renderMarkdown,
  type Report,
  type RowSpec,
  type Sample,
  summarize,
} from "./report.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");
const DENO = Deno.execPath();
const HOST = "127.0.0.1";
/**
 * The python3 executable itself: a version-manager shim (pyenv) on PATH is a
 * shell script that would add ~150 ms to every start. Resolved in {@link main}.
 */
let PYTHON = "python3";

/** The workloads, as named by `--only`. */
export const WORKLOADS = [
  "tcp-bulk",
  "tcp-pingpong",
  "udp-pingpong",
  "conns",
  "startup",
  "relay",
  "relay-sessions",
  "many-clients",
] as const;
/** One of {@link WORKLOADS}. */
export type WorkloadName = typeof WORKLOADS[number];
/** The implementations in display and interleaving order. */
export const IMPLS = [
  "pysocket",
  "pysocket+timeout",
  "pysocket+recv_into",
  "pysocket+selectors",
  "deno-raw",
  "python",
  "node",
  "iperf3",
  "socat",
] as const;

/** Options of one benchmark run, from the command line. */
export interface BenchOptions {
  /** Short form: fewer rounds and seconds. @default false */
  quick: boolean;
  /** Workloads to run. @default all of {@link WORKLOADS} */
  only: WorkloadName[];
  /** Implementations to run. @default all of {@link IMPLS} */
  impls: string[];
  /** Rounds per workload. @default 5, or 2 with `--quick` */
  rounds: number;
  /** Seconds per timed run. @default 3, or 1 with `--quick` */
  seconds: number;
  /** Idle connection counts for the `conns` workload. @default [1000, 5000] */
  conns: number[];
  /** Base name of the result files under bench/results/. */
  out: string;
  /**
   * CPU to pin both processes of the timed workloads (bulk, ping-pong) to:
   * `auto` is the last CPU when `taskset` exists, `none` leaves placement to
   * the scheduler. @default "auto"
   */
  pin: string;
}

const HELP =
  `Usage: deno task bench [--quick] [--only=W[,W]] [--impl=I[,I]] [--rounds=N] [--seconds=S] [--out=NAME]

Workloads: ${WORKLOADS.join(", ")}
Implementations: ${IMPLS.join(", ")}
Results go to bench/results/NAME.md and NAME.json (NAME: "latest" for a full run,
"quick" for --quick, "partial" when --only, --impl, --rounds or --seconds is given).`;

/**
 * Parses the command line.
 *
 * @param args The arguments after `bench/main.ts`.
 * @returns The options, or null when `--help` was asked for.
 * @throws {TypeError} On an unknown flag, workload or implementation, or a bad number.
 */
export function parseOptions(args: string[]): BenchOptions | null {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      quick: { type: "boolean", default: false },
      only: { type: "string" },
      impl: { type: "string" },
      rounds: { type: "string" },
      seconds: { type: "string" },
      conns: { type: "string" },
      pin: { type: "string" },
      out: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return null;
  const list = <T extends string>(
    text: string | undefined,
    all: readonly T[],
    what: string,
  ): T[] => {
    if (text === undefined) return [...all];
    const items = text.split(",").map((s) => s.trim()).filter(Boolean);
    for (const item of items) {
      if (!all.includes(item as T)) {
        throw new TypeError(
          `Unknown ${what} "${item}": expected one of ${all.join(", ")}`,
        );
      }
    }
    return items as T[];
  };
  const positive = (
    text: string | undefined,
    fallback: number,
    name: string,
    max: number,
  ) => {
    if (text === undefined) return fallback;
    const n = Number(text);
    if (!Number.isFinite(n) || n <= 0 || n > max) {
      throw new RangeError(
        `--${name} must be a number in (0, ${max}], got "${text}"`,
      );
    }
    return n;
  };
  const quick = values.quick ?? false;
  const only = list(values.only, WORKLOADS, "workload");
  const impls = list(values.impl, IMPLS, "implementation");
  const rounds = Math.round(
    positive(values.rounds, quick ? 2 : 5, "rounds", 50),
  );
  const seconds = positive(values.seconds, quick ? 1 : 3, "seconds", 30);
  const conns = values.conns === undefined
    ? [1000, 5000]
    : values.conns.split(",").map((s) =>
      Math.round(positive(s, 0, "conns", 20000))
    );
  const partial = values.only !== undefined || values.impl !== undefined ||
    values.rounds !== undefined || values.seconds !== undefined ||
    values.conns !== undefined;
  const out = values.out ?? (partial ? "partial" : quick ? "quick" : "latest");
  if (!/^[\w.-]+$/.test(out)) {
    throw new TypeError(`--out must be a plain file name, got "${out}"`);
  }
  const pin = values.pin ?? "auto";
  if (!/^(auto|none|\d+)$/.test(pin)) {
    throw new TypeError(
      `--pin must be auto, none or a CPU number, got "${pin}"`,
    );
  }
  return { quick, only, impls, rounds, seconds, conns, out, pin };
}

// ---------------------------------------------------------------------------
// How each implementation is started.

/** Command line of one worker process. */
interface Cmd {
  cmd: string;
  args: string[];
}

function workerCmd(
  impl: string,
  role: string,
  workload: string,
  port: number,
  seconds: number,
  count = 0,
): Cmd {
  const rest = [
    role,
    workload,
    String(port),
    String(seconds),
    count ? String(count) : "",
  ];
  const denoRun = (file: string) => ({
    cmd: DENO,
    args: [
      "run",
      "--quiet",
      "--allow-net=127.0.0.1",
      "--unstable-net",
      file,
      ...rest,
    ],
  });
  switch (impl) {
    case "pysocket":
      return denoRun("bench/workers/pysocket.ts");
    case "pysocket+timeout": {
      const c = denoRun("bench/workers/pysocket.ts");
      c.args.push("30");
      return c;
    }
    case "pysocket+recv_into": {
      // The same bulk run, received with recv_into() into one buffer.
      const c = denoRun("bench/workers/pysocket.ts");
      const at = c.args.indexOf("bulk");
      if (at !== -1) c.args[at] = "bulk-into";
      return c;
    }
    case "pysocket+selectors": {
      // The many-clients server as Python's selectors echo server.
      const c = denoRun("bench/workers/pysocket.ts");
      const at = c.args.indexOf("many-clients");
      if (at !== -1) c.args[at] = "many-clients-selectors";
      return c;
    }
    case "deno-raw":
      return denoRun("bench/workers/deno_raw.ts");
    case "python":
      return { cmd: PYTHON, args: ["bench/python/worker.py", ...rest] };
    case "node":
      return { cmd: "node", args: ["bench/workers/node.mjs", ...rest] };
  }
  throw new TypeError(`No worker for implementation "${impl}"`);
}

/** Wraps a command in `sh -c 'ulimit -n N && exec "$@"'` to raise the open-file limit. */
/**
 * CPU that both ends of a timed run are pinned to, or null. On small VMs a
 * wake-up across vCPUs costs tens of microseconds and whether the scheduler
 * puts client and server on one vCPU or two changes ping-pong rates by 4x,
 * so unpinned medians mostly measure placement. Set in {@link main}.
 */
let PIN_CPU: number | null = null;

function pinned(c: Cmd): Cmd {
  if (PIN_CPU === null) return c;
  return { cmd: "taskset", args: ["-c", String(PIN_CPU), c.cmd, ...c.args] };
}

function withFileLimit(c: Cmd, limit: number | null): Cmd {
  if (limit === null) return c;
  return {
    cmd: "sh",
    args: ["-c", `ulimit -n ${limit} && exec "$@"`, "sh", c.cmd, ...c.args],
  };
}

function spawn(c: Cmd, timeoutMs: number, stdin?: string): Proc {
  return startProcess(c.cmd, c.args, { cwd: ROOT, timeoutMs, stdin });
}

const portOf = (line: string) => {
  const v = jsonLine(line)?.port;
  return typeof v === "number" ? v : undefined;
};

function field(name: string) {
  return (line: string) => {
    const obj = jsonLine(line);
    return obj && name in obj ? obj : undefined;
  };
}

async function stopAll(procs: (Proc | undefined)[]): Promise<void> {
  await Promise.all(procs.map((p) => p?.kill()));
}

// ---------------------------------------------------------------------------
// One run of one workload with one implementation. Each returns the figure.

async function runTimed(
  impl: string,
  workload: string,
  seconds: number,
): Promise<number> {
  const hard = (seconds * 1.2 + 30) * 1000;
  let server: Proc | undefined;
  let client: Proc | undefined;
  try {
    server = spawn(
      pinned(workerCmd(impl, "server", workload, 0, seconds)),
      hard,
    );
    const port = await server.stdout.next(
      portOf,
      20_000,
      `port of ${impl} ${workload} server`,
    );
    // Every many-clients server faces the same client: deno-raw's.
    const clientImpl = workload === "many-clients" ? "deno-raw" : impl;
    client = spawn(
      pinned(workerCmd(clientImpl, "client", workload, port, seconds)),
      hard,
    );
    await finish(client);
    if (workload === "bulk") {
      // The receiver confirms the figure.
      const r = await server.stdout.next(
        field("value"),
        10_000,
        `${impl} bulk result`,
      );
      return Number(r.value);
    }
    const r = await client.stdout.next(
      field("value"),
      1000,
      `${impl} ${workload} result`,
    );
    return Number(r.value);
  } finally {
    await stopAll([client, server]);
  }
}

/**
 * The `relay` workload: the bulk run of deno-raw's workers through a port
 * forwarder (client -> relay -> sink), MB/s as the sink counts them. The
 * forwarder is `pysocket relay` ("pysocket"), a raw-Deno relay
 * (`bench/workers/deno_relay.ts`, "deno-raw") or `socat
 * TCP-LISTEN:PORT,fork TCP:127.0.0.1:SINK` ("socat").
 */
/** The command of a relay worker: pysocket's or the raw-Deno one. */
function relayCmd(impl: string, sinkPort: number): Cmd {
  return {
    cmd: DENO,
    args: impl === "pysocket"
      ? [
        "run",
        "--quiet",
        `--allow-net=${HOST}`,
        "cli.ts",
        "relay",
        `${HOST}:0`,
        `${HOST}:${sinkPort}`,
        "--json",
      ]
      : [
        "run",
        "--quiet",
        `--allow-net=${HOST}`,
        "bench/workers/deno_relay.ts",
        String(sinkPort),
      ],
  };
}

/**
 * The `relay-sessions` workload: the relay's resident memory per open,
 * idle session (`count` clients, each relayed to its own connection to a
 * sink that holds them), pysocket relay beside the raw-Deno relay.
 */
async function runRelaySessions(
  impl: string,
  count: number,
  raise: number | null,
  settleMs: number,
): Promise<number> {
  const hard = 120_000;
  let sink: Proc | undefined;
  let relay: Proc | undefined;
  let client: Proc | undefined;
  try {
    sink = spawn(
      withFileLimit(
        workerCmd("deno-raw", "server", "conns", 0, 0, count),
        raise,
      ),
      hard,
    );
    const sinkPort = await sink.stdout.next(portOf, 20_000, "port of the sink");
    relay = spawn(withFileLimit(relayCmd(impl, sinkPort), raise), hard);
    const port = await relay.stdout.next(
      portOf,
      20_000,
      `port of ${impl} relay`,
    );
    await new Promise((r) => setTimeout(r, settleMs));
    const before = await readRss(relay.pid);
    client = spawn(
      withFileLimit(
        workerCmd("deno-raw", "client", "conns", port, 100, count),
        raise,
      ),
      hard,
    );
    await sink.stdout.next(
      field("accepted"),
      90_000,
      `${count} sessions through the ${impl} relay`,
    );
    await new Promise((r) => setTimeout(r, settleMs));
    const after = await readRss(relay.pid);
    return (after - before) / count;
  } finally {
    await stopAll([client, relay, sink]);
  }
}

async function runRelay(impl: string, seconds: number): Promise<number> {
  const hard = (seconds * 1.2 + 30) * 1000;
  let sink: Proc | undefined;
  let relay: Proc | undefined;
  let client: Proc | undefined;
  try {
    sink = spawn(
      pinned(workerCmd("deno-raw", "server", "bulk", 0, seconds)),
      hard,
    );
    const sinkPort = await sink.stdout.next(portOf, 20_000, "port of the sink");
    let port: number;
    if (impl === "socat") {
      port = freePort();
      relay = spawn(
        pinned({
          cmd: "socat",
          args: [
            "-d",
            "-d",
            `TCP-LISTEN:${port},bind=${HOST},fork,reuseaddr`,
            `TCP:${HOST}:${sinkPort}`,
          ],
        }),
        hard,
      );
      await relay.stderr.next(
        (line) => /listening on/.test(line) || undefined,
        20_000,
        "socat listening",
      );
    } else {
      relay = spawn(pinned(relayCmd(impl, sinkPort)), hard);
      port = await relay.stdout.next(portOf, 20_000, `port of ${impl} relay`);
    }
    client = spawn(
      pinned(workerCmd("deno-raw", "client", "bulk", port, seconds)),
      hard,
    );
    await finish(client);
    const r = await sink.stdout.next(
      field("value"),
      20_000,
      `${impl} relay bulk result`,
    );
    return Number(r.value);
  } finally {
    await stopAll([client, relay, sink]);
  }
}

function freePort(): number {
  using l = Deno.listen({ hostname: HOST, port: 0 });
  return (l.addr as Deno.NetAddr).port;
}

async function runIperf(seconds: number): Promise<number> {
  const port = freePort();
  const secs = Math.max(1, Math.round(seconds));
  const hard = (secs + 30) * 1000;
  let server: Proc | undefined;
  let client: Proc | undefined;
  try {
    server = spawn(
      pinned({
        cmd: "iperf3",
        args: ["-s", "-1", "-B", HOST, "-p", String(port), "--forceflush"],
      }),
      hard,
    );
    await server.stdout.next(
      (l) => l.includes("listening") || undefined,
      10_000,
      "iperf3 server start",
    );
    client = spawn(
      pinned({
        cmd: "iperf3",
        args: [
          "-c",
          HOST,
          "-p",
          String(port),
          "-t",
          String(secs),
          "-l",
          "65536",
          "-J",
        ],
      }),
      hard,
    );
    await finish(client);
    const result = JSON.parse(client.stdout.lines.join("\n"));
    const received = result.end?.sum_received;
    if (!received?.bytes) throw new Error("iperf3 reported no received bytes");
    return received.bytes / 1e6 / received.seconds;
  } finally {
    await stopAll([client, server]);
  }
}

/** Open-file limits: `[soft, hard]`, read through `sh -c 'ulimit -n; ulimit -Hn'`. */
async function fileLimits(): Promise<[number, number]> {
  const text = await capture("sh", ["-c", "ulimit -n; ulimit -Hn"]);
  const [soft, hard] = (text ?? "1024\n1024").split("\n").map((s) =>
    s === "unlimited" ? Infinity : Number(s)
  );
  return [soft, hard];
}

/**
 * Decides how to give a process `count` connections' worth of descriptors:
 * null if the current limit is enough, a raised limit, or a reason to skip.
 */
async function limitFor(
  count: number,
): Promise<{ raise: number | null } | { skip: string }> {
  const needed = count + 256;
  const [soft, hard] = await fileLimits();
  if (soft >= needed) return { raise: null };
  const probe = await capture("sh", ["-c", `ulimit -n ${needed} && ulimit -n`]);
  if (probe !== null && Number(probe) >= needed) return { raise: needed };
  return {
    skip:
      `open-file limit ${soft} (hard ${hard}) is below ${needed} and cannot be raised`,
  };
}

async function runConns(
  impl: string,
  count: number,
  raise: number | null,
  settleMs: number,
): Promise<number> {
  const hard = 120_000;
  let server: Proc | undefined;
  let client: Proc | undefined;
  try {
    server = spawn(
      withFileLimit(workerCmd(impl, "server", "conns", 0, 0, count), raise),
      hard,
    );
    const port = await server.stdout.next(
      portOf,
      20_000,
      `port of ${impl} conns server`,
    );
    await new Promise((r) => setTimeout(r, settleMs));
    const before = await readRss(server.pid);
    // The client holds its connections until it is killed (bounded by its own timer).
    client = spawn(
      withFileLimit(
        workerCmd(impl, "client", "conns", port, 100, count),
        raise,
      ),
      hard,
    );
    const accepted = server.stdout.next(
      field("accepted"),
      90_000,
      `${impl} server accepting ${count}`,
    );
    const failed = client.status.then((s) => {
      throw new Error(
        `Client exited with code ${s.code} before ${count} connections: ${
          client?.stderr.tail(2)
        }`,
      );
    });
    await Promise.race([accepted, failed]);
    failed.catch(() => {});
    await new Promise((r) => setTimeout(r, settleMs));
    const after = await readRss(server.pid);
    return (after - before) / count;
  } finally {
    await stopAll([client, server]);
  }
}

const STARTUP_INPUT = "hi\nexit\n";

function startupCmds(
  impl: string,
): { server: Cmd; client: (port: number) => Cmd } {
  if (impl === "pysocket") {
    return {
      server: {
        cmd: DENO,
        args: [
          "run",
          "--quiet",
          "--allow-net=127.0.0.1",
          "cli.ts",
          "tcp-server",
          "--host",
          "127.0.0.1",
          "--port",
          "0",
          "--echo",
        ],
      },
      client: (port) => ({
        cmd: DENO,
        args: [
          "run",
          "--quiet",
          `--allow-net=127.0.0.1:${port}`,
          "cli.ts",
          "tcp-client",
          "--port",
          String(port),
        ],
      }),
    };
  }
  const server = workerCmd(impl, "server", "startup", 0, 0);
  if (impl === "deno-raw") {
    return {
      server,
      client: (port) => ({
        cmd: DENO,
        args: [
          "run",
          "--quiet",
          `--allow-net=127.0.0.1:${port}`,
          "bench/workers/deno_raw.ts",
          "client",
          "startup",
          String(port),
        ],
      }),
    };
  }
  return {
    server,
    client: (port) => workerCmd(impl, "client", "startup", port, 0),
  };
}

/** Wall time in milliseconds of one scripted client run against a fresh echo server. */
async function runStartup(impl: string): Promise<number> {
  const cmds = startupCmds(impl);
  let server: Proc | undefined;
  let client: Proc | undefined;
  try {
    const echo = spawn(cmds.server, 30_000);
    server = echo;
    const port = await echo.stderr.next(
      (l) => {
        const m = l.match(/listening on [\d.]+:(\d+)/);
        return m ? Number(m[1]) : undefined;
      },
      20_000,
      `"listening on" line of ${impl} echo server`,
    ).catch((e) => {
      const said = echo.stderr.tail(2).replace(/\s+/g, " ") || "nothing";
      throw new Error(`${e.message}; its stderr: ${said}`);
    });
    const start = performance.now();
    client = spawn(cmds.client(port), 30_000, STARTUP_INPUT);
    await finish(client);
    const ms = performance.now() - start;
    if (!client.stdout.lines.some((l) => l.includes("hi"))) {
      throw new Error(
        `${impl} client did not print the echoed "hi": ${
          client.stdout.tail(3)
        }`,
      );
    }
    return ms;
  } finally {
    await stopAll([client, server]);
  }
}

// ---------------------------------------------------------------------------
// The run.

const ROWS: Record<string, RowSpec> = {
  "tcp-bulk": {
    key: "tcp-bulk",
    title: "TCP bulk",
    unit: "MB/s",
    higherIsBetter: true,
  },
  "tcp-pingpong": {
    key: "tcp-pingpong",
    title: "TCP ping-pong",
    unit: "rt/s",
    higherIsBetter: true,
  },
  "udp-pingpong": {
    key: "udp-pingpong",
    title: "UDP ping-pong",
    unit: "rt/s",
    higherIsBetter: true,
  },
  "relay": {
    key: "relay",
    title: "TCP bulk through a relay",
    unit: "MB/s",
    higherIsBetter: true,
  },
  "relay-sessions": {
    key: "relay-sessions",
    title: "Relay memory, 1,000 idle sessions",
    unit: "B/session",
    higherIsBetter: false,
  },
  "many-clients": {
    key: "many-clients",
    title: "Echo, 100 clients at once",
    unit: "rt/s",
    higherIsBetter: true,
  },
  "startup": {
    key: "startup",
    title: "Start-up (client run)",
    unit: "ms",
    higherIsBetter: false,
  },
};

function connsRow(count: number): RowSpec {
  return {
    key: `conns-${count}`,
    title: `Idle conns ${count}`,
    unit: "B/conn",
    higherIsBetter: false,
  };
}

function fileExists(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

async function machine(): Promise<Report["machine"]> {
  // Deno asks for --allow-all to read /proc files, so `cat` reads them.
  const cpuinfo = await capture("cat", ["/proc/cpuinfo"]) ?? "";
  const cpu = cpuinfo.match(/^model name\s*:\s*(.+)$/m)?.[1]?.trim() ??
    "unknown CPU";
  const cores = (cpuinfo.match(/^processor\s*:/gm) ?? []).length ||
    navigator.hardwareConcurrency;
  const osRelease = await Deno.readTextFile("/etc/os-release").catch(() => "");
  const distro = osRelease.match(/^PRETTY_NAME="?([^"\n]+)"?$/m)?.[1] ??
    Deno.build.os;
  const [python, node, iperf, git, dirty] = await Promise.all([
    capture(PYTHON, ["--version"]),
    capture("node", ["--version"]),
    capture("iperf3", ["--version"]),
    capture("git", ["-C", ROOT, "rev-parse", "--short", "HEAD"]),
    capture("git", [
      "-C",
      ROOT,
      "status",
      "--porcelain",
      "--",
      "mod.ts",
      "lib",
    ]),
  ]);
  return {
    cpu,
    cores,
    os: `${distro}, Linux ${Deno.osRelease()} ${Deno.build.arch}`,
    versions: {
      deno: Deno.version.deno,
      python: python?.replace(/^Python /, "") ?? "missing",
      node: node?.replace(/^v/, "") ?? "missing",
      iperf3: iperf?.match(/iperf (\S+)/)?.[1] ?? "missing",
      pysocket: git
        ? `${git}${dirty ? " + uncommitted lib changes" : ""}`
        : "unknown",
    },
  };
}

async function loadAverage(): Promise<string> {
  const text = await capture("cat", ["/proc/loadavg"]) ?? "";
  return text.split(" ")[0] || "unknown";
}

/**
 * Runs the benchmark and writes the report.
 *
 * @param args Command-line arguments.
 * @returns The exit code: 0 when the run completed (goals may still fail), 2 on bad arguments.
 */
export async function main(args: string[]): Promise<number> {
  // The in-process microbenchmark has its own options (bench/micro.ts).
  if (args.includes("--micro")) return await micro(args);
  // Instructions per round trip under callgrind (bench/icount.ts).
  if (args.includes("--icount")) return await icount(args);
  let opts: BenchOptions | null;
  try {
    opts = parseOptions(args);
  } catch (e) {
    console.error(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (opts === null) {
    console.log(HELP);
    return 0;
  }
  const t0 = performance.now();
  PYTHON =
    await capture("python3", ["-c", "import sys; print(sys.executable)"]) ??
      "python3";
  const samples: Sample[] = [];
  const notes = new Map<string, string>();
  const noteLines: string[] = [];
  const specs: RowSpec[] = [];
  const note = (row: string, impl: string, text: string) => {
    if (!notes.has(`${row}/${impl}`)) {
      noteLines.push(`${row} / ${impl}: ${text}`);
    }
    notes.set(`${row}/${impl}`, text);
    console.log(`  ${row} ${impl}: ${text}`);
  };
  const want = (impl: string) => opts.impls.includes(impl);
  const mach = await machine();
  if (opts.pin === "auto") {
    PIN_CPU = await capture("taskset", ["--version"]) !== null
      ? mach.cores - 1
      : null;
  } else {
    PIN_CPU = opts.pin === "none" ? null : Number(opts.pin);
  }
  const loadStart = await loadAverage();
  console.log(`pysocket bench: ${mach.cpu}, ${mach.cores} cores, ${mach.os}`);
  console.log(
    `  deno ${mach.versions.deno}, python ${mach.versions.python}, node ${mach.versions.node}, iperf3 ${mach.versions.iperf3}, pysocket ${mach.versions.pysocket}`,
  );
  console.log(
    `  ${opts.rounds} rounds, ${opts.seconds} s per timed run, workloads: ${
      opts.only.join(", ")
    }`,
  );
  console.log(
    PIN_CPU === null
      ? "  timed runs are not pinned to a CPU"
      : `  timed runs (bulk, ping-pong): client and server pinned to CPU ${PIN_CPU}`,
  );

  const hasLib = fileExists(`${ROOT}/mod.ts`);
  if (!hasLib && (want("pysocket") || want("pysocket+timeout"))) {
    console.log("  pysocket: skipped: mod.ts not found");
  }
  const hasIperf = mach.versions.iperf3 !== "missing";

  /** Runs `measure` for every implementation, interleaved, for all rounds. */
  const interleave = async (
    spec: RowSpec,
    impls: string[],
    measure: (impl: string) => Promise<number>,
  ) => {
    specs.push(spec);
    const failedImpls = new Set<string>();
    for (let round = 1; round <= opts.rounds; round++) {
      for (const impl of impls) {
        if (failedImpls.has(impl)) continue;
        try {
          const value = await measure(impl);
          samples.push({ row: spec.key, impl, round, value });
          console.log(
            `  ${spec.key} round ${round} ${impl.padEnd(17)} ${
              value.toFixed(1)
            } ${spec.unit}`,
          );
        } catch (e) {
          // One failure drops the implementation from this row: a broken
          // worker would fail the same way every round.
          failedImpls.add(impl);
          note(
            spec.key,
            impl,
            `failed: ${
              (e as Error).message.replace(/\s+/g, " ").slice(0, 300)
            }`,
          );
        }
      }
    }
  };

  const base = ["pysocket", "deno-raw", "python", "node"].filter(want)
    .filter((i) => hasLib || !i.startsWith("pysocket"));
  const noLib = (row: string) => {
    if (hasLib) return;
    for (
      const i of [
        "pysocket",
        "pysocket+timeout",
        "pysocket+recv_into",
        "pysocket+selectors",
      ].filter(
        want,
      )
    ) {
      note(row, i, "skipped: mod.ts not found");
    }
  };

  for (const workload of opts.only) {
    console.log(`\n== ${workload}`);
    switch (workload) {
      case "tcp-bulk": {
        noLib(workload);
        const impls = [...base];
        if (hasLib && want("pysocket+recv_into")) {
          impls.splice(
            impls.includes("pysocket") ? 1 : 0,
            0,
            "pysocket+recv_into",
          );
        }
        if (want("iperf3")) {
          if (hasIperf) impls.push("iperf3");
          else {note(
              workload,
              "iperf3",
              "skipped: iperf3 not installed (apt-get install iperf3)",
            );}
        }
        await interleave(
          ROWS[workload],
          impls,
          (impl) =>
            impl === "iperf3"
              ? runIperf(opts.seconds)
              : runTimed(impl, "bulk", opts.seconds),
        );
        break;
      }
      case "tcp-pingpong": {
        noLib(workload);
        const impls = [...base];
        if (hasLib && want("pysocket+timeout")) {
          impls.splice(
            impls.includes("pysocket") ? 1 : 0,
            0,
            "pysocket+timeout",
          );
        }
        await interleave(
          ROWS[workload],
          impls,
          (impl) => runTimed(impl, workload, opts.seconds),
        );
        break;
      }
      case "udp-pingpong":
        noLib(workload);
        await interleave(
          ROWS[workload],
          base,
          (impl) => runTimed(impl, workload, opts.seconds),
        );
        break;
      case "conns":
        for (const count of opts.conns) {
          const spec = connsRow(count);
          noLib(spec.key);
          const limit = await limitFor(count);
          if ("skip" in limit) {
            specs.push(spec);
            for (const impl of base) {
              note(spec.key, impl, `skipped: ${limit.skip}`);
            }
            continue;
          }
          if (limit.raise !== null) {
            console.log(
              `  raising the open-file limit to ${limit.raise} in the children`,
            );
          }
          await interleave(
            spec,
            base,
            (impl) =>
              runConns(impl, count, limit.raise, opts.quick ? 500 : 1000),
          );
        }
        break;
      case "relay": {
        const impls = ["pysocket", "deno-raw"].filter(want)
          .filter((i) => i !== "pysocket" || fileExists(`${ROOT}/cli.ts`));
        if (want("socat")) {
          if (await capture("socat", ["-V"]) !== null) impls.push("socat");
          else {
            note(
              workload,
              "socat",
              "skipped: socat not installed (apt-get install socat)",
            );
          }
        }
        await interleave(
          ROWS[workload],
          impls,
          (impl) => runRelay(impl, opts.seconds),
        );
        break;
      }
      case "relay-sessions": {
        const count = 1000;
        // Each session holds two descriptors in the relay.
        const limit = await limitFor(2 * count);
        const impls = ["pysocket", "deno-raw"].filter(want);
        if ("skip" in limit) {
          specs.push(ROWS[workload]);
          for (const impl of impls) {
            note(workload, impl, `skipped: ${limit.skip}`);
          }
          break;
        }
        if (want("socat")) {
          note(
            workload,
            "socat",
            "not measured: socat forks a process per session",
          );
        }
        await interleave(
          ROWS[workload],
          impls,
          (impl) =>
            runRelaySessions(impl, count, limit.raise, opts.quick ? 500 : 1000),
        );
        break;
      }
      case "many-clients":
        // pysocket: socketserver.ThreadingTCPServer; pysocket+selectors:
        // Python's selectors echo server, ported; python: CPython's
        // socketserver.ThreadingTCPServer. One deno-raw client process
        // drives 100 connections against each.
        noLib(workload);
        note(
          workload,
          "pysocket",
          "ThreadingTCPServer (python: socketserver.ThreadingTCPServer; one deno-raw client process drives 100 connections against each)",
        );
        await interleave(
          ROWS[workload],
          [
            ...base.filter((i) => i !== "node"),
            ...(hasLib && want("pysocket+selectors")
              ? ["pysocket+selectors"]
              : []),
          ],
          (impl) => runTimed(impl, workload, opts.seconds),
        );
        break;
      case "startup": {
        const impls = base.filter((i) => i !== "pysocket");
        if (want("pysocket")) {
          if (fileExists(`${ROOT}/cli.ts`)) {
            impls.unshift("pysocket");
          } else {
            note(workload, "pysocket", "skipped: cli.ts not found");
          }
        }
        // One unmeasured run each fills Deno's module cache and the OS page cache.
        const working: string[] = [];
        for (const impl of impls) {
          try {
            await runStartup(impl);
            working.push(impl);
          } catch (e) {
            const msg = (e as Error).message.replace(/\s+/g, " ").slice(0, 300);
            note(
              workload,
              impl,
              impl === "pysocket"
                ? `skipped: cli.ts failed: ${msg}`
                : `failed: ${msg}`,
            );
          }
        }
        await interleave(ROWS[workload], working, runStartup);
        break;
      }
    }
  }

  const elapsedSeconds = (performance.now() - t0) / 1000;
  noteLines.push(
    `Load average (1 min) was ${loadStart} at the start and ${await loadAverage()} at the end, on ${mach.cores} cores: ` +
      `other work on the machine widens the min – max spread.`,
  );
  const rows = summarize(specs, [...IMPLS], samples, notes);
  const report: Report = {
    date: new Date().toISOString(),
    machine: mach,
    options: {
      quick: opts.quick,
      rounds: opts.rounds,
      seconds: opts.seconds,
      conns: opts.conns,
      pinnedCpu: PIN_CPU,
    },
    rows,
    goals: checkGoals(rows),
    notes: noteLines,
    elapsedSeconds,
  };
  console.log("");
  for (const line of renderConsole(report)) console.log(line);
  console.log("\nGoals:");
  for (const line of goalLines(report.goals)) console.log(`  ${line}`);
  const budget = opts.quick ? 120 : 900;
  console.log(
    `\nTotal ${elapsedSeconds.toFixed(0)} s (budget ${budget} s)${
      elapsedSeconds > budget ? ": OVER BUDGET" : ""
    }`,
  );
  await Deno.mkdir(`${ROOT}/bench/results`, { recursive: true });
  await Deno.writeTextFile(
    `${ROOT}/bench/results/${opts.out}.md`,
    renderMarkdown(report),
  );
  await Deno.writeTextFile(
    `${ROOT}/bench/results/${opts.out}.json`,
    JSON.stringify(report, null, 2) + "\n",
  );
  console.log(
    `Wrote bench/results/${opts.out}.md and bench/results/${opts.out}.json`,
  );
  return 0;
}

if (import.meta.main) {
  const onSignal = () => {
    killAll().finally(() => Deno.exit(130));
  };
  Deno.addSignalListener("SIGINT", onSignal);
  Deno.addSignalListener("SIGTERM", onSignal);
  let code = 1;
  try {
    code = await main(Deno.args);
  } finally {
    await killAll();
  }
  Deno.exit(code);
}
