/**
 * The tutorial's TCP server as a program: `pysocket tcp-server`.
 *
 * Listens on 0.0.0.0:8888 by default and chats with one client at a time:
 * reports `IP connected`, greets the client with `hello`, then shows each
 * message as `client>MESSAGE` and sends the reply typed at the `server>`
 * prompt. A client that sends `exit`, or vanishes, is reported as
 * disconnected and the server waits for the next one. See `lib/_chat.ts`
 * for the full output contract.
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

import { SOCK_STREAM } from "../socket/constants.ts";
import { bytes } from "../socket/text.ts";
import type { Socket } from "../socket/socket.ts";
import type { Address } from "../socket/address.ts";
import {
  type Chat,
  type ChatIO,
  listenOn,
  peerName,
  runChat,
  runMain,
  within,
} from "./_chat.ts";
import { endOf, type Incoming, StreamMessages } from "./_chat_messages.ts";
import type { ServerOptions } from "./_chat_args.ts";
import { ServerGate } from "./_gate.ts";
import { tcpRoom } from "./modes/room.ts";
import { streamServer } from "./modes/tcp_stream.ts";

export type { ChatEvent, ChatIO, DisconnectReason, TextSink } from "./_chat.ts";
export type { ByteReader } from "../socket/_line_reader.ts";
export type { ChatOptions, ServerOptions } from "./_chat_args.ts";
export type { ClientExtraOptions, ExtraOptions } from "./_extra_args.ts";

const HELLO = bytes("hello");

/**
 * Runs the TCP chat server until its input ends, Ctrl-C, or `io.signal`.
 *
 * Each client is greeted with `hello`; its messages are shown as
 * `client>MESSAGE` and answered with a line of input (or, with `echo`,
 * with the bytes received). `exit` from the client ends its session and
 * the server waits for the next client; so does a client that closes,
 * resets or times out. End of input closes the current session and stops
 * the server.
 *
 * Requires `allow-net` permission for the address it listens on.
 *
 * @tags allow-net
 * @param options Where to listen, `echo`, `json`, `timeout`.
 * @param io Where to read replies and write output; the process's own by default.
 * @returns The exit code: 0 when input ended, 1 on failure (such as an
 * address in use), 2 for bad options, 130 when interrupted.
 *
 * @example An echo server on a free port, and one client session
 * ```ts
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
 * console.log(code, output); // 0 "server>hello\nserver>hi\n"
 * console.log(await server); // 130: stopped by the signal
 * ```
 */
export async function tcpServer(
  options: ServerOptions = {},
  io?: ChatIO,
): Promise<number> {
  // Beyond the tutorial: a room for many clients, or netcat's stream mode.
  if (options.room) return await tcpRoom(options, io);
  if (options.stream) return await streamServer(options, io);
  return await runChat("tcp-server", options, io, async (chat, endpoint) => {
    if (!chat.options.echo) chat.readAhead();
    const gate = new ServerGate(chat.options);
    const server = await listenOn(chat, endpoint, SOCK_STREAM, {
      wrap: (s) => gate.listen(s),
    });
    // With no replies left, a new client could not be answered: stop.
    const exhausted = chat.inputExhausted().then(() => null);
    while (true) {
      let conn: Socket, address: Address;
      try {
        const accepting = server.accept();
        accepting.catch(() => {}); // It fails once closed, if it lost the race.
        const accepted = await Promise.race([accepting, exhausted]);
        if (!accepted) {
          chat.emit({ event: "stopped", reason: "end of input" });
          return 0;
        }
        [conn, address] = accepted;
      } catch (err) {
        if (chat.closed) return 130;
        throw chat.explain(err, `cannot accept on ${endpoint.display}`);
      }
      // --allow/--deny before any byte, then the TLS handshake (--tls).
      const denied = gate.check(address);
      if (denied !== null) {
        conn.close();
        chat.emit({
          event: "denied",
          peer: peerName(address),
          message: denied,
        });
        continue;
      }
      try {
        await gate.handshake(conn);
      } catch (err) {
        conn.close();
        chat.emit({
          event: "disconnected",
          peer: peerName(address),
          reason: "error",
          message: chat.explain(err, "TLS handshake failed").message,
        });
        continue;
      }
      if (await session(chat, conn, peerName(address)) === "stop") return 0;
    }
  });
}

/** Chats with one client until it leaves; `"stop"` when input ended. */
async function session(
  chat: Chat,
  conn: Socket,
  peer: string,
): Promise<"next" | "stop"> {
  chat.own(conn);
  try {
    chat.emit({ event: "connected", peer });
    const gone = (end: Incoming & { kind: "end" }) => {
      chat.emit({
        event: "disconnected",
        peer,
        reason: end.reason,
        message: end.reason === "closed"
          ? "the client closed the connection without sending exit"
          : end.reason === "reset"
          ? "the connection was reset"
          : chat.explain(end.error).message,
      });
      return "next" as const;
    };
    try {
      await conn.sendall(HELLO);
    } catch (err) {
      return gone(endOf(err));
    }
    const messages = new StreamMessages(conn);
    let next = messages.read();
    while (true) {
      const incoming = await within(next, chat.options.timeout);
      if (incoming === "timeout") {
        chat.emit({
          event: "disconnected",
          peer,
          reason: "timeout",
          message: `no message for ${chat.options.timeout} s (--timeout)`,
        });
        return "next";
      }
      if (incoming.kind === "end") return gone(incoming);
      if (incoming.text === "exit") {
        chat.emit({ event: "disconnected", peer, reason: "exit" });
        return "next";
      }
      chat.emit({
        event: "message",
        from: "client",
        peer,
        text: incoming.text,
      });
      next = messages.read();
      let reply = incoming.data;
      if (!chat.options.echo) {
        const answer = await chat.readReply("server>", {
          peerNext: next,
          replyAfterClose: true,
          skipEmpty: true,
        });
        if (answer.kind === "gone") return gone(answer.incoming);
        if (answer.kind === "eof") {
          chat.emit({ event: "disconnected", peer, reason: "end of input" });
          chat.emit({ event: "stopped", reason: "end of input" });
          return "stop";
        }
        reply = bytes(answer.line);
      }
      try {
        await conn.sendall(reply);
      } catch (err) {
        return gone(endOf(err));
      }
    }
  } finally {
    chat.release(conn);
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
 * import { main } from "@pysocket/pysocket/tcp-server";
 * let help = "";
 * await main(["--help"], { stdout: (text) => help += text });
 * console.log(help.startsWith("Usage: pysocket tcp-server")); // true
 * ```
 */
export function main(args: string[], io?: ChatIO): Promise<number> {
  return runMain("tcp-server", args, io, tcpServer);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
