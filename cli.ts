/**
 * The `pysocket` command: the Python socket tutorial's four chat programs,
 * `pysocket tcp-server|tcp-client|udp-server|udp-client [options]`, with a
 * chat room, netcat-style streams, TLS, access lists and limits; and the
 * netcat toolbox: `pysocket relay LISTEN TARGET` (a port forwarder),
 * `pysocket probe HOST PORTS` (`nc -z`) and `pysocket flags COMMAND...`
 * (the exact `deno run` flags of a command line).
 * `pysocket --help` lists them; `pysocket <command> --help` shows a
 * command's options, examples and the permission flags it needs. Each
 * program is also its own module (`jsr:@pysocket/pysocket/tcp-server` and
 * so on), runnable from code with its options as an object.
 *
 * @example Chat with a server on this machine
 * ```sh
 * deno run --allow-net=127.0.0.1:8888 jsr:@pysocket/pysocket/cli tcp-client
 * ```
 *
 * ## Output contract
 *
 * Scripts and the interop tests rely on this; keep it stable.
 *
 * **stdout**, one line per received message. The text is escaped:
 * control characters, terminal escapes and embedded newlines become visible (`\x1b`, `\n`...). This is done always,
 * not only when stdout is a terminal, so the output is the same on a
 * terminal, in a pipe and in a log that is later `cat`ed.
 *
 * - servers: `client>TEXT`; clients: `server>TEXT`
 * - the prompts `server>` / `client>` (no newline), only when stdin is a
 *   terminal and `--json` is off
 *
 * **stderr**, status lines, the same with and without `--json`:
 *
 * - servers, always the first line: `listening on HOST:PORT`
 *   (`listening on [::1]:PORT` for IPv6, `listening on PATH` for Unix
 *   sockets), with the real port when `--port 0` was given
 * - servers: `IP connected`; `IP disconnected` when the client sent `exit`
 *   (or the server's input ended); `IP disconnected: REASON` when it
 *   vanished (`the client closed the connection without sending exit`,
 *   `the connection was reset`, `no message for N s (--timeout)`...). While
 *   the server waits for a reply at a terminal, a client that leaves is
 *   reported at once, and what is typed until the next prompt is dropped
 *   (it was meant for that client). With replies from a pipe, a client that
 *   closed its side still gets its reply (it may have only half-closed,
 *   like `nc -N`) and its end is reported after it; a reset is reported at
 *   once. Unix
 *   peers are named by their path, or `unix peer` when they have none. The
 *   UDP server counts a client as connected from its first datagram until
 *   its `exit`.
 * - servers, when their input ends: `stopped: end of input`
 * - relay, when a session ends: `IP:PORT session ended (N bytes from the
 *   client, N from the target)`, then `: REASON` unless both sides
 *   finished; each is printed (the `connected`, `denied` and `refused` lines
 *   are limited to 100 a second, the rest counted)
 * - TCP servers, for a client refused by `--allow`/`--deny` (closed before
 *   any byte is sent): `IP:PORT denied: REASON`, such as
 *   `127.0.0.1:54321 denied: not in --allow ::1/128`; the UDP server drops
 *   a refused datagram without a line, so a flood cannot flood stderr
 * - TCP servers, for a client turned away past `--max-clients` or whose TLS
 *   handshake failed: `IP:PORT refused: REASON`
 * - TCP servers out of file descriptors: `paused: REASON` once, then
 *   `resumed: accepting connections again` (they never exit for it)
 * - clients print nothing on stderr unless they fail
 * - failures: `pysocket PROGRAM: MESSAGE`, one line naming the cause and
 *   the fix; a missing permission names the complete flag:
 *   `pysocket udp-client: missing permission: Deno needs net access to
 *   "127.0.0.1:0"; run again with --allow-net=127.0.0.1:8888,127.0.0.1:0`
 *
 * **`--json`**: stdout carries only JSON, one object per line per event;
 * every stderr line and every message line has its event:
 *
 * - `{"event":"listening","address":"127.0.0.1:8888","host":"127.0.0.1","port":8888}`
 *   (Unix: `{"event":"listening","address":PATH,"path":PATH}`); servers of
 *   many clients (`--room`, `--stream --echo`) add `"maxClients":N` (or
 *   `null`)
 * - `{"event":"connected","peer":"127.0.0.1:54321"}` (the tcp-client
 *   emits it too, with the server's address)
 * - `{"event":"message","from":"client","peer":"127.0.0.1:54321","text":"hi"}`:
 *   `from` is `"client"` on servers and `"server"` on clients; `text` is
 *   the message unescaped, without its trailing newline
 * - `{"event":"disconnected","peer":...,"reason":R}`, R one of `exit`,
 *   `end of input`, `closed`, `reset`, `timeout`, `error`, with
 *   `"message":REASON` for the last four (the tcp-client emits it too when
 *   it sends `exit`)
 * - `{"event":"stopped","reason":"end of input"}`
 * - relay: `{"event":"session-ended","peer":"127.0.0.1:54321","target":"127.0.0.1:80","fromClient":N,"fromTarget":N,"reason":R}`,
 *   R one of `done`, `reset`, `timeout`, `target` (it could not be
 *   reached), `error`, with `"message":REASON` for all but `done`
 * - probe: `{"event":"port","host":"127.0.0.1","port":22,"state":S}`, S
 *   one of `open`, `closed`, `timed out`, `error` (with `"message"`);
 *   without `--json`, `PORT open` lines on stdout (`-v` adds the others)
 * - `{"event":"denied","peer":"127.0.0.1:54321","message":REASON}`
 * - `{"event":"refused","peer":"127.0.0.1:54321","message":REASON}`
 * - `{"event":"paused","reason":REASON}`, `{"event":"resumed","reason":REASON}`
 * - `{"event":"error","message":MESSAGE}`
 *
 * **Exit codes**: 0 after `exit` or end of input; 1 for runtime failures
 * (the server went away, connection refused, address in use, unknown
 * host, missing permission, no reply within `--timeout`); 2 for bad
 * arguments (`pysocket PROGRAM: PROBLEM (see pysocket PROGRAM --help)`,
 * stderr only, even with `--json`); 130 after Ctrl-C (SIGINT) or
 * `ChatIO.signal`; 143 after SIGTERM and 129 after SIGHUP (sockets are
 * closed and Unix socket files removed, as after Ctrl-C).
 *
 * **Messages on the wire** are the UTF-8 text itself, no newline added, as
 * the tutorial's Python programs send them. Over TCP, what one read
 * returns is one message, as in the tutorial (a read is at most 64 KiB, so
 * a longer message shows as several lines), but the bytes are decoded as
 * one stream: a character split between two reads is shown whole, at the
 * start of the second line. Several newline-ended lines arriving in one
 * read (`nc`) are one message each. A datagram is one message. Invalid
 * UTF-8 becomes U+FFFD. One trailing `\n` or `\r\n` is not part of the
 * message, so `exit\n` ends a session too.
 *
 * **Input**: each line of stdin is one message. An empty line sends
 * nothing over TCP (zero bytes would leave both sides waiting) and is
 * skipped; over UDP it is an empty datagram, as in the tutorial. Input is
 * read ahead, so a writer never blocks on a full pipe. A client waits for
 * each reply before it sends the next line; the TCP client also shows at
 * once a message that comes while it waits for a line (a `--room` sends
 * them unasked), without sending anything for it. At end of input a client sends
 * `exit` (the tutorial's servers expect it to end the session cleanly) and
 * exits with 0. A server whose input has ended uses the lines left. When
 * it needs a reply and none is left (where Python's `input()` would raise
 * `EOFError`), it closes the session (`IP disconnected`), prints `stopped:
 * end of input` and exits with 0. It stops the same way, without waiting
 * for the next message, as soon as it is idle with no reply left: the TCP
 * server waiting for a new client (just `stopped: end of input`), the UDP
 * server waiting for a datagram (`IP disconnected` for each client whose
 * session is open, then `stopped: end of input`). With `--echo`, a server
 * never reads stdin.
 *
 * @module
 */

import { main as tcpServer } from "./lib/cli/tcp_server.ts";
import { main as tcpClient } from "./lib/cli/tcp_client.ts";
import { main as udpServer } from "./lib/cli/udp_server.ts";
import { main as udpClient } from "./lib/cli/udp_client.ts";
import { main as relay } from "./lib/cli/relay.ts";
import { main as probe } from "./lib/cli/probe.ts";
import type { ChatIO } from "./lib/cli/_events.ts";
import { flushOutputs, outputsOf } from "./lib/cli/_output.ts";
import { PRINT_FLAGS, usageLine, VERSION } from "./lib/cli/_run.ts";

export type {
  ChatEvent,
  ChatIO,
  DisconnectReason,
  LeaveReason,
  PortState,
  RoomEvent,
  SessionEndReason,
} from "./lib/cli/_events.ts";
export type { TextSink } from "./lib/cli/_output.ts";
export type { ByteReader } from "./lib/socket/_line_reader.ts";
export type { ChatOptions, ServerOptions } from "./lib/cli/_program_options.ts";

/** The programs, each with its `main` and its line in `pysocket --help`. */
const COMMANDS = new Map<
  string,
  { run: (args: string[], io?: ChatIO) => Promise<number>; line: string }
>([
  ["tcp-server", {
    run: tcpServer,
    line: "wait for TCP clients and chat with one at a time",
  }],
  ["tcp-client", { run: tcpClient, line: "connect to a TCP server and chat" }],
  ["udp-server", { run: udpServer, line: "answer UDP datagrams" }],
  ["udp-client", {
    run: udpClient,
    line: "send UDP datagrams and show the replies",
  }],
  ["relay", {
    run: relay,
    line: "forward a port: each client gets its own connection to a target",
  }],
  ["probe", {
    run: probe,
    line: "check which TCP ports accept a connection (nc -z)",
  }],
  ["flags", {
    run: flags,
    line: "print the deno run permission flags a command line needs",
  }],
]);

/** The `pysocket flags --help` text. */
const FLAGS_HELP = `Usage: pysocket flags COMMAND [options]

Prints, in one line, exactly the deno run permission flags that the command
line COMMAND [options] needs (net access to its addresses, --unstable-net for
UDP, read and write access to Unix socket paths and PEM files), ready to put
between deno run and the script:

  deno run $(pysocket flags tcp-server --port 9000) jsr:@pysocket/pysocket/cli tcp-server --port 9000

A bad command line is reported as that command reports it, with exit code 2.
`;

/**
 * `pysocket flags COMMAND ...`: the command's own `main` reads the
 * command line and prints its flags instead of running.
 */
function flags(args: string[], io?: ChatIO): Promise<number> {
  const { out, err } = outputsOf(io);
  const [command, ...rest] = args;
  if (command === "-h" || command === "--help") {
    out.text(FLAGS_HELP);
    return Promise.resolve(0);
  }
  const found = command === "flags" ? undefined : COMMANDS.get(command ?? "");
  if (!found) {
    const choices = [...COMMANDS.keys()].filter((name) => name !== "flags");
    err.text(usageLine(
      "flags",
      `${
        command === undefined
          ? "missing command"
          : `unknown command ${JSON.stringify(command)}`
      }: give one of ${choices.join(", ")} with its options`,
    ));
    return Promise.resolve(2);
  }
  return found.run(rest, { ...io, [PRINT_FLAGS]: true } as ChatIO);
}

/** The `pysocket --help` text. */
function mainHelpText(): string {
  const commands = [...COMMANDS].map(([name, { line }]) =>
    `  ${name.padEnd(12)} ${line}\n`
  ).join("");
  return `Usage: pysocket <command> [options]

The chat programs of the classic Python socket tutorial, for Deno, and the
everyday netcat toolbox: a port forwarder, a port check, permission flags.

Commands:
${commands}
Options:
  -h, --help   show this help (pysocket <command> --help for a command's)
  --version    show the version

Examples:
  pysocket tcp-server --port 8888
  pysocket tcp-client --host 127.0.0.1 --port 8888
  printf 'hi\\nexit\\n' | pysocket udp-client --timeout 5
`;
}

/**
 * Runs the command line and returns the exit code.
 *
 * @param args The arguments, without the program name: a command and its options.
 * @param io Where to read and write; the process's own by default.
 * @returns The process exit code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@pysocket/pysocket/cli";
 * let out = "";
 * assert.equal(await main(["--version"], { stdout: (text) => out += text }), 0);
 * assert.match(out, /^pysocket \d+\.\d+\.\d+\n$/);
 * ```
 *
 * @example A missing command is a usage error
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@pysocket/pysocket/cli";
 * let error = "";
 * assert.equal(await main([], { stderr: (text) => error += text }), 2);
 * assert.match(error, /^pysocket: missing command: give one of tcp-server, /);
 * ```
 */
export async function main(args: string[], io?: ChatIO): Promise<number> {
  const { out, err } = outputsOf(io);
  try {
    const [command, ...rest] = args;
    const found = COMMANDS.get(command ?? "");
    if (found) return await found.run(rest, io);
    if (command === "-h" || command === "--help") {
      out.text(mainHelpText());
      return 0;
    }
    if (command === "--version") {
      out.text(`pysocket ${VERSION}\n`);
      return 0;
    }
    const choices = `give one of ${[...COMMANDS.keys()].join(", ")}`;
    err.text(usageLine(
      null,
      command === undefined
        ? `missing command: ${choices}`
        : command.startsWith("-")
        ? `unknown option ${
          JSON.stringify(command)
        } before the command: ${choices}`
        : `unknown command ${JSON.stringify(command)}: ${choices}`,
    ));
    return 2;
  } catch (e) {
    try {
      err.text(
        `pysocket: unexpected failure: ${
          String(e instanceof Error ? e.message : e).replace(/\s+/g, " ")
        }\n`,
      );
    } catch {
      // Nowhere left to report to; the exit code says it.
    }
    return 1;
  } finally {
    await flushOutputs(null);
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
