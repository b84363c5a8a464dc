/**
 * The tutorial's UDP client as a program: `pysocket udp-client`.
 *
 * Sends the line typed at the `client>` prompt as one datagram to
 * 127.0.0.1:8888 by default and shows the reply as `server>MESSAGE`;
 * typing `exit` sends it and quits without waiting for a reply. When stdin
 * is not a terminal, each line is sent once the previous reply has
 * arrived, and the end of input sends `exit`. UDP cannot tell that nobody
 * listens: give `--timeout` to stop waiting for a reply. See
 * `lib/_chat.ts` for the full output contract.
 *
 * Requires Deno's `--unstable-net` (UDP is unstable in Deno) and
 * `allow-net` permission for the server's address and for the client's
 * own, which the system picks: `--allow-net=127.0.0.1:8888,127.0.0.1:0`.
 *
 * @example Run it (from the command line)
 * ```sh
 * deno run --unstable-net --allow-net=127.0.0.1:8888,127.0.0.1:0 jsr:@pysocket/pysocket/udp-client
 * ```
 *
 * @experimental
 * @module
 */

import { SOCK_DGRAM } from "../socket/constants.ts";
import { bytes } from "../socket/text.ts";
import { Socket } from "../socket/socket.ts";
import { udpStreamClient } from "./modes/udp_stream.ts";
import type { Address } from "../socket/address.ts";
import { TimeoutError } from "../socket/errors.ts";
import {
  bindForReplies,
  type ChatIO,
  peerName,
  runChat,
  runMain,
} from "./_chat.ts";
import { ChatFailure } from "./_chat_errors.ts";
import { BUFSIZE, datagramText } from "./_chat_messages.ts";
import type { ChatOptions } from "./_chat_args.ts";

export type { ChatEvent, ChatIO, DisconnectReason, TextSink } from "./_chat.ts";
export type { ByteReader } from "../socket/_line_reader.ts";
export type { ChatOptions } from "./_chat_args.ts";
export type { ClientExtraOptions } from "./_extra_args.ts";

/**
 * Runs the UDP chat client until it sends `exit` (typed, or at end of
 * input), a failure, Ctrl-C, or `io.signal`.
 *
 * Over a Unix datagram socket (`unix`), replies need an address to come
 * back to: the client binds a socket in a new temporary folder next to the
 * server's socket, and removes both when it ends.
 *
 * Requires `--unstable-net`, and `allow-net` permission for the server's
 * address and the client's own (`127.0.0.1:0` towards loopback).
 *
 * @experimental
 * @tags allow-net
 * @param options Where to send, `json`, `timeout` (for each reply).
 * @param io Where to read lines and write output; the process's own by default.
 * @returns The exit code: 0 after sending `exit`, 1 on failure (such as no
 * reply within `timeout`), 2 for bad options, 130 when interrupted.
 *
 * @example No server: no reply within the timeout, exit code 1
 * ```ts
 * import { udpClient } from "@pysocket/pysocket/udp-client";
 * import { AF_INET, SOCK_DGRAM, socket } from "@pysocket/pysocket";
 *
 * using silent = socket(AF_INET, SOCK_DGRAM); // Receives, never answers.
 * silent.bind(["127.0.0.1", 0]);
 * const [, port] = silent.getsockname() as [string, number];
 * let error = "";
 * const code = await udpClient({ port, timeout: 0.2 }, {
 *   stdin: "anyone?\n",
 *   stdout: () => {},
 *   stderr: (text) => error += text,
 * });
 * console.log(code); // 1
 * console.log(error); // "pysocket udp-client: no reply from 127.0.0.1:<port> within 0.2 s (--timeout)\n"
 * ```
 */
export async function udpClient(
  options: ChatOptions = {},
  io?: ChatIO,
): Promise<number> {
  // Beyond the tutorial: `nc -u` style stream mode.
  if (options.stream) return await udpStreamClient(options, io);
  return await runChat("udp-client", options, io, async (chat, endpoint) => {
    chat.readAhead();
    const sock = chat.own(new Socket(endpoint.family, SOCK_DGRAM));
    const server: Address = endpoint.path ?? [endpoint.host, endpoint.port];
    bindForReplies(chat, endpoint, sock);
    sock.settimeout(chat.options.timeout ?? null);
    while (true) {
      const answer = await chat.readReply("client>");
      const line = answer.kind === "line" ? answer.line : "exit";
      try {
        await sock.sendto(bytes(line), server);
      } catch (err) {
        throw chat.explain(err, `cannot send to ${endpoint.display}`);
      }
      if (line === "exit") return 0;
      let data: Uint8Array, from: Address;
      try {
        [data, from] = await sock.recvfrom(BUFSIZE);
      } catch (err) {
        if (err instanceof TimeoutError) {
          throw new ChatFailure(
            `no reply from ${endpoint.display} within ${chat.options.timeout} s (--timeout)`,
          );
        }
        throw chat.explain(err, `no reply from ${endpoint.display}`);
      }
      chat.emit({
        event: "message",
        from: "server",
        peer: peerName(from),
        text: datagramText(data),
      });
    }
  });
}

/**
 * The command line of `pysocket udp-client`: parses `args` and runs
 * {@linkcode udpClient}; `--help` and `--version` print and return 0.
 *
 * @experimental
 * @param args The arguments after the command name, such as `["--timeout", "5"]`.
 * @param io Where to read and write; the process's own by default.
 * @returns The exit code (2 for bad arguments).
 *
 * @example An unknown option is a usage error
 * ```ts
 * import { main } from "@pysocket/pysocket/udp-client";
 * let error = "";
 * console.log(await main(["--bogus"], { stderr: (t) => error += t })); // 2
 * console.log(error); // "pysocket udp-client: unknown option '--bogus' (see pysocket udp-client --help)\n"
 * ```
 */
export function main(args: string[], io?: ChatIO): Promise<number> {
  return runMain("udp-client", args, io, udpClient);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
