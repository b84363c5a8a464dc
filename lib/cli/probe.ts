/**
 * A port check as a program: `pysocket probe HOST PORTS` (`nc -z`).
 *
 * Tries a TCP connection to each port with the library's `connect_ex`, at
 * most `--concurrency` at once (100 by default), each within `--timeout`
 * seconds (2 by default), and prints `PORT open` on stdout for each port
 * that accepted, in the order given (with `-v`, also `PORT closed`, `PORT
 * timed out` and `PORT error: REASON`, and a summary on stderr). PORTS is
 * a list of ports and ranges, `22,80,8000-8100`: at most 65,535 in all.
 * Exits with 0 when at least one port is open and 1 otherwise, as `nc -z`
 * does; 2 for bad arguments. With `--json`, every port is one `port`
 * event on stdout.
 *
 * Requires `allow-net` permission for the host, such as
 * `--allow-net=127.0.0.1`.
 *
 * @example Check two ports (from the command line)
 * ```sh
 * deno run --allow-net=127.0.0.1 jsr:@pysocket/pysocket/probe 127.0.0.1 22,80
 * ```
 *
 * @module
 */

import {
  AF_INET,
  AF_INET6,
  errno as ERRNO,
  type ErrnoName,
  SOCK_STREAM,
  strerror,
} from "../socket/constants.ts";
import { isIPv6, netHost } from "../socket/_address.ts";
import { Socket } from "../socket/socket.ts";
import type { ChatIO, PortState } from "./_events.ts";
import { OPTIONS } from "./_common_options.ts";
import { type OptionSpec, UsageError } from "./_options.ts";
import type { ProgramSpec } from "./_plan.ts";
import { type Run, runMain, runProgram } from "./_run.ts";

export type {
  ChatEvent,
  ChatIO,
  DisconnectReason,
  LeaveReason,
  PortState,
  RoomEvent,
  SessionEndReason,
} from "./_events.ts";
export type { TextSink } from "./_output.ts";
export type { ByteReader } from "../socket/_line_reader.ts";

/** Connection attempts at once, without `--concurrency`. */
const CONCURRENCY = 100;
/** The most `--concurrency` accepts (each attempt holds a descriptor). */
const MAX_CONCURRENCY = 1000;
/** Seconds for each port, without `--timeout`. */
const TIMEOUT_SECONDS = 2;
/** The most ports one probe checks. */
const MAX_PORTS = 65535;

/**
 * Options of {@linkcode probe}, as on the command line.
 *
 * @example `pysocket probe 127.0.0.1 22,8000-8100 --timeout 0.5`, in code
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ProbeOptions } from "@pysocket/pysocket/probe";
 * const options: ProbeOptions = {
 *   host: "127.0.0.1",
 *   ports: "22,8000-8100",
 *   timeout: 0.5,
 * };
 * assert.equal(options.ports, "22,8000-8100");
 * ```
 */
export interface ProbeOptions {
  /**
   * The host to check: an IPv4 or IPv6 address, or a name.
   *
   * @default {undefined (required)}
   */
  host?: string;
  /**
   * The ports: a list of ports and ranges, such as `22,80,8000-8100`.
   *
   * @default {undefined (required)}
   */
  ports?: string;
  /**
   * Connection attempts at once, from 1 to 1,000.
   *
   * @default {100}
   */
  concurrency?: number;
  /**
   * Seconds to wait for each port.
   *
   * @default {2}
   */
  timeout?: number | null;
  /**
   * Print closed and timed-out ports too, and a summary.
   *
   * @default {false}
   */
  verbose?: boolean;
  /**
   * Print every port as one JSON object per line on stdout.
   *
   * @default {false}
   */
  json?: boolean;
}

/**
 * Reads a list of ports and ranges, `22,80,8000-8100`, each port once.
 *
 * @param value The list.
 * @returns The ports, in the order given.
 * @throws {UsageError} For a bad port or range, or more than 65,535 ports.
 */
function parsePorts(value: unknown): number[] {
  if (typeof value !== "string" || value === "") {
    throw new UsageError(
      "missing PORTS: give HOST PORTS, such as 127.0.0.1 22,80,8000-8100",
    );
  }
  const ports = new Set<number>();
  let listed = 0;
  for (const item of value.split(",")) {
    const match = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(item.trim());
    const low = match ? Number(match[1]) : NaN;
    const high = match?.[2] === undefined ? low : Number(match[2]);
    if (!match || low < 1 || high > 65535 || high < low) {
      throw new UsageError(
        `PORTS: ${
          JSON.stringify(item)
        } is not a port (1 to 65535) or a range LOW-HIGH with LOW <= HIGH`,
      );
    }
    listed += high - low + 1;
    if (listed > MAX_PORTS) {
      throw new UsageError(
        `PORTS lists more than ${MAX_PORTS.toLocaleString("en")} ports`,
      );
    }
    for (let port = low; port <= high; port++) ports.add(port);
  }
  return [...ports];
}

/** A whole number from 1 to `MAX_CONCURRENCY`. */
function checkConcurrency(value: unknown, flag: string): number {
  const number = typeof value === "string"
    ? (/^\d{1,7}$/.test(value) ? Number(value) : NaN)
    : value;
  if (
    typeof number !== "number" || !Number.isInteger(number) || number < 1 ||
    number > MAX_CONCURRENCY
  ) {
    throw new UsageError(
      `${flag} must be a whole number from 1 to ${
        MAX_CONCURRENCY.toLocaleString("en")
      }, got ${typeof value === "string" ? JSON.stringify(value) : value}`,
    );
  }
  return number;
}

/** `pysocket probe`: its arguments, options, help and permissions. */
const PROBE: ProgramSpec = {
  name: "probe",
  server: false,
  datagram: false,
  summary:
    "Checks which TCP ports of HOST accept a connection (nc -z): prints PORT open\n" +
    "for each, in the order given; exits 0 when one is open, 1 when none is.",
  modes: ["probe"],
  options: [
    {
      name: "host",
      kind: "argument",
      value: "HOST",
      label: "HOST",
      key: "host",
      help: "the host to check: an address or a name",
      check: (value) => value,
    },
    {
      name: "ports",
      kind: "argument",
      value: "PORTS",
      label: "PORTS",
      key: "ports",
      help: "ports and ranges, such as 22,80,8000-8100",
      check: (value) => value,
    },
    {
      name: "concurrency",
      kind: "value",
      value: "N",
      key: "concurrency",
      help: `connection attempts at once; default ${CONCURRENCY}`,
      check: checkConcurrency,
    },
    OPTIONS.timeout(
      `seconds to wait for each port; default ${TIMEOUT_SECONDS}`,
      ["probe"],
    ),
    {
      name: "verbose",
      short: "v",
      kind: "flag",
      key: "verbose",
      help: "print closed and timed-out ports too, and a summary",
      check: (value) => value === true,
    },
    { ...OPTIONS.json, modes: undefined } as OptionSpec,
  ],
  examples: [
    "pysocket probe 127.0.0.1 22,80,8000-8100",
    "pysocket probe ::1 1-1024 --timeout 0.5 -v",
  ],
  inputNote: "",
  endpoint(options) {
    const host = options.host;
    if (typeof host !== "string" || host === "") {
      throw new UsageError(
        "missing HOST: give HOST PORTS, such as 127.0.0.1 22,80,8000-8100",
      );
    }
    if (host.includes("\0")) {
      throw new UsageError("HOST must not contain a NUL character");
    }
    const bare = host.replace(/^\[(.*)\]$/, "$1");
    return {
      family: isIPv6(bare) ? AF_INET6 : AF_INET,
      host: bare,
      port: 0,
      display: bare,
    };
  },
  details(options) {
    return {
      probe: {
        ports: parsePorts(options.ports),
        concurrency: (options.concurrency as number | undefined) ??
          CONCURRENCY,
        verbose: options.verbose === true,
      },
    };
  },
  permissions(endpoint) {
    const host = endpoint.host;
    return `--allow-net=${netHost(host)}`;
  },
};

/**
 * Checks which ports accept a TCP connection.
 *
 * Requires `allow-net` permission for the host.
 *
 * @tags allow-net
 * @param options `host`, `ports`, and the rest of the command line's
 * options in camelCase.
 * @param io Where to write; the process's own by default.
 * @returns The exit code: 0 when a port is open, 1 when none is (or on
 * failure), 2 for bad options.
 *
 * @example One port open, one closed
 * ```ts
 * import assert from "node:assert/strict";
 * import { probe } from "@pysocket/pysocket/probe";
 * import { create_server } from "@pysocket/pysocket";
 *
 * using open = create_server(["127.0.0.1", 0]);
 * const [, openPort] = open.getsockname() as [string, number];
 * const gone = create_server(["127.0.0.1", 0]);
 * const [, closedPort] = gone.getsockname() as [string, number];
 * gone.close();
 * let out = "";
 * const code = await probe({
 *   host: "127.0.0.1",
 *   ports: `${openPort},${closedPort}`,
 *   verbose: true,
 * }, { stdout: (text) => out += text, stderr: () => {} });
 * assert.equal(code, 0);
 * assert.equal(out, `${openPort} open\n${closedPort} closed\n`);
 * ```
 */
export function probe(
  options: ProbeOptions = {},
  io?: ChatIO,
): Promise<number> {
  return runProgram(PROBE, options, io, check);
}

/** What one port's attempt found. */
interface Found {
  state: PortState;
  message?: string;
}

/** Tries one port. */
async function attempt(run: Run, port: number): Promise<Found> {
  const { endpoint, timeout } = run.plan;
  using sock = new Socket(endpoint.family, SOCK_STREAM);
  sock.settimeout(timeout ?? TIMEOUT_SECONDS);
  const code = await sock.connect_ex([endpoint.host, port]);
  if (code === 0) return { state: "open" };
  if (code === ERRNO.ECONNREFUSED) return { state: "closed" };
  if (code === ERRNO.EWOULDBLOCK) return { state: "timed out" };
  const name = (Object.keys(ERRNO) as ErrnoName[]).find((key) =>
    ERRNO[key] === code
  );
  return {
    state: "error",
    message: name ? strerror(name).toLowerCase() : `error ${code}`,
  };
}

/** Checks every port, at most `concurrency` at once; prints in order. */
async function check(run: Run): Promise<number> {
  const { ports, concurrency, verbose } = run.plan.probe!;
  const host = run.plan.endpoint.host;
  const results: (Found | undefined)[] = new Array(ports.length);
  const counts: Record<PortState, number> = {
    open: 0,
    closed: 0,
    "timed out": 0,
    error: 0,
  };
  let printed = 0;
  const print = () => {
    for (; printed < ports.length && results[printed]; printed++) {
      const port = ports[printed];
      const { state, message } = results[printed]!;
      results[printed] = undefined;
      run.emit({
        event: "port",
        host,
        port,
        state,
        ...(message ? { message } : {}),
      });
      if (run.plan.json || (state !== "open" && !verbose)) continue;
      run.out.text(`${port} ${state}${message ? `: ${message}` : ""}\n`);
    }
  };
  let next = 0;
  const worker = async () => {
    while (next < ports.length && !run.closed) {
      const index = next++;
      const found = await attempt(run, ports[index]);
      counts[found.state]++;
      results[index] = found;
      print();
    }
  };
  await Promise.all(
    Array.from({ length: Math.min(concurrency, ports.length) }, worker),
  );
  if (verbose && !run.plan.json) {
    run.err.text(
      `${counts.open} open, ${counts.closed} closed, ${
        counts["timed out"]
      } timed out${
        counts.error ? `, ${counts.error} failed` : ""
      } of ${ports.length} port${ports.length === 1 ? "" : "s"} on ${host}\n`,
    );
  }
  return counts.open > 0 ? 0 : 1;
}

/**
 * The command line of `pysocket probe`: parses `args` (options may come
 * before or after HOST and PORTS) and runs {@linkcode probe}; `--help`
 * and `--version` print and return 0.
 *
 * @param args The arguments after the command name, such as
 * `["127.0.0.1", "22,80"]`.
 * @param io Where to write; the process's own by default.
 * @returns The exit code (2 for bad arguments).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@pysocket/pysocket/probe";
 * let error = "";
 * assert.equal(await main(["127.0.0.1", "90-80"], { stderr: (t) => error += t }), 2);
 * assert.match(error, /^pysocket probe: PORTS: "90-80" is not a port/);
 * ```
 */
export function main(args: string[], io?: ChatIO): Promise<number> {
  return runMain(PROBE, args, io, probe);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
