/**
 * The plan of a run: what a program's options mean, checked once, at the
 * top. A {@linkcode ProgramSpec} declares a program (its summary, options,
 * examples and permissions); {@linkcode makePlan} turns the options given
 * (on the command line or in code) into a {@linkcode Plan}, which flows
 * down to the engine and the modes and is never read back up.
 *
 * @module
 */

import { AF_INET, AF_INET6, AF_UNIX } from "../socket/constants.ts";
import { formatHostPort, isIPv4, isIPv6 } from "../socket/_address.ts";
import { AccessList } from "./_access.ts";
import {
  checkOptions,
  type Mode,
  optionsHelp,
  type OptionSpec,
  UsageError,
} from "./_options.ts";
import { PROXY_AUTH_ENV, type ProxyType } from "./_proxy.ts";
import type { TrafficOptions } from "./_traffic.ts";
import { defaultMaxClients, type Limits, limitsOf } from "./_limits.ts";

/** The four programs, as named on the command line. */
export type ProgramName =
  | "tcp-server"
  | "tcp-client"
  | "udp-server"
  | "udp-client";

/** Where a program listens or connects, checked and completed. */
export interface Endpoint {
  /** `AF_INET`, `AF_INET6` or `AF_UNIX`. */
  family: number;
  /** The host, for IP endpoints. */
  host: string;
  /** The port, for IP endpoints. */
  port: number;
  /** The socket path, for Unix endpoints. */
  path?: string;
  /** How messages name it: `127.0.0.1:8888`, `[::1]:8888` or the path. */
  display: string;
}

/** One program: everything its command line and `--help` come from. */
export interface ProgramSpec {
  /** The command name. */
  name: ProgramName;
  /** Whether it listens (a server) or connects (a client). */
  server: boolean;
  /** Whether it speaks datagrams (UDP, Unix datagrams). */
  datagram: boolean;
  /** The first paragraph of `--help`. */
  summary: string;
  /** Its options, in `--help` order. */
  options: readonly OptionSpec[];
  /** Its modes: the chat first, then those its flags choose. */
  modes: readonly Mode[];
  /** Two example command lines. */
  examples: readonly [string, string];
  /** What the end of input does, for `--help`. */
  inputNote: string;
  /** What the end of input does with `--stream`, for `--help`. */
  streamNote?: string;
  /**
   * The complete Deno permission flags for an endpoint, as one types them
   * after `deno run`; `bound` is the address a server bound, when known.
   */
  permissions(endpoint: Endpoint, bound?: string): string;
  /** Checks that involve several options, after each was checked alone. */
  rules?(options: Record<string, unknown>, mode: Mode): void;
}

/** TLS settings of a run. */
export interface TlsPlan {
  /** Server: the certificate chain file. */
  cert?: string;
  /** Server: the key file (the chain file when left out). */
  key?: string;
  /** Client: a CA file to trust besides Deno's roots. */
  ca?: string;
  /** Client: the name the certificate must carry. */
  serverName?: string;
}

/** A proxy to connect through. */
export interface ProxyPlan {
  /** Its host. */
  host: string;
  /** Its port. */
  port: number;
  /** Its protocol. */
  type: ProxyType;
  /** How messages name it. */
  display: string;
}

/** What `--stream` does with its two directions. */
export interface StreamPlan {
  /** `--crlf`: input lines are sent ending in `\r\n`. */
  crlf: boolean;
  /** `--send-only`: received bytes are dropped; end of input ends the run. */
  sendOnly: boolean;
  /** `--recv-only`: stdin is not read, nothing is sent. */
  recvOnly: boolean;
  /** Shut down sending at the end of input (not with `--no-shutdown`). */
  shutdown: boolean;
  /** `--quit-after-eof` in seconds, or `null`. */
  quitAfterEof: number | null;
  /** `--keep-open`: a `tcp-server --stream` serves the next client. */
  keepOpen: boolean;
}

/** A run, decided: every option checked and given its meaning. */
export interface Plan {
  /** The program. */
  program: ProgramSpec;
  /** The mode its options chose. */
  mode: Mode;
  /** Where it listens or connects. */
  endpoint: Endpoint;
  /** Events as JSON lines on stdout. */
  json: boolean;
  /** `--timeout` in seconds, or `null`. */
  timeout: number | null;
  /** `--idle-timeout` in seconds, or `null`. */
  idleTimeout: number | null;
  /** `--tls` settings, or `null` without TLS. */
  tls: TlsPlan | null;
  /** `--allow`/`--deny`, or `null` when there are none. */
  access: AccessList | null;
  /** The server's limits. */
  limits: Limits;
  /** `--proxy` and `--proxy-type`, or `null` without a proxy. */
  proxy: ProxyPlan | null;
  /** The `--stream` options. */
  stream: StreamPlan;
  /** `--hexdump` and `--verbose`. */
  traffic: TrafficOptions;
}

/** The mode that `room`, `stream` and `echo` choose. */
function modeOf(spec: ProgramSpec, options: Record<string, unknown>): Mode {
  const { room, stream, echo } = options;
  if (room && stream) {
    throw new UsageError("--room and --stream exclude each other: give one");
  }
  if (room && echo) {
    throw new UsageError(
      "--room relays messages between clients; --echo does not apply",
    );
  }
  const mode: Mode = room
    ? "room"
    : stream
    ? (echo ? "stream-echo" : "stream")
    : echo
    ? "echo"
    : "chat";
  // An option the program does not take is refused by checkOptions.
  return spec.modes.includes(mode) ? mode : "chat";
}

/**
 * Checks the options of a run and decides what they mean.
 *
 * @param spec The program.
 * @param given Its options, from the command line or from code.
 * @returns The plan.
 * @throws {UsageError} For a bad value or combination, naming the fix.
 */
export function makePlan(
  spec: ProgramSpec,
  given: Record<string, unknown>,
): Plan {
  const mode = modeOf(spec, given);
  const options = checkOptions(spec.options, given, mode);
  for (const name of ["cert", "key", "ca", "serverName"]) {
    if (options[name] !== undefined && !options.tls) {
      throw new UsageError(
        `--${name === "serverName" ? "server-name" : name} needs --tls`,
      );
    }
  }
  if (options.tls && options.unix !== undefined) {
    throw new UsageError("--tls works over TCP, not --unix");
  }
  if ((options.allow || options.deny) && options.unix !== undefined) {
    throw new UsageError(
      "--allow and --deny check IP addresses; they do not apply to --unix",
    );
  }
  if (options.proxyType !== undefined && options.proxy === undefined) {
    throw new UsageError("--proxy-type needs --proxy HOST:PORT");
  }
  if (options.proxy !== undefined && options.unix !== undefined) {
    throw new UsageError("--proxy reaches TCP servers, not --unix");
  }
  if (options.sendOnly && options.recvOnly) {
    throw new UsageError(
      "--send-only and --recv-only exclude each other: give one",
    );
  }
  if (options.recvOnly) {
    for (
      const [key, flag] of [
        ["crlf", "--crlf"],
        ["noShutdown", "--no-shutdown"],
        ["quitAfterEof", "--quit-after-eof"],
      ]
    ) {
      if (options[key] !== undefined) {
        throw new UsageError(
          `${flag} is about sending stdin; --recv-only does not read it`,
        );
      }
    }
  }
  spec.rules?.(options, mode);
  const endpoint = resolveEndpoint(spec, options);
  const allow = options.allow as string[] | undefined;
  const deny = options.deny as string[] | undefined;
  return {
    program: spec,
    mode,
    endpoint,
    json: options.json === true,
    timeout: (options.timeout as number | undefined) ?? null,
    idleTimeout: (options.idleTimeout as number | undefined) ?? null,
    tls: options.tls
      ? {
        cert: options.cert as string | undefined,
        key: options.key as string | undefined,
        ca: options.ca as string | undefined,
        serverName: options.serverName as string | undefined,
      }
      : null,
    access: allow || deny ? new AccessList({ allow, deny }) : null,
    proxy: proxyPlan(options),
    stream: {
      crlf: options.crlf === true,
      sendOnly: options.sendOnly === true,
      recvOnly: options.recvOnly === true,
      shutdown: options.noShutdown !== true,
      quitAfterEof: (options.quitAfterEof as number | undefined) ?? null,
      keepOpen: options.keepOpen === true,
    },
    traffic: {
      hexdump: options.hexdump === true,
      verbose: options.verbose === true,
    },
    limits: limitsOf({
      maxClients: (options.maxClients as number | undefined) ??
        (spec.server ? defaultMaxClients() : null),
      maxMessage: options.maxMessage as number | undefined,
    }),
  };
}

function proxyPlan(options: Record<string, unknown>): ProxyPlan | null {
  const proxy = options.proxy as { host: string; port: number } | undefined;
  if (!proxy) return null;
  return {
    ...proxy,
    type: (options.proxyType as ProxyType | undefined) ?? "http",
    display: formatHostPort(proxy.host, proxy.port),
  };
}

/**
 * Every Deno permission flag a run needs, as one types them after
 * `deno run`: the program's net flags for its endpoint, and read access to
 * the PEM files of `--tls`. A TLS server on port 0 needs the whole host:
 * its TLS listener is opened on the real port the system chose.
 *
 * @param plan The run's plan.
 * @param bound The host a server bound, when known.
 * @returns The flags, separated by spaces.
 */
export function permissionFlags(plan: Plan, bound?: string): string {
  const { program, endpoint, tls } = plan;
  const { proxy } = plan;
  let flags = proxy
    ? `--allow-net=${proxy.display} --allow-env=${PROXY_AUTH_ENV}`
    : program.permissions(endpoint, bound);
  if (tls && program.server && endpoint.port === 0) {
    flags = flags.replace(/(--allow-net=\S*?):0\b/, "$1");
  }
  const files = tls ? [tls.cert, tls.key, tls.ca].filter((f) => f) : [];
  if (files.length > 0) {
    flags += ` --allow-read=${[...new Set(files)].join(",")}`;
  }
  return flags;
}

/**
 * Works out the address: defaults, the IP family, and conflicts.
 *
 * @param spec The program.
 * @param options Its checked options.
 * @returns The endpoint to listen on or connect to.
 * @throws {UsageError} If the options contradict each other.
 */
export function resolveEndpoint(
  spec: ProgramSpec,
  options: Record<string, unknown>,
): Endpoint {
  const host = options.host as string | undefined;
  const port = options.port as number | undefined;
  const family = options.family as 4 | 6 | undefined;
  const unix = options.unix as string | undefined;
  if (unix !== undefined) {
    if (host !== undefined || port !== undefined || family !== undefined) {
      throw new UsageError(
        "--unix replaces --host, --port, -4 and -6: give either --unix or an address",
      );
    }
    return { family: AF_UNIX, host: "", port: 0, path: unix, display: unix };
  }
  const finalPort = port ?? 8888;
  if (!spec.server && finalPort === 0) {
    throw new UsageError(
      "--port 0 is for servers; give the port the server listens on",
    );
  }
  let finalHost = host?.replace(/^\[(.*)\]$/, "$1");
  if (finalHost === "") {
    throw new UsageError("--host needs an address or a name");
  }
  if (finalHost?.includes("\0")) {
    throw new UsageError("--host must not contain a NUL character");
  }
  const literal6 = finalHost !== undefined && isIPv6(finalHost);
  const literal4 = finalHost !== undefined && isIPv4(finalHost);
  if (family === 4 && literal6) {
    throw new UsageError(`-4 conflicts with the IPv6 address ${finalHost}`);
  }
  if (family === 6 && literal4) {
    throw new UsageError(
      `-6 conflicts with the IPv4 address ${finalHost}; use ::ffff:${finalHost} or drop -6`,
    );
  }
  const v6 = family === 6 || literal6;
  finalHost ??= spec.server
    ? (v6 ? "::" : "0.0.0.0")
    : (v6 ? "::1" : "127.0.0.1");
  return {
    family: v6 ? AF_INET6 : AF_INET,
    host: finalHost,
    port: finalPort,
    display: formatHostPort(finalHost, finalPort),
  };
}

/**
 * The `--help` text of a program, from its declaration.
 *
 * @param spec The program.
 * @returns The text, ending with a newline.
 */
export function helpText(spec: ProgramSpec): string {
  const ip = resolveEndpoint(spec, {});
  const unix = spec.permissions({
    family: AF_UNIX,
    host: "",
    port: 0,
    path: "PATH",
    display: "PATH",
  }).replaceAll("=.", "=DIR");
  return `Usage: pysocket ${spec.name} [options]

${spec.summary}

Options:
${optionsHelp(spec.options)}
When stdin is not a terminal, no prompts are shown and each line of input is
one message${spec.inputNote}${spec.streamNote ?? ""}
Messages go to stdout; status lines (listening, connected, disconnected,
errors) go to stderr.

Examples:
  ${spec.examples[0]}
  ${spec.examples[1]}

Permissions (deno run): ${spec.permissions(ip)}${
    spec.datagram ? " --unstable-net" : ""
  }
  with --unix PATH: ${unix}${spec.datagram ? " (DIR: the folder of PATH)" : ""}
`;
}
