/**
 * The tutorial's TCP client as a program: `pysocket tcp-client`.
 *
 * Connects to 127.0.0.1:8888 by default, shows each message from the
 * server as `server>MESSAGE` and sends the line typed at the `client>`
 * prompt; typing `exit` sends it and quits. A message that comes while it
 * waits for a line (a `tcp-server --room` sends them unasked) is shown at
 * once. When stdin is not a terminal,
 * each line is sent once the previous reply has arrived, and the end of
 * input sends `exit`. See `lib/_chat.ts` for the full output contract.
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

import { SHUT_WR, SOCK_STREAM } from "../socket/constants.ts";
import { bytes } from "../socket/text.ts";
import { Socket } from "../socket/socket.ts";
import { type ChatIO, peerName, runChat, runMain, within } from "./_chat.ts";
import { ChatFailure } from "./_chat_errors.ts";
import { endOf, type Incoming, StreamMessages } from "./_chat_messages.ts";
import type { ChatOptions } from "./_chat_args.ts";
import { wrapClient } from "./_gate.ts";
import { streamClient } from "./modes/tcp_stream.ts";

export type { ChatEvent, ChatIO, DisconnectReason, TextSink } from "./_chat.ts";
export type { ByteReader } from "../socket/_line_reader.ts";
export type { ChatOptions } from "./_chat_args.ts";
export type { ClientExtraOptions } from "./_extra_args.ts";

/**
 * Runs the TCP chat client until it sends `exit` (typed, or at end of
 * input), the server goes away, Ctrl-C, or `io.signal`.
 *
 * Requires `allow-net` permission for the server's address.
 *
 * @tags allow-net
 * @param options Where to connect, `json`, `timeout`.
 * @param io Where to read lines and write output; the process's own by default.
 * @returns The exit code: 0 after sending `exit`, 1 on failure (connection
 * refused, the server went away, timeout), 2 for bad options, 130 when
 * interrupted.
 *
 * @example Nothing listens on the port: one line, exit code 1
 * ```ts
 * import { tcpClient } from "@pysocket/pysocket/tcp-client";
 * import { create_server } from "@pysocket/pysocket";
 *
 * const probe = create_server(["127.0.0.1", 0]);
 * const [, port] = probe.getsockname() as [string, number];
 * probe.close(); // Now nothing listens there.
 * let error = "";
 * const code = await tcpClient({ port }, { stdin: "", stderr: (t) => error += t });
 * console.log(code); // 1
 * console.log(error); // "pysocket tcp-client: cannot connect to 127.0.0.1:<port>: connection refused: ..."
 * ```
 */
export async function tcpClient(
  options: ChatOptions = {},
  io?: ChatIO,
): Promise<number> {
  // Beyond the tutorial: netcat's stream mode.
  if (options.stream) return await streamClient(options, io);
  return await runChat("tcp-client", options, io, async (chat, endpoint) => {
    chat.readAhead();
    let sock = chat.own(new Socket(endpoint.family, SOCK_STREAM));
    sock.settimeout(chat.options.timeout ?? null);
    try {
      await sock.connect(endpoint.path ?? [endpoint.host, endpoint.port]);
    } catch (err) {
      throw chat.explain(err, `cannot connect to ${endpoint.display}`);
    }
    if (chat.options.tls) {
      try {
        sock = chat.own(await wrapClient(sock, endpoint.host, chat.options));
      } catch (err) {
        throw chat.explain(err, `cannot start TLS with ${endpoint.display}`);
      }
    }
    sock.settimeout(null);
    const peer = endpoint.path ?? peerName(sock.getpeername());
    chat.emit({ event: "connected", peer });
    const gone = (end: Incoming & { kind: "end" }) =>
      end.reason === "error"
        ? chat.explain(end.error, `cannot talk to ${peer}`)
        : new ChatFailure(
          `the server at ${peer} ${
            end.reason === "closed" ? "closed" : "reset"
          } the connection`,
        );
    const messages = new StreamMessages(sock);
    let next = messages.read();
    const show = (incoming: Incoming & { kind: "message" }) => {
      chat.emit({
        event: "message",
        from: "server",
        peer,
        text: incoming.text,
      });
      return next = messages.read();
    };
    while (true) {
      const incoming = await within(next, chat.options.timeout);
      if (incoming === "timeout") {
        throw new ChatFailure(
          `no reply from ${peer} within ${chat.options.timeout} s (--timeout)`,
        );
      }
      if (incoming.kind === "end") throw gone(incoming);
      show(incoming);
      // Messages that come while it waits for a line are shown at once: a
      // `--room` sends them unasked.
      const answer = await chat.readReply("client>", {
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
        chat.emit({
          event: "disconnected",
          peer,
          reason: answer.kind === "eof" ? "end of input" : "exit",
        });
        await leaveGracefully(sock, messages, next);
        return 0;
      }
    }
  });
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
): Promise<void> {
  try {
    await sock.shutdown(SHUT_WR);
  } catch {
    return; // Already gone: nothing to be graceful about.
  }
  const deadline = performance.now() + LEAVE_SECONDS * 1000;
  for (let pending = next;;) {
    const left = (deadline - performance.now()) / 1000;
    if (left <= 0) return;
    const incoming = await within(pending, left).catch(() => null);
    if (
      incoming === null || incoming === "timeout" || incoming.kind === "end"
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
 * import { main } from "@pysocket/pysocket/tcp-client";
 * let error = "";
 * console.log(await main(["--port", "70000"], { stderr: (t) => error += t })); // 2
 * console.log(error); // "pysocket tcp-client: --port must be a number from 0 to 65535, got \"70000\" (see ...)"
 * ```
 */
export function main(args: string[], io?: ChatIO): Promise<number> {
  return runMain("tcp-client", args, io, tcpClient);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
