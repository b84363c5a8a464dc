/**
 * The options the programs share, each declared once with its check; a
 * program's file picks the ones it takes and words their help for it.
 *
 * @module
 */

import { parseAccessRule } from "./_access.ts";
import { PROXY_AUTH_ENV } from "./_proxy.ts";
import { type Mode, type OptionSpec, UsageError } from "./_options.ts";

/** The longest message `--max-message` accepts: 64 MiB. */
export const MAX_MAX_MESSAGE = 64 * 1024 * 1024;
/** The most clients `--max-clients` accepts. */
export const MAX_MAX_CLIENTS = 1_000_000;

function show(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** A port: 0 to 65535. */
export function checkPort(value: unknown, flag: string): number {
  const number = typeof value === "string"
    ? (/^\d{1,5}$/.test(value) ? Number(value) : NaN)
    : value;
  if (
    typeof number !== "number" || !Number.isInteger(number) || number < 0 ||
    number > 65535
  ) {
    throw new UsageError(
      `${flag} must be a number from 0 to 65535, got ${show(value)}`,
    );
  }
  return number;
}

/**
 * Seconds above 0, written as digits with an optional fraction (`5`,
 * `0.5`): no sign, no spaces, no hexadecimal, no exponent.
 */
export function checkSeconds(value: unknown, flag: string): number {
  const number = typeof value === "string"
    ? (/^(\d+(\.\d*)?|\.\d+)$/.test(value) ? Number(value) : NaN)
    : value;
  if (typeof number !== "number" || !Number.isFinite(number) || number <= 0) {
    throw new UsageError(
      `${flag} must be a number of seconds above 0, got ${show(value)}`,
    );
  }
  return number;
}

/** Seconds from 0, as {@linkcode checkSeconds} writes them. */
export function checkSecondsOrZero(value: unknown, flag: string): number {
  if (value === 0 || value === "0") return 0;
  try {
    return checkSeconds(value, flag);
  } catch {
    throw new UsageError(
      `${flag} must be a number of seconds, 0 or more, got ${show(value)}`,
    );
  }
}

/** A whole number from 1 to `max`, with K and M suffixes if `units`. */
function checkWhole(max: number, units: boolean) {
  return (value: unknown, flag: string): number => {
    let number = value;
    if (typeof value === "string") {
      const match = (units ? /^(\d+)([KkMm]?)$/ : /^(\d+)()$/).exec(value);
      number = match
        ? Number(match[1]) *
          (match[2] === "" ? 1 : /k/i.test(match[2]) ? 1024 : 1048576)
        : NaN;
    }
    if (
      typeof number !== "number" || !Number.isSafeInteger(number) ||
      number < 1 || number > max
    ) {
      const top = units && max % 1048576 === 0
        ? `${max / 1048576}M`
        : max.toLocaleString("en");
      throw new UsageError(
        `${flag} must be a whole number from 1 to ${top}${
          units ? " (K and M suffixes work: 64K)" : ""
        }, got ${show(value)}`,
      );
    }
    return number;
  };
}

/** A non-empty string. */
function checkText(what: string) {
  return (value: unknown, flag: string): string => {
    if (typeof value !== "string" || value === "") {
      throw new UsageError(`${flag} needs ${what}`);
    }
    return value;
  };
}

/**
 * Addresses or CIDR ranges, `--allow a,b --allow c`: at least one, each
 * checked.
 */
export function checkAddressList(value: unknown, flag: string): string[] {
  const items = (Array.isArray(value) ? value : [value]).flatMap((item) =>
    typeof item === "string" ? item.split(",") : [item]
  );
  const entries: string[] = [];
  for (const item of items) {
    if (typeof item !== "string") {
      throw new UsageError(`${flag} takes addresses, got ${show(item)}`);
    }
    const entry = item.trim();
    if (entry === "") continue;
    try {
      parseAccessRule(entry);
    } catch (err) {
      throw new UsageError(`${flag}: ${(err as Error).message}`);
    }
    entries.push(entry);
  }
  if (entries.length === 0) {
    throw new UsageError(
      `${flag} needs at least one address or range (got ${
        show(Array.isArray(value) ? value.join(",") : value)
      }; an unset shell variable?)`,
    );
  }
  return entries;
}

/** `HOST:PORT`, `[IPv6]:PORT`: a host and a port from 1 to 65535. */
export function checkHostPort(
  value: unknown,
  flag: string,
): { host: string; port: number } {
  const match = typeof value === "string"
    ? /^(?:\[([^\]]+)\]|([^:\s\[\]]+)):(\d{1,5})$/.exec(value)
    : null;
  const port = match ? Number(match[3]) : NaN;
  if (!match || port < 1 || port > 65535) {
    throw new UsageError(
      `${flag} must be HOST:PORT ([ADDRESS]:PORT for IPv6), port 1 to 65535, got ${
        show(value)
      }`,
    );
  }
  return { host: match[1] ?? match[2], port };
}

function checkFlag(value: unknown, flag: string): boolean {
  if (typeof value !== "boolean") {
    throw new UsageError(
      `${flag} is a flag: true or false, got ${show(value)}`,
    );
  }
  return value;
}

function checkFamily(value: unknown): 4 | 6 {
  if (value !== 4 && value !== 6) {
    throw new UsageError(`family must be 4 or 6, got ${show(value)}`);
  }
  return value;
}

/** The modes of a server that serves many clients at once. */
const MANY: readonly Mode[] = ["room", "stream-echo"];

/** Builds the shared option specs, worded for a server or a client. */
export const OPTIONS = {
  host: (server: boolean): OptionSpec => ({
    name: "host",
    kind: "value",
    value: "HOST",
    key: "host",
    help: server
      ? "address to listen on; default 0.0.0.0 (:: with -6)"
      : "server to reach; default 127.0.0.1 (::1 with -6)",
    check: checkText("an address or a name"),
  }),
  port: (server: boolean): OptionSpec => ({
    name: "port",
    kind: "value",
    value: "PORT",
    key: "port",
    help: server
      ? "port, 0 for any free one; default 8888"
      : "the server's port; default 8888",
    check: checkPort,
  }),
  ipv4: {
    name: "ipv4",
    short: "4",
    kind: "flag",
    key: "family",
    set: 4,
    label: "-4, -6",
    help: "IPv4 or IPv6; default: from --host, else IPv4",
    check: checkFamily,
  } as OptionSpec,
  ipv6: {
    name: "ipv6",
    short: "6",
    kind: "flag",
    key: "family",
    set: 6,
    help: "",
    check: checkFamily,
  } as OptionSpec,
  unix: (kind: "stream" | "datagram", modes?: readonly Mode[]): OptionSpec => ({
    name: "unix",
    kind: "value",
    value: "PATH",
    key: "unix",
    help: `use a Unix ${kind} socket instead of --host/--port`,
    check: checkText("a socket path, such as /tmp/chat.sock"),
    modes,
    elsewhere: modes
      ? "--stream needs to send while a receive waits, which Deno cannot do on Unix datagram sockets; use UDP over 127.0.0.1, or tcp-client/tcp-server --stream --unix"
      : undefined,
  }),
  timeout: (help: string, modes?: readonly Mode[]): OptionSpec => ({
    name: "timeout",
    kind: "value",
    value: "SECONDS",
    key: "timeout",
    help,
    check: checkSeconds,
    modes,
    elsewhere: "with --stream, use --idle-timeout",
  }),
  echo: {
    name: "echo",
    kind: "flag",
    key: "echo",
    help: "reply with exactly the bytes received; stdin is not read",
    check: checkFlag,
  } as OptionSpec,
  json: {
    name: "json",
    kind: "flag",
    key: "json",
    help: "print events as JSON lines on stdout",
    check: checkFlag,
    modes: ["chat", "echo", "room"],
    elsewhere:
      "--stream writes the peer's bytes to stdout, so --json cannot go there; drop one",
  } as OptionSpec,
  stream: (help: string): OptionSpec => ({
    name: "stream",
    kind: "flag",
    key: "stream",
    help,
    check: checkFlag,
  }),
  room: {
    name: "room",
    kind: "flag",
    key: "room",
    help: "a chat room: every client's lines go to all others",
    check: checkFlag,
  } as OptionSpec,
  tls: (help: string): OptionSpec => ({
    name: "tls",
    kind: "flag",
    key: "tls",
    help,
    check: checkFlag,
  }),
  cert: {
    name: "cert",
    kind: "value",
    value: "FILE",
    key: "cert",
    help: "certificate chain (PEM) for --tls",
    check: checkText("a certificate file"),
  } as OptionSpec,
  key: {
    name: "key",
    kind: "value",
    value: "FILE",
    key: "key",
    help: "private key (PEM) for --tls; default: inside --cert",
    check: checkText("a key file"),
  } as OptionSpec,
  ca: {
    name: "ca",
    kind: "value",
    value: "FILE",
    key: "ca",
    help: "trust this CA (PEM) too, for a private or self-signed one",
    check: checkText("a CA certificate file"),
  } as OptionSpec,
  serverName: {
    name: "server-name",
    kind: "value",
    value: "NAME",
    key: "serverName",
    help: "the name the certificate must carry; default --host",
    check: checkText("a host name"),
  } as OptionSpec,
  insecure: {
    name: "insecure",
    kind: "flag",
    key: "insecure",
    help: "",
    check: () => {
      throw new UsageError(
        "--insecure is not available: Deno cannot skip certificate checks for " +
          "one connection; trust the server's certificate with --ca FILE (a " +
          "self-signed certificate is its own CA), or run deno with " +
          "--unsafely-ignore-certificate-errors=HOST, which turns checking off " +
          "for that host in the whole program",
      );
    },
  } as OptionSpec,
  allow: (help: string): OptionSpec => ({
    name: "allow",
    kind: "list",
    value: "LIST",
    key: "allow",
    help,
    check: checkAddressList,
  }),
  deny: (help: string): OptionSpec => ({
    name: "deny",
    kind: "list",
    value: "LIST",
    key: "deny",
    help,
    check: checkAddressList,
  }),
  maxClients: {
    name: "max-clients",
    kind: "value",
    value: "N",
    key: "maxClients",
    help: "--room, --stream --echo: the most clients at once\n" +
      "(default: from the descriptor limit)",
    check: checkWhole(MAX_MAX_CLIENTS, false),
    modes: MANY,
    elsewhere: "the other modes serve one client at a time",
  } as OptionSpec,
  maxMessage: (help: string, modes?: readonly Mode[]): OptionSpec => ({
    name: "max-message",
    kind: "value",
    value: "B",
    key: "maxMessage",
    help,
    check: checkWhole(MAX_MAX_MESSAGE, true),
    modes,
    elsewhere: "other modes read at most 64 KiB at a time",
  }),
  hexdump: {
    name: "hexdump",
    kind: "flag",
    key: "hexdump",
    help: "show each chunk sent (>) and received (<) as a hex dump\n" +
      "on stderr; stdout is unchanged",
    check: checkFlag,
  } as OptionSpec,
  verbose: {
    name: "verbose",
    short: "v",
    kind: "flag",
    key: "verbose",
    help: "connection lines on stderr (* ...): addresses, TLS,\n" +
      "bytes each way at close",
    check: checkFlag,
  } as OptionSpec,
  proxy: {
    name: "proxy",
    kind: "value",
    value: "HOST:PORT",
    key: "proxy",
    help: "connect through this proxy (the proxy resolves --host);\n" +
      `credentials from ${PROXY_AUTH_ENV}=user:pass, if set`,
    check: checkHostPort,
  } as OptionSpec,
  proxyType: {
    name: "proxy-type",
    kind: "value",
    value: "TYPE",
    key: "proxyType",
    help: "socks5 or http (CONNECT); default http",
    check: (value: unknown, flag: string) => {
      if (value !== "socks5" && value !== "http") {
        throw new UsageError(
          `${flag} must be socks5 or http, got ${show(value)}`,
        );
      }
      return value;
    },
  } as OptionSpec,
  crlf: {
    name: "crlf",
    short: "C",
    kind: "flag",
    key: "crlf",
    help: "--stream: send each line of input ending in \\r\\n",
    check: checkFlag,
    modes: ["stream"],
    elsewhere: "the chat sends each line without a line end",
  } as OptionSpec,
  sendOnly: {
    name: "send-only",
    kind: "flag",
    key: "sendOnly",
    help: "--stream: only send; what the peer sends is dropped,\n" +
      "and the end of input ends the program",
    check: checkFlag,
    modes: ["stream"],
    elsewhere: "it is a --stream option",
  } as OptionSpec,
  recvOnly: {
    name: "recv-only",
    kind: "flag",
    key: "recvOnly",
    help: "--stream: only receive; stdin is not read, and our\n" +
      "sending side stays open until the peer ends",
    check: checkFlag,
    modes: ["stream"],
    elsewhere: "it is a --stream option",
  } as OptionSpec,
  noShutdown: {
    name: "no-shutdown",
    kind: "flag",
    key: "noShutdown",
    help: "--stream: keep sending open after end of input\n" +
      "(default: shut it down, so the peer reads end of stream)",
    check: checkFlag,
    modes: ["stream"],
    elsewhere: "it is a --stream option",
  } as OptionSpec,
  quitAfterEof: {
    name: "quit-after-eof",
    short: "q",
    kind: "value",
    value: "S",
    key: "quitAfterEof",
    help: "--stream: end S seconds after end of input, whatever\n" +
      "the peer does (0: at once)",
    check: checkSecondsOrZero,
    modes: ["stream"],
    elsewhere: "it is a --stream option",
  } as OptionSpec,
  keepOpen: {
    name: "keep-open",
    short: "k",
    kind: "flag",
    key: "keepOpen",
    help: "--stream: after a client leaves, serve the next one\n" +
      "(one at a time; stdin goes on to the next)",
    check: checkFlag,
    modes: ["stream"],
    elsewhere: "--room and --echo serve many clients already",
  } as OptionSpec,
  idleTimeout: (
    help: string,
    modes: readonly Mode[],
    elsewhere: string,
  ): OptionSpec => ({
    name: "idle-timeout",
    kind: "value",
    value: "S",
    key: "idleTimeout",
    help,
    check: checkSeconds,
    modes,
    elsewhere,
  }),
} as const;
