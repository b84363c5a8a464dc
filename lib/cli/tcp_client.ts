/**
 * The tutorial's TCP client as a program: `pysocket tcp-client`.
 *
 * Connects to 127.0.0.1:8888 by default, shows each message from the
 * server as `server>MESSAGE` and sends the line typed at the `client>`
 * prompt; typing `exit` sends it and quits. A message that comes while it
 * waits for a line (a `tcp-server --room` sends them unasked) is shown at
 * once. When stdin is not a terminal, each line is sent once the previous
 * reply has arrived, and the end of input sends `exit`. Beyond the
 * tutorial: `--stream` and `--tls`. See the `./cli` module for the full
 * output contract.
 *
 * Requires `allow-net` permission for the server's address, such as
 * `--allow-net=127.0.0.1:8888`.
 *
 * @example Run it (from the command line)
 * ```sh
 * deno run --allow-net=127.0.0.1:8888 jsr:@pysocket/pysocket/tcp-client
 * ```
 *
 * @module
 */

import { SHUT_WR } from "../socket/constants.ts";
import { bytes } from "../socket/text.ts";
import { formatHostPort } from "../socket/_address.ts";
import type { Socket } from "../socket/socket.ts";
import { Deadline, TIMED_OUT } from "../socket/_deadline.ts";
import type { ChatIO } from "./_events.ts";
import { OPTIONS } from "./_common_options.ts";
import { ChatFailure } from "./_explain.ts";
import { endOf, type Incoming, StreamMessages } from "./_messages.ts";
import type { ProgramSpec } from "./_plan.ts";
import type { ChatOptions } from "./_program_options.ts";
import { peerName, type Run, runMain, runProgram } from "./_run.ts";
import { connectClient } from "./_sockets.ts";
import { streamClient } from "./modes/tcp_stream.ts";

export type { ChatEvent, ChatIO, DisconnectReason } from "./_events.ts";
export type { TextSink } from "./_output.ts";
export type { ByteReader } from "../socket/_line_reader.ts";
export type { ChatOptions } from "./_program_options.ts";

/** `pysocket tcp-client`: its options, help and permissions, declared once. */
const TCP_CLIENT: ProgramSpec = {
  name: "tcp-client",
  server: false,
  datagram: false,
  summary:
    "Connects to a TCP chat server: shows server>MESSAGE, asks client> for the\n" +
    "reply, sends it. Typing exit (or ending the input) sends exit and quits.",
  modes: ["chat", "stream"],
  options: [
    OPTIONS.host(false),
    OPTIONS.port(false),
    OPTIONS.ipv4,
    OPTIONS.ipv6,
    OPTIONS.unix("stream"),
    OPTIONS.timeout("give up when connecting or a reply takes longer"),
    OPTIONS.stream(
      "netcat-style: stdin and the server flow both ways at\n" +
        "once, bytes unchanged; end of stdin shuts down sending",
    ),
    OPTIONS.tls("speak TLS, verifying the server's certificate"),
    OPTIONS.ca,
    OPTIONS.serverName,
    OPTIONS.insecure,
    OPTIONS.proxy,
    OPTIONS.proxyType,
    OPTIONS.idleTimeout(
      "--stream: give up after that long without data",
      ["stream"],
      "the chat client has --timeout",
    ),
    OPTIONS.json,
    OPTIONS.crlf,
    OPTIONS.sendOnly,
    OPTIONS.recvOnly,
    OPTIONS.noShutdown,
    OPTIONS.quitAfterEof,
    OPTIONS.hexdump,
    OPTIONS.verbose,
  ],
  examples: [
    "pysocket tcp-client",
    "printf 'hi\\nexit\\n' | pysocket tcp-client --port 8888",
  ],
  streamNote:
    "\nWith --stream, end of input shuts down our sending side (the peer reads end\n" +
    "of stream) and the program ends once the peer has finished too;\n" +
    "--no-shutdown keeps sending open, --quit-after-eof S ends S seconds after\n" +
    "end of input whatever the peer does.\n" +
    "Through --proxy HOST:PORT, Deno needs --allow-net=HOST:PORT only (the proxy\n" +
    "reaches the server), and --allow-env=PYSOCKET_PROXY_AUTH for a login\n" +
    "(user:password in that variable, never on the command line).\n",
  inputNote:
    ", sent once the previous reply has come.\nEnd of input sends exit and quits.",
  permissions(endpoint) {
    if (endpoint.path) {
      const path = endpoint.path;
      return `--allow-read=${path} --allow-write=${path} --allow-net=unix:${path}`;
    }
    return `--allow-net=${formatHostPort(endpoint.host, endpoint.port)}`;
  },
};

/**
 * Runs the TCP chat client until it sends `exit` (typed, or at end of
 * input), the server goes away, Ctrl-C, or `io.signal`. With `stream`,
 * runs netcat's stream mode instead.
 *
 * Requires `allow-net` permission for the server's address.
 *
 * @tags allow-net
 * @param options Where to connect, `json`, `timeout`, and the rest of the
 * command line's options in camelCase.
 * @param io Where to read lines and write output; the process's own by default.
 * @returns The exit code: 0 after sending `exit`, 1 on failure (connection
 * refused, the server went away, timeout), 2 for bad options, 130 when
 * interrupted.
 *
 * @example Nothing listens on the port: one line, exit code 1
 * ```ts
 * import assert from "node:assert/strict";
 * import { tcpClient } from "@pysocket/pysocket/tcp-client";
 * import { create_server } from "@pysocket/pysocket";
 *
 * const probe = create_server(["127.0.0.1", 0]);
 * const [, port] = probe.getsockname() as [string, number];
 * probe.close(); // Now nothing listens there.
 * let error = "";
 * const code = await tcpClient({ port }, { stdin: "", stderr: (t) => error += t });
 * assert.equal(code, 1);
 * assert.match(error, /^pysocket tcp-client: cannot connect to 127\.0\.0\.1:\d+: connection refused: /);
 * ```
 */
export function tcpClient(
  options: ChatOptions = {},
  io?: ChatIO,
): Promise<number> {
  return runProgram(
    TCP_CLIENT,
    options,
    io,
    (run) => run.plan.mode === "stream" ? streamClient(run) : chat(run),
  );
}

/** The tutorial's client: a reply for each message, until `exit`. */
async function chat(run: Run): Promise<number> {
  run.readAhead();
  const sock = await connectClient(run);
  const { endpoint, timeout } = run.plan;
  const peer = endpoint.path ?? peerName(sock.getpeername());
  run.emit({ event: "connected", peer });
  const gone = (end: Incoming & { kind: "end" }) =>
    end.reason === "error"
      ? run.explain(end.error, `cannot talk to ${peer}`)
      : new ChatFailure(
        `the server at ${peer} ${
          end.reason === "closed" ? "closed" : "reset"
        } the connection`,
      );
  const messages = new StreamMessages(sock);
  let next = messages.read();
  const show = (incoming: Incoming & { kind: "message" }) => {
    run.emit({ event: "message", from: "server", peer, text: incoming.text });
    return next = messages.read();
  };
  const waiting = new Deadline();
  try {
    while (true) {
      const incoming = await waiting.within(next, timeout);
      if (incoming === TIMED_OUT) {
        throw new ChatFailure(
          `no reply from ${peer} within ${timeout} s (--timeout)`,
        );
      }
      if (incoming.kind === "end") throw gone(incoming);
      show(incoming);
      // Messages that come while it waits for a line are shown at once: a
      // `--room` sends them unasked.
      const answer = await run.readReply("client>", {
        peerNext: next,
        skipEmpty: true,
        onMessage: show,
      });
      if (answer.kind === "gone") throw gone(answer.incoming);
      const line = answer.kind === "eof" ? "exit" : answer.line;
      try {
        await sock.sendall(bytes(line));
      } catch (err) {
        throw gone(endOf(err));
      }
      if (line === "exit") {
        run.emit({
          event: "disconnected",
          peer,
          reason: answer.kind === "eof" ? "end of input" : "exit",
        });
        await leaveGracefully(sock, messages, next, waiting);
        return 0;
      }
    }
  } finally {
    waiting.clear();
  }
}

/** How long a client that sent `exit` waits for the server to close. */
const LEAVE_SECONDS = 1;

/**
 * After `exit`: shut down sending, then read and drop what the server still
 * sends until it closes (at most {@linkcode LEAVE_SECONDS}). Closing with
 * unread bytes in the socket makes the OS reset the connection, and the
 * server would report a reset instead of a clean leave (seen in a busy
 * `--room`, where broadcasts keep arriving).
 */
async function leaveGracefully(
  sock: Socket,
  messages: StreamMessages,
  next: Promise<Incoming>,
  deadline: Deadline,
): Promise<void> {
  try {
    await sock.shutdown(SHUT_WR);
  } catch {
    return; // Already gone: nothing to be graceful about.
  }
  const end = performance.now() + LEAVE_SECONDS * 1000;
  for (let pending = next;;) {
    const left = (end - performance.now()) / 1000;
    if (left <= 0) return;
    const incoming = await deadline.within(pending, left).catch(() => null);
    if (
      incoming === null || incoming === TIMED_OUT || incoming.kind === "end"
    ) {
      return;
    }
    pending = messages.read();
  }
}

/**
 * The command line of `pysocket tcp-client`: parses `args` and runs
 * {@linkcode tcpClient}; `--help` and `--version` print and return 0.
 *
 * @param args The arguments after the command name, such as `["--port", "8888"]`.
 * @param io Where to read and write; the process's own by default.
 * @returns The exit code (2 for bad arguments).
 *
 * @example A bad port is a usage error
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@pysocket/pysocket/tcp-client";
 * let error = "";
 * assert.equal(await main(["--port", "70000"], { stderr: (t) => error += t }), 2);
 * assert.equal(
 *   error,
 *   'pysocket tcp-client: --port must be a number from 0 to 65535, got "70000" (see pysocket tcp-client --help)\n',
 * );
 * ```
 */
export function main(args: string[], io?: ChatIO): Promise<number> {
  return runMain(TCP_CLIENT, args, io, tcpClient);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
