/**
 * A port forwarder as a program: `pysocket relay LISTEN TARGET` (socat's
 * `TCP-LISTEN:8080,fork TCP:host:80`).
 *
 * Each client that connects to LISTEN gets its own connection to TARGET,
 * and the bytes are copied both ways unchanged. Endpoints are `HOST:PORT`
 * (TCP), `udp:HOST:PORT`, `unix:PATH`, and `tls:HOST:PORT` for a target
 * reached over TLS (verified against the system's roots and `--ca`; there
 * is no way to turn that off). `--tls --cert FILE --key FILE` terminates
 * TLS on the listening side. It runs on the server engine of
 * `tcp-server` (`--allow`/`--deny`, `--max-clients`, descriptors running
 * out).
 *
 * A half-close passes through in each direction separately: a side's end
 * of stream shuts down the writing of the other side's connection, and a
 * session ends once both directions are done (or a side resets, or
 * nothing crosses for `--idle-timeout`). Each session's end is reported
 * with its byte counts both ways: a `session-ended` event, on stderr as
 * `127.0.0.1:54321 session ended (5 bytes from the client, 7 from the
 * target)`, or as a JSON line on stdout with `--json`. A target that
 * cannot be reached ends that session only; the relay keeps serving.
 *
 * Over UDP (`udp:` on both sides), each client address is a session with
 * its own socket towards the target; a session ends after
 * `--idle-timeout` seconds without a datagram (60 by default), and at
 * most `--max-clients` sessions are held at once.
 *
 * Run as the command, a TCP relay gives up its net permission for its
 * listening address once it listens, keeping only the target's (when
 * Deno's grants allow that: see `pysocket flags`).
 *
 * Requires `allow-net` permission for both addresses: `pysocket flags
 * relay LISTEN TARGET` prints the exact flags.
 *
 * @example Forward a port (from the command line)
 * ```sh
 * deno run --allow-net=127.0.0.1:8080,127.0.0.1:80 jsr:@pysocket/pysocket/relay 127.0.0.1:8080 127.0.0.1:80
 * ```
 *
 * @module
 */

import { AF_INET, AF_INET6, AF_UNIX } from "../socket/constants.ts";
import {
  formatHostPort,
  isIPv6,
  isLoopback,
  netHost,
} from "../socket/_address.ts";
import { PROXY_AUTH_ENV } from "./_proxy.ts";
import type { ChatIO } from "./_events.ts";
import { checkPort, OPTIONS } from "./_common_options.ts";
import { type OptionSpec, UsageError } from "./_options.ts";
import type { Endpoint, ProgramSpec, RelayTarget } from "./_plan.ts";
import { runMain, runProgram } from "./_run.ts";
import { CONNECT_SECONDS, relayStreams } from "./modes/relay_streams.ts";
import {
  MAX_UDP_SESSIONS,
  relayDatagrams,
  UDP_IDLE_SECONDS,
} from "./modes/relay_datagrams.ts";

export type {
  ChatEvent,
  ChatIO,
  DisconnectReason,
  LeaveReason,
  PortState,
  RoomEvent,
} from "./_events.ts";
export type { TextSink } from "./_output.ts";
export type { ByteReader } from "../socket/_line_reader.ts";

/**
 * Options of {@linkcode relay}, as on the command line.
 *
 * @example `pysocket relay 127.0.0.1:8080 tls:127.0.0.1:8443 --ca ca.pem`, in code
 * ```ts
 * import assert from "node:assert/strict";
 * import type { RelayOptions } from "@pysocket/pysocket/relay";
 * const options: RelayOptions = {
 *   listen: "127.0.0.1:8080",
 *   target: "tls:127.0.0.1:8443",
 *   ca: "ca.pem",
 * };
 * assert.equal(options.target, "tls:127.0.0.1:8443");
 * ```
 */
export interface RelayOptions {
  /**
   * Where clients connect: `HOST:PORT` (TCP; port 0 for any free one),
   * `udp:HOST:PORT` or `unix:PATH`.
   *
   * @default {undefined (required)}
   */
  listen?: string;
  /**
   * Where each client's connection goes: `HOST:PORT`, `tls:HOST:PORT`,
   * `udp:HOST:PORT` or `unix:PATH`.
   *
   * @default {undefined (required)}
   */
  target?: string;
  /**
   * Terminate TLS on the listening side (needs `cert`).
   *
   * @default {false}
   */
  tls?: boolean;
  /**
   * `tls`: the certificate chain (PEM).
   *
   * @default {undefined}
   */
  cert?: string;
  /**
   * `tls`: the private key (PEM); `cert` when left out.
   *
   * @default {undefined}
   */
  key?: string;
  /**
   * A `tls:` target: a CA certificate to trust besides Deno's roots.
   *
   * @default {undefined}
   */
  ca?: string;
  /**
   * A `tls:` target: the name its certificate must carry.
   *
   * @default {the target's host}
   */
  serverName?: string;
  /**
   * Addresses or CIDR ranges admitted.
   *
   * @default {[]}
   */
  allow?: readonly string[];
  /**
   * Addresses or CIDR ranges refused.
   *
   * @default {[]}
   */
  deny?: readonly string[];
  /**
   * The most sessions at once.
   *
   * @default {derived from the descriptor limit (UDP: 4096)}
   */
  maxClients?: number | null;
  /**
   * Seconds without a byte in either direction before a session ends.
   *
   * @default {null for TCP, 60 for UDP}
   */
  idleTimeout?: number | null;
  /**
   * Seconds to wait for the target to accept a connection.
   *
   * @default {10}
   */
  timeout?: number | null;
  /**
   * Print every event as one JSON object per line on stdout.
   *
   * @default {false}
   */
  json?: boolean;
}

/** The kinds of address a relay takes, by their prefix. */
const PREFIXES = ["udp:", "unix:", "tls:", "tcp:"] as const;

/**
 * Reads a relay address: `HOST:PORT`, `[IPv6]:PORT`, `tcp:`, `udp:`,
 * `tls:` (TARGET only) or `unix:PATH`.
 *
 * @param value The text.
 * @param what `LISTEN` or `TARGET`, for messages.
 * @returns The endpoint.
 * @throws {UsageError} Naming what is wrong.
 */
function parseRelayAddress(
  value: unknown,
  what: "LISTEN" | "TARGET",
): Endpoint {
  if (typeof value !== "string" || value === "") {
    throw new UsageError(
      `missing ${what}: give ${
        what === "LISTEN" ? "LISTEN TARGET" : "TARGET"
      }, such as 127.0.0.1:8080 127.0.0.1:80`,
    );
  }
  if (value.includes("\0")) {
    throw new UsageError(`${what} must not contain a NUL character`);
  }
  const prefix = PREFIXES.find((p) => value.startsWith(p));
  const rest = prefix ? value.slice(prefix.length) : value;
  if (prefix === "unix:") {
    if (rest === "") {
      throw new UsageError(`${what} unix: needs a path, such as unix:/tmp/s`);
    }
    return { family: AF_UNIX, host: "", port: 0, path: rest, display: rest };
  }
  if (prefix === "tls:" && what === "LISTEN") {
    throw new UsageError(
      "LISTEN cannot be tls:; terminate TLS with --tls --cert FILE --key FILE",
    );
  }
  const match = /^(?:\[([^\]]*)\]|([^:]*)):([^:]*)$/.exec(rest);
  const host = match?.[1] ?? match?.[2];
  if (!match || !host || (match[2] !== undefined && isIPv6(host))) {
    throw new UsageError(
      `${what} must be HOST:PORT, [IPv6]:PORT, udp:HOST:PORT, ${
        what === "TARGET" ? "tls:HOST:PORT, " : ""
      }or unix:PATH, got ${JSON.stringify(value)}`,
    );
  }
  const port = checkPort(match[3], `the port of ${what}`);
  if (what === "TARGET" && port === 0) {
    throw new UsageError("the port of TARGET must be from 1 to 65535");
  }
  return {
    family: isIPv6(host) ? AF_INET6 : AF_INET,
    host,
    port,
    display: formatHostPort(host, port),
    ...(prefix === "udp:" ? { datagram: true } : {}),
    ...(prefix === "tls:" ? { tls: true } : {}),
  };
}

/** The net flags to reach an endpoint (a relay's target). */
function reachFlags(endpoint: Endpoint): string {
  if (endpoint.path !== undefined) {
    const path = endpoint.path;
    return `--allow-read=${path} --allow-write=${path} --allow-net=unix:${path}`;
  }
  const address = formatHostPort(endpoint.host, endpoint.port);
  if (!endpoint.datagram) return `--allow-net=${address}`;
  // Each session's socket is bound by its first send: port 0.
  const local = endpoint.family === AF_INET6 ? "[::1]" : "127.0.0.1";
  const any = endpoint.family === AF_INET6 ? "[::]" : "0.0.0.0";
  return `--allow-net=${address},${isLoopback(endpoint.host) ? local : any}:0`;
}

/** `pysocket relay`: its arguments, options, help and permissions. */
const RELAY: ProgramSpec = {
  name: "relay",
  server: true,
  datagram: false,
  summary:
    "Forwards a port: each client of LISTEN gets its own connection to TARGET,\n" +
    "bytes copied both ways unchanged, half-closes passed on; each session's\n" +
    "byte counts are reported when it ends.",
  modes: ["relay"],
  options: [
    {
      name: "listen",
      kind: "argument",
      value: "LISTEN",
      label: "LISTEN",
      key: "listen",
      help: "where clients connect: HOST:PORT, udp:HOST:PORT, unix:PATH",
      check: (value) => value,
    },
    {
      name: "target",
      kind: "argument",
      value: "TARGET",
      label: "TARGET",
      key: "target",
      help:
        "where each goes: HOST:PORT, tls:HOST:PORT, udp:HOST:PORT, unix:PATH",
      check: (value) => value,
    },
    OPTIONS.tls("terminate TLS on LISTEN; needs --cert FILE (and --key)"),
    OPTIONS.cert,
    OPTIONS.key,
    { ...OPTIONS.ca, help: "a tls: TARGET: trust this CA (PEM) too" },
    {
      ...OPTIONS.serverName,
      help: "a tls: TARGET: the name its certificate must carry",
    },
    OPTIONS.allow("admit only these addresses or CIDR ranges"),
    OPTIONS.deny("refuse these addresses or ranges; checked first"),
    {
      ...OPTIONS.maxClients,
      help: "the most sessions at once (default: from the\n" +
        `descriptor limit; UDP: at most ${MAX_UDP_SESSIONS})`,
      modes: undefined,
    },
    OPTIONS.idleTimeout(
      "end a session silent that long both ways\n" +
        `(UDP: default ${UDP_IDLE_SECONDS})`,
      ["relay"],
      "",
    ),
    OPTIONS.timeout(
      `give up connecting to TARGET after this long; default ${CONNECT_SECONDS}`,
      ["relay"],
    ),
    {
      ...OPTIONS.proxy,
      help: "reach TARGET (TCP or tls:) through this proxy;\n" +
        `credentials from ${PROXY_AUTH_ENV}=user:pass, if set`,
    },
    OPTIONS.proxyType,
    OPTIONS.hexdump,
    OPTIONS.verbose,
    { ...OPTIONS.json, modes: undefined } as OptionSpec,
  ],
  examples: [
    "pysocket relay 127.0.0.1:8080 127.0.0.1:80",
    "pysocket relay 127.0.0.1:8443 127.0.0.1:80 --tls --cert cert.pem --key key.pem",
  ],
  inputNote: "",
  endpoint: (options) => parseRelayAddress(options.listen, "LISTEN"),
  details(options) {
    const listen = parseRelayAddress(options.listen, "LISTEN");
    const endpoint = parseRelayAddress(options.target, "TARGET");
    if (!!listen.datagram !== !!endpoint.datagram) {
      throw new UsageError(
        "LISTEN and TARGET must both be udp: or both streams (TCP, TLS, Unix): a relay does not turn datagrams into a stream",
      );
    }
    if (options.tls && (listen.datagram || listen.path !== undefined)) {
      throw new UsageError("--tls works on a TCP LISTEN, not udp: or unix:");
    }
    if (options.tls && options.cert === undefined) {
      throw new UsageError(
        "--tls needs --cert FILE (and --key FILE unless the key is in it): a TLS server presents a certificate",
      );
    }
    if ((options.allow || options.deny) && listen.path !== undefined) {
      throw new UsageError(
        "--allow and --deny check IP addresses; they do not apply to a unix: LISTEN",
      );
    }
    if (
      options.proxy !== undefined &&
      (endpoint.datagram || endpoint.path !== undefined)
    ) {
      throw new UsageError(
        "--proxy reaches a TCP or tls: TARGET, not udp: or unix:",
      );
    }
    for (
      const [key, flag] of [["ca", "--ca"], ["serverName", "--server-name"]]
    ) {
      if (options[key] !== undefined && !endpoint.tls) {
        throw new UsageError(`${flag} is for a tls: TARGET`);
      }
    }
    const target: RelayTarget = {
      endpoint,
      tls: endpoint.tls
        ? {
          ca: options.ca as string | undefined,
          serverName: options.serverName as string | undefined,
        }
        : null,
    };
    return { target };
  },
  permissions(endpoint, _bound, target) {
    let listen: string;
    if (endpoint.path !== undefined) {
      const path = endpoint.path;
      listen =
        `--allow-read=${path} --allow-write=${path} --allow-net=unix:${path}`;
    } else if (endpoint.datagram) {
      // Replies go to each client's own port: the whole host is needed.
      const { host } = endpoint;
      listen = host === "0.0.0.0" || host === "::"
        ? "--allow-net"
        : `--allow-net=${netHost(host)}`;
    } else {
      listen = `--allow-net=${formatHostPort(endpoint.host, endpoint.port)}`;
    }
    return target ? `${listen} ${reachFlags(target.endpoint)}` : listen;
  },
};

/**
 * Runs the relay until interrupted (Ctrl-C, SIGTERM, `io.signal`).
 *
 * Requires `allow-net` permission for LISTEN and TARGET (and
 * `--unstable-net` for UDP).
 *
 * @tags allow-net
 * @param options `listen`, `target`, and the rest of the command line's
 * options in camelCase.
 * @param io Where to write output; the process's own by default.
 * @returns The exit code: 1 on failure (such as LISTEN in use), 2 for bad
 * options, 130 when interrupted.
 *
 * @example Relay to an echo server, and one session through it
 * ```ts
 * import assert from "node:assert/strict";
 * import { relay, type ChatEvent } from "@pysocket/pysocket/relay";
 * import { create_connection, create_server, SHUT_WR } from "@pysocket/pysocket";
 *
 * using target = create_server(["127.0.0.1", 0]);
 * const [, targetPort] = target.getsockname() as [string, number];
 * const stop = new AbortController();
 * const listening = Promise.withResolvers<number>();
 * const ended = Promise.withResolvers<ChatEvent>();
 * const relaying = relay({
 *   listen: "127.0.0.1:0",
 *   target: `127.0.0.1:${targetPort}`,
 * }, {
 *   signal: stop.signal,
 *   stderr: () => {},
 *   onEvent: (e) => {
 *     if (e.event === "listening") listening.resolve(e.port!);
 *     if (e.event === "session-ended") ended.resolve(e);
 *   },
 * });
 * using client = await create_connection(["127.0.0.1", await listening.promise]);
 * const [conn] = await target.accept();
 * await client.sendall(new TextEncoder().encode("ping"));
 * await client.shutdown(SHUT_WR);
 * assert.equal(new TextDecoder().decode(await conn.recv(16)), "ping");
 * assert.equal((await conn.recv(16)).length, 0); // the half-close came through
 * await conn.sendall(new TextEncoder().encode("pong!"));
 * conn.close();
 * assert.equal(new TextDecoder().decode(await client.recv(16)), "pong!");
 * const event = await ended.promise;
 * assert.equal(event.event === "session-ended" && event.fromClient, 4);
 * assert.equal(event.event === "session-ended" && event.fromTarget, 5);
 * stop.abort();
 * assert.equal(await relaying, 130);
 * ```
 */
export function relay(
  options: RelayOptions = {},
  io?: ChatIO,
): Promise<number> {
  return runProgram(
    RELAY,
    options,
    io,
    (run) =>
      run.plan.endpoint.datagram ? relayDatagrams(run) : relayStreams(run),
  );
}

/**
 * The command line of `pysocket relay`: parses `args` (options may come
 * before or after LISTEN and TARGET) and runs {@linkcode relay};
 * `--help` and `--version` print and return 0.
 *
 * @param args The arguments after the command name, such as
 * `["127.0.0.1:8080", "127.0.0.1:80"]`.
 * @param io Where to write; the process's own by default.
 * @returns The exit code (2 for bad arguments).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@pysocket/pysocket/relay";
 * let error = "";
 * assert.equal(await main(["127.0.0.1:8080"], { stderr: (t) => error += t }), 2);
 * assert.match(error, /^pysocket relay: missing TARGET/);
 * ```
 */
export function main(args: string[], io?: ChatIO): Promise<number> {
  return runMain(RELAY, args, io, relay);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
