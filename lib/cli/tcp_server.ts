/**
 * The tutorial's TCP server as a program: `pysocket tcp-server`.
 *
 * Listens on 0.0.0.0:8888 by default and chats with one client at a time:
 * reports `IP connected`, greets the client with `hello`, then shows each
 * message as `client>MESSAGE` and sends the reply typed at the `server>`
 * prompt. A client that sends `exit`, or vanishes, is reported as
 * disconnected and the server waits for the next one. Beyond the tutorial:
 * `--echo`, `--room`, `--stream`, `--tls`, `--allow`/`--deny` and limits.
 * See the `./cli` module for the full output contract.
 *
 * Requires `allow-net` permission for the address it listens on, such as
 * `--allow-net=0.0.0.0:8888`.
 *
 * @example Run it (from the command line)
 * ```sh
 * deno run --allow-net=0.0.0.0:8888 jsr:@pysocket/pysocket/tcp-server
 * ```
 *
 * @module
 */

import { bytes } from "../socket/text.ts";
import { formatHostPort } from "../socket/_address.ts";
import { Deadline, TIMED_OUT } from "../socket/_deadline.ts";
import type { ChatIO } from "./_events.ts";
import { OPTIONS } from "./_common_options.ts";
import { UsageError } from "./_options.ts";
import { endOf, type Incoming, StreamMessages } from "./_messages.ts";
import type { ProgramSpec } from "./_plan.ts";
import type { ServerOptions } from "./_program_options.ts";
import { type Run, runMain, runProgram } from "./_run.ts";
import { serve, type Session } from "./_server.ts";
import { tcpRoom } from "./modes/room.ts";
import { streamServer } from "./modes/tcp_stream.ts";

export type { ChatEvent, ChatIO, DisconnectReason } from "./_events.ts";
export type { TextSink } from "./_output.ts";
export type { ByteReader } from "../socket/_line_reader.ts";
export type { ChatOptions, ServerOptions } from "./_program_options.ts";
export type { LeaveReason, RoomEvent } from "./_events.ts";

/** `pysocket tcp-server`: its options, help and permissions, declared once. */
const TCP_SERVER: ProgramSpec = {
  name: "tcp-server",
  server: true,
  datagram: false,
  summary:
    "Waits for TCP clients and chats with one at a time: shows client>MESSAGE,\n" +
    "asks server> for the reply, sends it. A client ends its session with exit;\n" +
    "the server then waits for the next one.",
  modes: ["chat", "echo", "room", "stream", "stream-echo"],
  options: [
    OPTIONS.host(true),
    OPTIONS.port(true),
    OPTIONS.ipv4,
    OPTIONS.ipv6,
    OPTIONS.unix("stream"),
    OPTIONS.timeout(
      "disconnect a client that sends nothing for this long",
      ["chat", "echo"],
    ),
    OPTIONS.echo,
    OPTIONS.room,
    OPTIONS.stream(
      "netcat-style: stdin and the client flow both ways at once,\n" +
        "bytes unchanged; one client (with --echo: any number)",
    ),
    OPTIONS.tls("speak TLS; needs --cert FILE (and --key FILE)"),
    OPTIONS.cert,
    OPTIONS.key,
    OPTIONS.allow("admit only these addresses or CIDR ranges (IPv4, IPv6)"),
    OPTIONS.deny("refuse these addresses or ranges; checked first"),
    OPTIONS.maxClients,
    OPTIONS.maxMessage("--room: longest message in bytes (default 64K)", [
      "room",
    ]),
    OPTIONS.idleTimeout(
      "--room, --stream: close connections silent that long",
      ["room", "stream", "stream-echo"],
      "the chat server has --timeout",
    ),
    OPTIONS.json,
    OPTIONS.crlf,
    OPTIONS.sendOnly,
    OPTIONS.recvOnly,
    OPTIONS.noShutdown,
    OPTIONS.quitAfterEof,
    OPTIONS.keepOpen,
    OPTIONS.hexdump,
    OPTIONS.verbose,
  ],
  examples: [
    "pysocket tcp-server",
    "pysocket tcp-server --host 127.0.0.1 --port 0 --echo",
  ],
  streamNote:
    "\nWith --stream, end of input shuts down our sending side (the peer reads end\n" +
    "of stream) and the program ends once the peer has finished too;\n" +
    "--no-shutdown keeps sending open, --quit-after-eof S ends S seconds after\n" +
    "end of input whatever the peer does.\n",
  inputNote: ".\nEnd of input closes the current session and stops the server.",
  permissions(endpoint) {
    if (endpoint.path) {
      const path = endpoint.path;
      return `--allow-read=${path} --allow-write=${path} --allow-net=unix:${path}`;
    }
    return `--allow-net=${formatHostPort(endpoint.host, endpoint.port)}`;
  },
  rules(options) {
    if (options.tls && options.cert === undefined) {
      throw new UsageError(
        "--tls needs --cert FILE (and --key FILE unless the key is in it): a TLS server presents a certificate",
      );
    }
  },
};

const HELLO = bytes("hello");

/**
 * Runs the TCP chat server until its input ends, Ctrl-C, or `io.signal`.
 *
 * Each client is greeted with `hello`; its messages are shown as
 * `client>MESSAGE` and answered with a line of input (or, with `echo`,
 * with the bytes received). `exit` from the client ends its session and
 * the server waits for the next client; so does a client that closes,
 * resets or times out. End of input closes the current session and stops
 * the server. With `room` or `stream`, runs that mode instead.
 *
 * Requires `allow-net` permission for the address it listens on.
 *
 * @tags allow-net
 * @param options Where to listen, `echo`, `json`, `timeout`, and the rest
 * of the command line's options in camelCase.
 * @param io Where to read replies and write output; the process's own by default.
 * @returns The exit code: 0 when input ended, 1 on failure (such as an
 * address in use), 2 for bad options, 130 when interrupted.
 *
 * @example An echo server on a free port, and one client session
 * ```ts
 * import assert from "node:assert/strict";
 * import { tcpServer } from "@pysocket/pysocket/tcp-server";
 * import { tcpClient } from "@pysocket/pysocket/tcp-client";
 *
 * const stop = new AbortController();
 * const listening = Promise.withResolvers<number>();
 * const server = tcpServer({ host: "127.0.0.1", port: 0, echo: true }, {
 *   signal: stop.signal,
 *   stderr: () => {},
 *   onEvent: (e) => e.event === "listening" && listening.resolve(e.port!),
 * });
 * let output = "";
 * const code = await tcpClient({ port: await listening.promise }, {
 *   stdin: "hi\nexit\n",
 *   stdout: (text) => output += text,
 *   stderr: () => {},
 * });
 * stop.abort();
 * assert.equal(code, 0);
 * assert.equal(output, "server>hello\nserver>hi\n");
 * assert.equal(await server, 130); // stopped by the signal
 * ```
 */
export function tcpServer(
  options: ServerOptions = {},
  io?: ChatIO,
): Promise<number> {
  return runProgram(TCP_SERVER, options, io, (run) => {
    switch (run.plan.mode) {
      case "room":
        return tcpRoom(run);
      case "stream":
      case "stream-echo":
        return streamServer(run);
      default:
        return chatServer(run);
    }
  });
}

/** The tutorial's server: one client at a time, replies from stdin. */
function chatServer(run: Run): Promise<number> {
  const echo = run.plan.mode === "echo";
  if (!echo) run.readAhead();
  return serve(run, (session) => chat(run, session, echo), {
    sequential: true,
    // With no replies left, a new client could not be answered: stop.
    stop: run.inputExhausted(),
    onStop: () => {
      run.emit({ event: "stopped", reason: "end of input" });
      return 0;
    },
  });
}

/** Chats with one client until it leaves; exit code 0 when input ended. */
async function chat(
  run: Run,
  { sock, peer }: Session,
  echo: boolean,
): Promise<void | number> {
  run.emit({ event: "connected", peer });
  const gone = (end: Incoming & { kind: "end" }) => {
    run.emit({
      event: "disconnected",
      peer,
      reason: end.reason,
      message: end.reason === "closed"
        ? "the client closed the connection without sending exit"
        : end.reason === "reset"
        ? "the connection was reset"
        : run.explain(end.error).message,
    });
  };
  try {
    await sock.sendall(HELLO);
  } catch (err) {
    return gone(endOf(err));
  }
  const messages = new StreamMessages(sock);
  const silence = new Deadline();
  const timeout = run.plan.timeout;
  try {
    let next = messages.read();
    while (true) {
      const incoming = await silence.within(next, timeout);
      if (incoming === TIMED_OUT) {
        run.emit({
          event: "disconnected",
          peer,
          reason: "timeout",
          message: `no message for ${timeout} s (--timeout)`,
        });
        return;
      }
      if (incoming.kind === "end") return gone(incoming);
      if (incoming.text === "exit") {
        run.emit({ event: "disconnected", peer, reason: "exit" });
        return;
      }
      run.emit({ event: "message", from: "client", peer, text: incoming.text });
      next = messages.read();
      let reply = incoming.data;
      if (!echo) {
        const answer = await run.readReply("server>", {
          peerNext: next,
          replyAfterClose: true,
          skipEmpty: true,
        });
        if (answer.kind === "gone") return gone(answer.incoming);
        if (answer.kind === "eof") {
          run.emit({ event: "disconnected", peer, reason: "end of input" });
          run.emit({ event: "stopped", reason: "end of input" });
          return 0;
        }
        reply = bytes(answer.line);
      }
      try {
        await sock.sendall(reply);
      } catch (err) {
        return gone(endOf(err));
      }
    }
  } finally {
    silence.clear();
  }
}

/**
 * The command line of `pysocket tcp-server`: parses `args` and runs
 * {@linkcode tcpServer}; `--help` and `--version` print and return 0.
 *
 * @param args The arguments after the command name, such as `["--port", "0"]`.
 * @param io Where to read and write; the process's own by default.
 * @returns The exit code (2 for bad arguments).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@pysocket/pysocket/tcp-server";
 * let help = "";
 * assert.equal(await main(["--help"], { stdout: (text) => help += text }), 0);
 * assert.match(help, /^Usage: pysocket tcp-server/);
 * ```
 */
export function main(args: string[], io?: ChatIO): Promise<number> {
  return runMain(TCP_SERVER, args, io, tcpServer);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
