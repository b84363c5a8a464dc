/**
 * The tutorial's UDP client as a program: `pysocket udp-client`.
 *
 * Sends the line typed at the `client>` prompt as one datagram to
 * 127.0.0.1:8888 by default and shows the reply as `server>MESSAGE`;
 * typing `exit` sends it and quits without waiting for a reply. When stdin
 * is not a terminal, each line is sent once the previous reply has
 * arrived, and the end of input sends `exit`. UDP cannot tell that nobody
 * listens: give `--timeout` to stop waiting for a reply. Beyond the
 * tutorial: `--stream`. See the `./cli` module for the full output
 * contract.
 *
 * Towards a loopback server (`127.x`, `::1`, `localhost`) the client binds
 * the loopback address of its family, port 0, in both modes: least
 * exposure, so a local chat cannot be reached from the network even when
 * the whole network is granted (unbound, the first `sendto` binds every
 * interface, as Python's does). Towards any other server the first send
 * binds the address the system picks.
 *
 * Requires Deno's `--unstable-net` (UDP is unstable in Deno) and
 * `allow-net` permission for the server's address and for the client's
 * own: `--allow-net=127.0.0.1:8888,127.0.0.1:0`.
 *
 * @example Run it (from the command line)
 * ```sh
 * deno run --unstable-net --allow-net=127.0.0.1:8888,127.0.0.1:0 jsr:@pysocket/pysocket/udp-client
 * ```
 *
 * @experimental
 * @module
 */

import { AF_INET6 } from "../socket/constants.ts";
import { bytes } from "../socket/text.ts";
import type { Address } from "../socket/address.ts";
import { formatHostPort, isLoopback } from "../socket/_address.ts";
import { TimeoutError } from "../socket/errors.ts";
import type { ChatIO } from "./_events.ts";
import { OPTIONS } from "./_common_options.ts";
import { ChatFailure } from "./_explain.ts";
import { BUFSIZE, datagramText } from "./_messages.ts";
import type { ProgramSpec } from "./_plan.ts";
import type { ChatOptions } from "./_program_options.ts";
import { peerName, type Run, runMain, runProgram } from "./_run.ts";
import { openClientDatagram, unixDatagramFlags } from "./_sockets.ts";
import { udpStreamClient } from "./modes/udp_stream.ts";

export type { ChatEvent, ChatIO, DisconnectReason } from "./_events.ts";
export type { PortState, SessionEndReason } from "./_events.ts";
export type { TextSink } from "./_output.ts";
export type { ByteReader } from "../socket/_line_reader.ts";
export type { ChatOptions } from "./_program_options.ts";

/** `pysocket udp-client`: its options, help and permissions, declared once. */
const UDP_CLIENT: ProgramSpec = {
  name: "udp-client",
  server: false,
  datagram: true,
  summary:
    "Sends each line as a UDP datagram and shows the reply as server>MESSAGE.\n" +
    "Typing exit (or ending the input) sends exit and quits.\n" +
    "Towards a loopback server it binds loopback (port 0): least exposure, a\n" +
    "local chat cannot be reached from the network. Elsewhere the first send\n" +
    "binds the address the system picks.",
  modes: ["chat", "stream"],
  options: [
    OPTIONS.host(false),
    OPTIONS.port(false),
    OPTIONS.ipv4,
    OPTIONS.ipv6,
    OPTIONS.unix("datagram", ["chat"]),
    OPTIONS.timeout("give up when a reply takes longer", ["chat"]),
    OPTIONS.stream(
      "nc -u style: stdin as datagrams (one per line) and the\n" +
        "server's datagrams to stdout, both at once, bytes unchanged",
    ),
    OPTIONS.idleTimeout(
      "--stream: give up after that long without a datagram;\n" +
        "after end of input, the quiet time before exiting (1 s)",
      ["stream"],
      "the chat client has --timeout",
    ),
    OPTIONS.json,
    OPTIONS.hexdump,
    OPTIONS.verbose,
  ],
  examples: [
    "pysocket udp-client --timeout 5",
    "printf 'hi\\nexit\\n' | pysocket udp-client -6",
  ],
  inputNote:
    ", sent once the previous reply has come.\nEnd of input sends exit and quits.",
  permissions(endpoint) {
    if (endpoint.path) return unixDatagramFlags(endpoint);
    const { host, port, family } = endpoint;
    // The first sendto binds a port the system picks: port 0.
    const v6 = family === AF_INET6;
    const local = isLoopback(host)
      ? (v6 ? "[::1]" : "127.0.0.1")
      : (v6 ? "[::]" : "0.0.0.0");
    return `--allow-net=${formatHostPort(host, port)},${local}:0`;
  },
};

/**
 * Runs the UDP chat client until it sends `exit` (typed, or at end of
 * input), a failure, Ctrl-C, or `io.signal`. With `stream`, runs `nc -u`
 * style instead.
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
 * @param options Where to send, `json`, `timeout` (for each reply), and
 * the rest of the command line's options in camelCase.
 * @param io Where to read lines and write output; the process's own by default.
 * @returns The exit code: 0 after sending `exit`, 1 on failure (such as no
 * reply within `timeout`), 2 for bad options, 130 when interrupted.
 *
 * @example No server: no reply within the timeout, exit code 1
 * ```ts
 * import assert from "node:assert/strict";
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
 * assert.equal(code, 1);
 * assert.equal(error, `pysocket udp-client: no reply from 127.0.0.1:${port} within 0.2 s (--timeout)\n`);
 * ```
 */
export function udpClient(
  options: ChatOptions = {},
  io?: ChatIO,
): Promise<number> {
  return runProgram(
    UDP_CLIENT,
    options,
    io,
    (run) => run.plan.mode === "stream" ? udpStreamClient(run) : chat(run),
  );
}

/** The tutorial's UDP client: a datagram per line, a reply for each. */
async function chat(run: Run): Promise<number> {
  run.readAhead();
  const { endpoint, timeout } = run.plan;
  const sock = openClientDatagram(run);
  const server: Address = endpoint.path ?? [endpoint.host, endpoint.port];
  sock.settimeout(timeout);
  while (true) {
    const answer = await run.readReply("client>");
    const line = answer.kind === "line" ? answer.line : "exit";
    try {
      await sock.sendto(bytes(line), server);
    } catch (err) {
      throw run.explain(err, `cannot send to ${endpoint.display}`);
    }
    if (line === "exit") return 0;
    let data: Uint8Array, from: Address;
    try {
      [data, from] = await sock.recvfrom(BUFSIZE);
    } catch (err) {
      if (err instanceof TimeoutError) {
        throw new ChatFailure(
          `no reply from ${endpoint.display} within ${timeout} s (--timeout)`,
        );
      }
      throw run.explain(err, `no reply from ${endpoint.display}`);
    }
    run.emit({
      event: "message",
      from: "server",
      peer: peerName(from),
      text: datagramText(data),
    });
  }
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
 * import assert from "node:assert/strict";
 * import { main } from "@pysocket/pysocket/udp-client";
 * let error = "";
 * assert.equal(await main(["--bogus"], { stderr: (t) => error += t }), 2);
 * assert.equal(error, "pysocket udp-client: unknown option '--bogus' (see pysocket udp-client --help)\n");
 * ```
 */
export function main(args: string[], io?: ChatIO): Promise<number> {
  return runMain(UDP_CLIENT, args, io, udpClient);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
