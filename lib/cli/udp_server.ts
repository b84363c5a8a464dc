/**
 * The tutorial's UDP server as a program: `pysocket udp-server`.
 *
 * Listens on 0.0.0.0:8888 by default, shows each datagram as
 * `client>MESSAGE` and sends the line typed at the `server>` prompt back to
 * whoever sent it. A client that vanished (Windows reports a reset on the
 * next receive, which stopped the Python original) is reported and
 * forgotten; the server carries on. UDP has no connections, so a client
 * counts as connected from its first datagram until it sends `exit`. See
 * `lib/_chat.ts` for the full output contract.
 *
 * Requires Deno's `--unstable-net` (UDP is unstable in Deno) and
 * `allow-net` permission for the address it listens on and for the
 * clients it replies to: `--allow-net=127.0.0.1` when listening on
 * 127.0.0.1, plain `--allow-net` on 0.0.0.0 (clients may come from
 * anywhere).
 *
 * @example Run it (from the command line)
 * ```sh
 * deno run --unstable-net --allow-net jsr:@pysocket/pysocket/udp-server
 * ```
 *
 * @experimental
 * @module
 */

import { SOCK_DGRAM } from "../socket/constants.ts";
import { bytes } from "../socket/text.ts";
import type { Address } from "../socket/address.ts";
import { ConnectionResetError, PermissionError } from "../socket/errors.ts";
import { type ChatIO, listenOn, peerName, runChat, runMain } from "./_chat.ts";
import { BUFSIZE, datagramText, endOf } from "./_chat_messages.ts";
import type { ServerOptions } from "./_chat_args.ts";
import { AccessList } from "./_access.ts";
import { hostOf } from "./_gate.ts";
import { udpStreamServer } from "./modes/udp_stream.ts";

export type { ChatEvent, ChatIO, DisconnectReason, TextSink } from "./_chat.ts";
export type { ByteReader } from "../socket/_line_reader.ts";
export type { ChatOptions, ServerOptions } from "./_chat_args.ts";
export type { ClientExtraOptions, ExtraOptions } from "./_extra_args.ts";

/**
 * Runs the UDP chat server until its input ends, Ctrl-C, or `io.signal`.
 *
 * Each datagram is shown as `client>MESSAGE` and answered, to its sender,
 * with a line of input (or, with `echo`, with the bytes received). `exit`
 * from a client is not answered: it ends that client's session. End of
 * input stops the server. (`timeout` does not apply: the server waits for
 * anyone.)
 *
 * Requires `--unstable-net`, and `allow-net` permission for the address it
 * listens on and the clients it answers.
 *
 * @experimental
 * @tags allow-net
 * @param options Where to listen, `echo`, `json`.
 * @param io Where to read replies and write output; the process's own by default.
 * @returns The exit code: 0 when input ended, 1 on failure, 2 for bad
 * options, 130 when interrupted.
 *
 * @example An echo server on a free port, and one client
 * ```ts
 * import { udpServer } from "@pysocket/pysocket/udp-server";
 * import { udpClient } from "@pysocket/pysocket/udp-client";
 *
 * const stop = new AbortController();
 * const listening = Promise.withResolvers<number>();
 * const server = udpServer({ host: "127.0.0.1", port: 0, echo: true }, {
 *   signal: stop.signal,
 *   stderr: () => {},
 *   onEvent: (e) => e.event === "listening" && listening.resolve(e.port!),
 * });
 * let output = "";
 * const code = await udpClient({ port: await listening.promise, timeout: 5 }, {
 *   stdin: "hi\n",
 *   stdout: (text) => output += text,
 * });
 * stop.abort();
 * console.log(code, output); // 0 "server>hi\n"
 * console.log(await server); // 130
 * ```
 */
export async function udpServer(
  options: ServerOptions = {},
  io?: ChatIO,
): Promise<number> {
  // Beyond the tutorial: `nc -u` style stream mode.
  if (options.stream) return await udpStreamServer(options, io);
  return await runChat("udp-server", options, io, async (chat, endpoint) => {
    if (!chat.options.echo) chat.readAhead();
    // --allow/--deny and --max-message: refused datagrams are dropped
    // without a line, so a flood of them cannot flood the output.
    const access = new AccessList(chat.options);
    const maxMessage = chat.options.maxMessage ?? Infinity;
    const sock = await listenOn(chat, endpoint, SOCK_DGRAM);
    // Clients seen since their first datagram, until their `exit`.
    const sessions = new Set<string>();
    let lastPeer: string | null = null;
    const forget = (peer: string, err: unknown) => {
      sessions.delete(peer);
      const end = endOf(err);
      chat.emit({
        event: "disconnected",
        peer,
        reason: end.reason,
        message: end.reason === "reset"
          ? "the client is gone (connection reset)"
          : chat.explain(err).message,
      });
    };
    // With no reply left, the next datagram could not be answered: stop,
    // closing the sessions still open.
    const exhausted = chat.inputExhausted().then(() => null);
    while (true) {
      let data: Uint8Array, address: Address;
      try {
        const receiving = sock.recvfrom(BUFSIZE);
        receiving.catch(() => {}); // It fails once closed, if it lost the race.
        const received = await Promise.race([receiving, exhausted]);
        if (!received) {
          for (const peer of sessions) {
            chat.emit({ event: "disconnected", peer, reason: "end of input" });
          }
          chat.emit({ event: "stopped", reason: "end of input" });
          return 0;
        }
        [data, address] = received;
        if (
          data.length > maxMessage ||
          (!access.empty && !access.allows(hostOf(address)))
        ) continue;
      } catch (err) {
        if (chat.closed) return 130;
        if (err instanceof ConnectionResetError) {
          // Windows: a reply sent earlier found no one. Not a reason to stop.
          if (lastPeer !== null) forget(lastPeer, err);
          lastPeer = null;
          continue;
        }
        throw chat.explain(err, `cannot receive on ${endpoint.display}`);
      }
      const peer = peerName(address);
      const text = datagramText(data);
      if (!sessions.has(peer)) {
        sessions.add(peer);
        chat.emit({ event: "connected", peer });
      }
      if (text === "exit") {
        sessions.delete(peer);
        chat.emit({ event: "disconnected", peer, reason: "exit" });
        continue;
      }
      chat.emit({ event: "message", from: "client", peer, text });
      let reply = data;
      if (!chat.options.echo) {
        const answer = await chat.readReply("server>");
        if (answer.kind !== "line") {
          chat.emit({ event: "disconnected", peer, reason: "end of input" });
          chat.emit({ event: "stopped", reason: "end of input" });
          return 0;
        }
        reply = bytes(answer.line);
      }
      if (peer === "") {
        sessions.delete(peer);
        chat.emit({
          event: "disconnected",
          peer,
          reason: "error",
          message:
            "the client's socket has no path to reply to (bind it to a path)",
        });
        continue;
      }
      try {
        await sock.sendto(reply, address);
        lastPeer = peer;
      } catch (err) {
        if (chat.closed) return 130;
        if (err instanceof PermissionError) {
          throw chat.explain(err, `cannot reply to ${peer}`);
        }
        forget(peer, err);
      }
    }
  });
}

/**
 * The command line of `pysocket udp-server`: parses `args` and runs
 * {@linkcode udpServer}; `--help` and `--version` print and return 0.
 *
 * @experimental
 * @param args The arguments after the command name, such as `["--echo"]`.
 * @param io Where to read and write; the process's own by default.
 * @returns The exit code (2 for bad arguments).
 *
 * @example
 * ```ts
 * import { main } from "@pysocket/pysocket/udp-server";
 * let version = "";
 * await main(["--version"], { stdout: (text) => version += text });
 * console.log(version.startsWith("pysocket ")); // true
 * ```
 */
export function main(args: string[], io?: ChatIO): Promise<number> {
  return runMain("udp-server", args, io, udpServer);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
