/**
 * Command-line arguments of the chat programs: parsing with `node:util`
 * `parseArgs` (strict), checking values, the `--help` texts, the version,
 * and the exact permission flags a program needs for its address.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { AF_INET, AF_INET6, AF_UNIX } from "../socket/constants.ts";
import { formatHostPort, isIPv4, isIPv6 } from "../socket/_address.ts";
import denoJson from "../../deno.json" with { type: "json" };
import {
  type ClientExtraOptions,
  extraArgSpec,
  extraHelp,
  type ExtraOptions,
  readExtraOptions,
} from "./_extra_args.ts";

/** The version printed by `--version`, from `deno.json`. */
export const VERSION: string = denoJson.version;

/** The four chat programs, as named on the command line. */
export const PROGRAMS = [
  "tcp-server",
  "tcp-client",
  "udp-server",
  "udp-client",
] as const;

/** A chat program's command name. */
export type ProgramName = typeof PROGRAMS[number];

/**
 * Options every chat program takes, as on the command line.
 *
 * @example `pysocket tcp-client --host ::1 --port 9000 --timeout 5`, in code
 * ```ts
 * import type { ChatOptions } from "@pysocket/pysocket/tcp-client";
 * const options: ChatOptions = { host: "::1", port: 9000, timeout: 5 };
 * console.log(options.port); // 9000
 * ```
 */
export interface ChatOptions extends ClientExtraOptions {
  /**
   * The host to listen on (servers) or to reach (clients): an IPv4 or IPv6
   * address, or a name.
   *
   * @default {"0.0.0.0" for servers and "127.0.0.1" for clients; "::" and "::1" with family 6}
   */
  host?: string;
  /**
   * The port. Servers may use 0 to let the system choose one: the real
   * port is reported in the `listening` event.
   *
   * @default {8888}
   */
  port?: number;
  /**
   * IP version, 4 or 6. Left out, it follows `host` (an IPv6 address means
   * 6), else 4.
   *
   * @default {undefined}
   */
  family?: 4 | 6;
  /**
   * A Unix socket path to use instead of `host` and `port`: a stream socket
   * for the TCP programs, a datagram socket for the UDP ones.
   *
   * @default {undefined}
   */
  unix?: string;
  /**
   * Seconds to wait for the peer: for clients, to connect and for each
   * reply; for the TCP server, for each message of a connected client
   * (a silent client is disconnected). `null` waits forever.
   *
   * @default {null}
   */
  timeout?: number | null;
  /**
   * Print every event as one JSON object per line on stdout, instead of
   * `client>`/`server>` lines and prompts.
   *
   * @default {false}
   */
  json?: boolean;
}

/**
 * Options of the two servers: {@linkcode ChatOptions} plus `echo`, and
 * the options beyond the tutorial (`room`, `stream`, `tls`, `allow`,
 * `deny`, limits; see `_extra_args.ts`).
 *
 * @example `pysocket udp-server --unix /tmp/chat.sock --echo`, in code
 * ```ts
 * import type { ServerOptions } from "@pysocket/pysocket/udp-server";
 * const options: ServerOptions = { unix: "/tmp/chat.sock", echo: true };
 * console.log(options.echo); // true
 * ```
 */
export interface ServerOptions extends ChatOptions, ExtraOptions {
  /**
   * Reply to each message with exactly the bytes received, without reading
   * stdin. A client's `exit` still ends its session.
   *
   * @default {false}
   */
  echo?: boolean;
}

/** A bad command line or option value: reported in one line, exit code 2. */
export class UsageError extends Error {
  /**
   * Creates the error.
   *
   * @param message What is wrong and how to fix it.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** What {@linkcode parseChatArgs} found on the command line. */
export type ParsedArgs =
  | { kind: "run"; options: ServerOptions }
  | { kind: "help" }
  | { kind: "version" };

/** Whether a program is one of the two servers. */
export function isServer(program: ProgramName): boolean {
  return program.endsWith("-server");
}

/** Whether a program uses datagrams (UDP, or Unix datagram sockets). */
export function isDatagram(program: ProgramName): boolean {
  return program.startsWith("udp-");
}

/** Turns a `parseArgs` message into one lower-case line. */
function oneLine(message: string): string {
  const line = message.replace(/\s*\n\s*/g, " ").trim();
  return line.charAt(0).toLowerCase() + line.slice(1);
}

/**
 * Parses a program's arguments (everything after its command name).
 *
 * @param program The program.
 * @param args The arguments.
 * @returns What to do: run with options, or print help or the version.
 * @throws {UsageError} For unknown options, missing or bad values.
 */
export function parseChatArgs(
  program: ProgramName,
  args: string[],
): ParsedArgs {
  const server = isServer(program);
  let values: Record<string, string | boolean | string[] | undefined>;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        host: { type: "string" },
        port: { type: "string" },
        ipv4: { type: "boolean", short: "4" },
        ipv6: { type: "boolean", short: "6" },
        unix: { type: "string" },
        json: { type: "boolean" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean" },
        // --timeout has no meaning for a UDP server: it waits for anyone.
        ...(program === "udp-server" ? {} : {
          timeout: { type: "string" as const },
        }),
        ...(server ? { echo: { type: "boolean" as const } } : {}),
        ...extraArgSpec(program),
      },
    }));
  } catch (err) {
    throw new UsageError(oneLine((err as Error).message));
  }
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  if (values.ipv4 && values.ipv6) {
    throw new UsageError("-4 and -6 exclude each other: give one");
  }
  const options: ServerOptions = {};
  if (values.host !== undefined) options.host = values.host as string;
  if (values.port !== undefined) {
    const text = values.port as string;
    if (!/^\d{1,5}$/.test(text) || Number(text) > 65535) {
      throw new UsageError(
        `--port must be a number from 0 to 65535, got ${JSON.stringify(text)}`,
      );
    }
    options.port = Number(text);
  }
  if (values.ipv4) options.family = 4;
  if (values.ipv6) options.family = 6;
  if (values.unix !== undefined) options.unix = values.unix as string;
  if (values.timeout !== undefined) {
    const text = values.timeout as string;
    const seconds = Number(text);
    if (!/^\s*[\d.]/.test(text) || !Number.isFinite(seconds) || seconds <= 0) {
      throw new UsageError(
        `--timeout must be a number of seconds above 0, got ${
          JSON.stringify(text)
        }`,
      );
    }
    options.timeout = seconds;
  }
  if (values.json) options.json = true;
  if (values.echo) options.echo = true;
  Object.assign(
    options,
    readExtraOptions(program, values, (message) => {
      throw new UsageError(message);
    }),
  );
  return { kind: "run", options };
}

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
  /**
   * The address a server actually bound, when `host` is a name: the UDP
   * server's replies come from it and need permission for it.
   */
  boundHost?: string;
}

/**
 * Checks options given in code or on the command line, and works out the
 * address: defaults, the IP family, and conflicts.
 *
 * @param program The program.
 * @param options The options.
 * @returns The endpoint to listen on or connect to.
 * @throws {UsageError} If the options contradict each other or are out of range.
 */
export function resolveEndpoint(
  program: ProgramName,
  options: ServerOptions,
): Endpoint {
  const { host, port, family, unix, timeout } = options;
  if (family !== undefined && family !== 4 && family !== 6) {
    throw new UsageError(`family must be 4 or 6, got ${String(family)}`);
  }
  if (
    timeout !== undefined && timeout !== null &&
    !(typeof timeout === "number" && timeout > 0 && Number.isFinite(timeout))
  ) {
    throw new UsageError(
      `timeout must be a number of seconds above 0, got ${String(timeout)}`,
    );
  }
  if (unix !== undefined) {
    if (host !== undefined || port !== undefined || family !== undefined) {
      throw new UsageError(
        "--unix replaces --host, --port, -4 and -6: give either --unix or an address",
      );
    }
    if (unix === "") {
      throw new UsageError(
        "--unix needs a socket path, such as /tmp/chat.sock",
      );
    }
    return { family: AF_UNIX, host: "", port: 0, path: unix, display: unix };
  }
  if (
    port !== undefined &&
    !(Number.isInteger(port) && port >= 0 && port <= 65535)
  ) {
    throw new UsageError(
      `--port must be a number from 0 to 65535, got ${String(port)}`,
    );
  }
  const server = isServer(program);
  const finalPort = port ?? 8888;
  if (!server && finalPort === 0) {
    throw new UsageError(
      "--port 0 is for servers; give the port the server listens on",
    );
  }
  let finalHost = host;
  if (finalHost !== undefined) {
    finalHost = finalHost.replace(/^\[(.*)\]$/, "$1");
    if (finalHost === "") {
      throw new UsageError("--host needs an address or a name");
    }
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
  finalHost ??= server ? (v6 ? "::" : "0.0.0.0") : (v6 ? "::1" : "127.0.0.1");
  return {
    family: v6 ? AF_INET6 : AF_INET,
    host: finalHost,
    port: finalPort,
    display: formatHostPort(finalHost, finalPort),
  };
}

/** Whether a host is this machine's loopback. */
function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\./.test(host);
}

/**
 * The folder of a Unix socket path (`.` when there is none). The UDP
 * client makes its own socket there, next to the server's, so one
 * `--allow-read`/`--allow-write` covers both.
 *
 * @param path The server's socket path.
 * @returns The folder.
 */
export function unixFolder(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  return cut === -1 ? "." : cut === 0 ? path.slice(0, 1) : path.slice(0, cut);
}

/**
 * The complete set of Deno permission flags a program needs for an
 * endpoint, as one would type them after `deno run`.
 *
 * - TCP over IP: `--allow-net=HOST:PORT`.
 * - UDP client over IP: the server's address and the client's own, which
 *   the system picks (port 0): `--allow-net=127.0.0.1:8888,127.0.0.1:0`.
 * - UDP server over IP: replies go to each client's own port, so the
 *   server needs the whole host: `--allow-net=127.0.0.1` (for a host name,
 *   also the address it bound: `--allow-net=localhost,127.0.0.1`); on an
 *   any-address (`0.0.0.0`, `::`) clients may come from anywhere: `--allow-net`.
 * - Unix stream sockets: `--allow-read=PATH --allow-write=PATH --allow-net=unix:PATH`.
 * - Unix datagram sockets: the client binds a temporary socket next to the
 *   server's, whose name is not known beforehand:
 *   `--allow-read=DIR --allow-write=DIR --allow-net`.
 *
 * @param program The program.
 * @param endpoint Its endpoint.
 * @returns The flags, separated by spaces.
 */
export function permissionFlags(
  program: ProgramName,
  endpoint: Endpoint,
): string {
  if (endpoint.family === AF_UNIX) {
    const path = endpoint.path!;
    if (isDatagram(program)) {
      const dir = unixFolder(path);
      return `--allow-read=${dir} --allow-write=${dir} --allow-net`;
    }
    return `--allow-read=${path} --allow-write=${path} --allow-net=unix:${path}`;
  }
  const { host, port, family, boundHost } = endpoint;
  const bracket = (h: string) => h.includes(":") ? `[${h}]` : h;
  switch (program) {
    case "udp-server":
      if (host === "0.0.0.0" || host === "::") return "--allow-net";
      return `--allow-net=${bracket(host)}${
        boundHost && boundHost !== host ? `,${bracket(boundHost)}` : ""
      }`;
    case "udp-client": {
      const local = isLoopback(host)
        ? (family === AF_INET6 ? "[::1]" : "127.0.0.1")
        : (family === AF_INET6 ? "[::]" : "0.0.0.0");
      return `--allow-net=${formatHostPort(host, port)},${local}:0`;
    }
    default:
      return `--allow-net=${formatHostPort(host, port)}`;
  }
}

const SUMMARY: Record<ProgramName, string> = {
  "tcp-server":
    "Waits for TCP clients and chats with one at a time: shows client>MESSAGE,\n" +
    "asks server> for the reply, sends it. A client ends its session with exit;\n" +
    "the server then waits for the next one.",
  "tcp-client":
    "Connects to a TCP chat server: shows server>MESSAGE, asks client> for the\n" +
    "reply, sends it. Typing exit (or ending the input) sends exit and quits.",
  "udp-server":
    "Answers UDP datagrams: shows client>MESSAGE, asks server> for the reply,\n" +
    "sends it to whoever sent the message.",
  "udp-client":
    "Sends each line as a UDP datagram and shows the reply as server>MESSAGE.\n" +
    "Typing exit (or ending the input) sends exit and quits.",
};

/**
 * The `--help` text of a program.
 *
 * @param program The program.
 * @returns The text, ending with a newline.
 */
export function helpText(program: ProgramName): string {
  const server = isServer(program);
  const udp = isDatagram(program);
  const defaultHost = server
    ? "0.0.0.0 (:: with -6)"
    : "127.0.0.1 (::1 with -6)";
  const unixKind = udp ? "datagram" : "stream";
  const timeoutLine = program === "udp-server"
    ? ""
    : server
    ? "  --timeout SECONDS  disconnect a client that sends nothing for this long\n"
    : program === "tcp-client"
    ? "  --timeout SECONDS  give up when connecting or a reply takes longer\n"
    : "  --timeout SECONDS  give up when a reply takes longer\n";
  const echoLine = server
    ? "  --echo             reply with exactly the bytes received; stdin is not read\n"
    : "";
  const example = ({
    "tcp-server": [
      "pysocket tcp-server",
      "pysocket tcp-server --host 127.0.0.1 --port 0 --echo",
    ],
    "tcp-client": [
      "pysocket tcp-client",
      "printf 'hi\\nexit\\n' | pysocket tcp-client --port 8888",
    ],
    "udp-server": [
      "pysocket udp-server",
      "pysocket udp-server --host 127.0.0.1 --port 0 --echo --json",
    ],
    "udp-client": [
      "pysocket udp-client --timeout 5",
      "printf 'hi\\nexit\\n' | pysocket udp-client -6",
    ],
  } as const)[program];
  const ip = resolveEndpoint(program, {});
  const unixFlags = permissionFlags(program, {
    family: AF_UNIX,
    host: "",
    port: 0,
    path: "PATH",
    display: "PATH",
  }).replaceAll("=.", "=DIR");
  return `Usage: pysocket ${program} [options]

${SUMMARY[program]}

Options:
  --host HOST        ${
    server ? "address to listen on" : "server to reach"
  }; default ${defaultHost}
  --port PORT        ${
    server ? "port, 0 for any free one" : "the server's port"
  }; default 8888
  -4, -6             IPv4 or IPv6; default: from --host, else IPv4
  --unix PATH        use a Unix ${unixKind} socket instead of --host/--port
${timeoutLine}${echoLine}${
    extraHelp(program)
  }  --json             print events as JSON lines on stdout
  -h, --help         show this help
  --version          show the version

When stdin is not a terminal, no prompts are shown and each line of input is
one message${
    server
      ? ".\nEnd of input closes the current session and stops the server."
      : ", sent once the previous reply has come.\nEnd of input sends exit and quits."
  }
Messages go to stdout; status lines (listening, connected, disconnected,
errors) go to stderr.

Examples:
  ${example[0]}
  ${example[1]}

Permissions (deno run): ${permissionFlags(program, ip)}${
    udp ? " --unstable-net" : ""
  }
  with --unix PATH: ${unixFlags}${udp ? " (DIR: the folder of PATH)" : ""}
`;
}

/**
 * The `pysocket --help` text.
 *
 * @returns The text, ending with a newline.
 */
export function mainHelpText(): string {
  return `Usage: pysocket <command> [options]

The chat programs of the classic Python socket tutorial, for Deno.

Commands:
  tcp-server   wait for TCP clients and chat with one at a time
  tcp-client   connect to a TCP server and chat
  udp-server   answer UDP datagrams
  udp-client   send UDP datagrams and show the replies

Options:
  -h, --help   show this help (pysocket <command> --help for a command's)
  --version    show the version

Examples:
  pysocket tcp-server --port 8888
  pysocket tcp-client --host 127.0.0.1 --port 8888
  printf 'hi\\nexit\\n' | pysocket udp-client --timeout 5
`;
}
