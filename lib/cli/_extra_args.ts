/**
 * Command-line options beyond the tutorial, which `_chat_args.ts` merges
 * into each program's: `--room`, `--stream`, `--tls` with `--cert`,
 * `--key`, `--ca` and `--server-name`, `--allow`/`--deny`, and the limits
 * `--max-clients`, `--max-message`, `--idle-timeout`. Checked here, with
 * the reason and the fix for each bad combination. No option runs a
 * command: there is no `--exec`.
 *
 * @module
 */

import { AccessList } from "./_access.ts";
import type { ProgramName } from "./_chat_args.ts";

/** The options this file adds to the clients (and the TCP server). */
export interface ClientExtraOptions {
  /**
   * Netcat-style full duplex (see `stream.ts`, and `udp_stream.ts` for
   * the UDP programs).
   *
   * @default {false}
   */
  stream?: boolean;
  /**
   * TCP programs: speak TLS.
   *
   * @default {false}
   */
  tls?: boolean;
  /**
   * `tcp-client --tls`: a CA certificate to trust besides Deno's roots.
   *
   * @default {undefined}
   */
  ca?: string;
  /**
   * `tcp-client --tls`: the name the certificate must carry.
   *
   * @default {the host connected to}
   */
  serverName?: string;
  /**
   * Seconds of silence before a connection is closed (`--room`,
   * `--stream`).
   *
   * @default {null}
   */
  idleTimeout?: number | null;
}

/** The options this file adds to the servers. */
export interface ExtraOptions extends ClientExtraOptions {
  /**
   * `tcp-server`: a chat room for many clients (see `room.ts`).
   *
   * @default {false}
   */
  room?: boolean;
  /**
   * `tcp-server --tls`: the certificate chain (PEM).
   *
   * @default {undefined}
   */
  cert?: string;
  /**
   * `tcp-server --tls`: the private key (PEM); `cert` when left out.
   *
   * @default {undefined}
   */
  key?: string;
  /**
   * Servers: addresses or CIDR ranges admitted.
   *
   * @default {[]}
   */
  allow?: readonly string[];
  /**
   * Servers: addresses or CIDR ranges refused.
   *
   * @default {[]}
   */
  deny?: readonly string[];
  /**
   * The most clients at once (`--room`, `--stream --echo`).
   *
   * @default {null}
   */
  maxClients?: number | null;
  /**
   * The longest message in bytes (`--room`; `udp-server` drops longer
   * datagrams).
   *
   * @default {65536}
   */
  maxMessage?: number;
}

/** A `parseArgs` option description. */
type Spec = { type: "string" | "boolean"; multiple?: boolean };

/**
 * The `parseArgs` options a program takes beyond the tutorial's.
 *
 * @param program The program.
 * @returns Option descriptions by long name.
 */
export function extraArgSpec(program: ProgramName): Record<string, Spec> {
  const list: Spec = { type: "string", multiple: true };
  const string: Spec = { type: "string" };
  const flag: Spec = { type: "boolean" };
  switch (program) {
    case "tcp-server":
      return {
        room: flag,
        stream: flag,
        tls: flag,
        cert: string,
        key: string,
        allow: list,
        deny: list,
        "max-clients": string,
        "max-message": string,
        "idle-timeout": string,
      };
    case "tcp-client":
      return {
        stream: flag,
        tls: flag,
        ca: string,
        "server-name": string,
        insecure: flag,
        "idle-timeout": string,
      };
    case "udp-server":
      return {
        stream: flag,
        allow: list,
        deny: list,
        "max-message": string,
        "idle-timeout": string,
      };
    case "udp-client":
      return { stream: flag, "idle-timeout": string };
  }
}

/** A problem with the command line, thrown to the caller's parser. */
type Fail = (message: string) => never;

function wholeNumber(name: string, text: string, fail: Fail): number {
  const match = /^(\d+)([KM]?)$/i.exec(text.trim());
  const value = match
    ? Number(match[1]) *
      (match[2] === "" ? 1 : /k/i.test(match[2]) ? 1024 : 1048576)
    : NaN;
  if (!Number.isSafeInteger(value) || value < 1) {
    fail(
      `--${name} must be a whole number above 0${
        name === "max-message" ? " (K and M suffixes work: 64K)" : ""
      }, got ${JSON.stringify(text)}`,
    );
  }
  return value;
}

function seconds(name: string, text: string, fail: Fail): number {
  const value = Number(text);
  if (!/^\s*[\d.]/.test(text) || !Number.isFinite(value) || value <= 0) {
    fail(
      `--${name} must be a number of seconds above 0, got ${
        JSON.stringify(text)
      }`,
    );
  }
  return value;
}

/** Splits `--allow a,b --allow c` into `[a, b, c]`. */
function entries(values: unknown): string[] {
  return ((values as string[] | undefined) ?? [])
    .flatMap((value) => value.split(","))
    .map((value) => value.trim())
    .filter((value) => value !== "");
}

/**
 * Reads and checks the options of {@linkcode extraArgSpec} from
 * `parseArgs` values, with the program's other options for the checks
 * that involve them (`--echo`, `--json`, `--unix`).
 *
 * @param program The program.
 * @param values The values `parseArgs` found.
 * @param fail Throws the caller's usage error with a message.
 * @returns The options to merge.
 */
export function readExtraOptions(
  program: ProgramName,
  values: Record<string, unknown>,
  fail: Fail,
): ExtraOptions {
  const options: ExtraOptions = {};
  const given = (name: string) => values[name] !== undefined;
  if (values.insecure) {
    fail(
      "--insecure is not available: Deno cannot skip certificate checks for " +
        "one connection; trust the server's certificate with --ca FILE (a " +
        "self-signed certificate is its own CA), or run deno with " +
        "--unsafely-ignore-certificate-errors=HOST, which turns checking off " +
        "for that host in the whole program",
    );
  }
  if (values.room) options.room = true;
  if (values.stream) options.stream = true;
  if (options.room && options.stream) {
    fail("--room and --stream exclude each other: give one");
  }
  if (options.room && values.echo) {
    fail("--room relays messages between clients; --echo does not apply");
  }
  if (options.stream && values.json) {
    fail(
      "--stream writes the peer's bytes to stdout, so --json cannot go there; drop one",
    );
  }
  if (options.stream && program.startsWith("udp-") && given("unix")) {
    fail(
      "--stream needs to send while a receive waits, which Deno cannot do on Unix datagram sockets; use UDP over 127.0.0.1, or tcp-client/tcp-server --stream --unix",
    );
  }
  if (options.stream && program.startsWith("udp-") && given("timeout")) {
    fail(
      "--timeout is how long the chat waits for a reply; with --stream, use --idle-timeout",
    );
  }
  if (values.tls) options.tls = true;
  for (const name of ["cert", "key", "ca", "server-name"]) {
    if (given(name) && !options.tls) fail(`--${name} needs --tls`);
  }
  if (options.tls) {
    if (values.unix !== undefined) fail("--tls works over TCP, not --unix");
    if (program === "tcp-server" && !given("cert")) {
      fail(
        "--tls needs --cert FILE (and --key FILE unless the key is in it): a TLS server presents a certificate",
      );
    }
  }
  if (given("cert")) options.cert = values.cert as string;
  if (given("key")) options.key = values.key as string;
  if (given("ca")) options.ca = values.ca as string;
  if (given("server-name")) {
    options.serverName = values["server-name"] as string;
  }
  const allow = entries(values.allow), deny = entries(values.deny);
  if (allow.length || deny.length) {
    if (values.unix !== undefined) {
      fail(
        "--allow and --deny check IP addresses; they do not apply to --unix",
      );
    }
    for (const [name, list] of [["allow", allow], ["deny", deny]] as const) {
      try {
        new AccessList({ allow: list });
      } catch (err) {
        fail(`--${name}: ${(err as Error).message}`);
      }
    }
    if (allow.length) options.allow = allow;
    if (deny.length) options.deny = deny;
  }
  if (given("max-clients")) {
    if (!options.room && !(options.stream && values.echo)) {
      fail(
        "--max-clients applies to --room and --stream --echo, which serve many clients",
      );
    }
    options.maxClients = wholeNumber(
      "max-clients",
      values["max-clients"] as string,
      fail,
    );
  }
  if (given("max-message")) {
    if (program === "tcp-server" && !options.room) {
      fail(
        "--max-message applies to --room (and udp-server); other modes read at most 64 KiB at a time",
      );
    }
    options.maxMessage = wholeNumber(
      "max-message",
      values["max-message"] as string,
      fail,
    );
  }
  if (given("idle-timeout")) {
    if (!options.room && !options.stream) {
      fail(
        program === "tcp-server"
          ? "--idle-timeout applies to --room and --stream; the chat server has --timeout"
          : "--idle-timeout applies to --stream; the chat client has --timeout",
      );
    }
    options.idleTimeout = seconds(
      "idle-timeout",
      values["idle-timeout"] as string,
      fail,
    );
  }
  return options;
}

/**
 * The `--help` lines of a program's extra options.
 *
 * @param program The program.
 * @returns Lines in the style of the Options section, ending with a newline.
 */
export function extraHelp(program: ProgramName): string {
  switch (program) {
    case "tcp-server":
      return `  --room             a chat room: every client's lines go to all others
  --stream           netcat-style: stdin and the client flow both ways at once,
                     bytes unchanged; one client (with --echo: any number)
  --tls              speak TLS; needs --cert FILE (and --key FILE)
  --cert FILE        certificate chain (PEM) for --tls
  --key FILE         private key (PEM) for --tls; default: inside --cert
  --allow LIST       admit only these addresses or CIDR ranges (IPv4, IPv6)
  --deny LIST        refuse these addresses or ranges; checked first
  --max-clients N    --room, --stream --echo: the most clients at once
  --max-message B    --room: longest message in bytes (default 64K)
  --idle-timeout S   --room, --stream: close connections silent that long
`;
    case "tcp-client":
      return `  --stream           netcat-style: stdin and the server flow both ways at
                     once, bytes unchanged; end of stdin shuts down sending
  --tls              speak TLS, verifying the server's certificate
  --ca FILE          trust this CA (PEM) too, for a private or self-signed one
  --server-name NAME the name the certificate must carry; default --host
  --idle-timeout S   --stream: give up after that long without data
`;
    case "udp-server":
      return `  --stream           nc -u -l style: the first client's datagrams to stdout,
                     stdin to it, both at once, bytes unchanged (with --echo:
                     every datagram back to its sender)
  --allow LIST       answer only these addresses or CIDR ranges
  --deny LIST        drop datagrams from these addresses or ranges
  --max-message B    drop datagrams longer than this (default 64K)
  --idle-timeout S   --stream: give up after that long without a datagram;
                     after end of input, the quiet time before exiting (1 s)
`;
    case "udp-client":
      return `  --stream           nc -u style: stdin as datagrams (one per line) and the
                     server's datagrams to stdout, both at once, bytes unchanged
  --idle-timeout S   --stream: give up after that long without a datagram;
                     after end of input, the quiet time before exiting (1 s)
`;
  }
}
