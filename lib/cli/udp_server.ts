/**
 * The tutorial's UDP server as a program: `pysocket udp-server`.
 *
 * Listens on 0.0.0.0:8888 by default, shows each datagram as
 * `client>MESSAGE` and sends the line typed at the `server>` prompt back to
 * whoever sent it. A client that vanished (Windows reports a reset on the
 * next receive, which stopped the Python original) is reported and
 * forgotten; the server carries on. UDP has no connections, so a client
 * counts as connected from its first datagram until it sends `exit`.
 * Beyond the tutorial: `--echo`, `--stream`, `--allow`/`--deny` and
 * `--max-message`. See the `./cli` module for the full output contract.
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

import { netHost } from "../socket/_address.ts";
import { SOCK_DGRAM } from "../socket/constants.ts";
import { bytes } from "../socket/text.ts";
import type { Address } from "../socket/address.ts";
import { ConnectionResetError, PermissionError } from "../socket/errors.ts";
import type { ChatIO } from "./_events.ts";
import { OPTIONS } from "./_common_options.ts";
import { BUFSIZE, datagramText, endOf } from "./_messages.ts";
import type { ProgramSpec } from "./_plan.ts";
import type { ServerOptions } from "./_program_options.ts";
import { peerName, type Run, runMain, runProgram } from "./_run.ts";
import { openServerSocket, unixDatagramFlags } from "./_sockets.ts";
import { udpStreamServer } from "./modes/udp_stream.ts";

export type { ChatEvent, ChatIO, DisconnectReason } from "./_events.ts";
export type { PortState, SessionEndReason } from "./_events.ts";
export type { TextSink } from "./_output.ts";
export type { ByteReader } from "../socket/_line_reader.ts";
export type { ChatOptions, ServerOptions } from "./_program_options.ts";

/** The most clients the UDP server remembers; the least recently heard goes. */
export const MAX_SESSIONS = 4096;
/** A client not heard from for this long is forgotten, in seconds. */
export const SESSION_IDLE_SECONDS = 600;

/** `pysocket udp-server`: its options, help and permissions, declared once. */
const UDP_SERVER: ProgramSpec = {
  name: "udp-server",
  server: true,
  datagram: true,
  summary:
    "Answers UDP datagrams: shows client>MESSAGE, asks server> for the reply,\n" +
    "sends it to whoever sent the message.",
  modes: ["chat", "echo", "stream", "stream-echo"],
  options: [
    OPTIONS.host(true),
    OPTIONS.port(true),
    OPTIONS.ipv4,
    OPTIONS.ipv6,
    OPTIONS.unix("datagram", ["chat", "echo"]),
    OPTIONS.echo,
    OPTIONS.stream(
      "nc -u -l style: the first client's datagrams to stdout,\n" +
        "stdin to it, both at once, bytes unchanged (with --echo:\n" +
        "every datagram back to its sender)",
    ),
    OPTIONS.allow("answer only these addresses or CIDR ranges"),
    OPTIONS.deny("drop datagrams from these addresses or ranges"),
    OPTIONS.maxMessage("drop datagrams longer than this (default 64K)"),
    OPTIONS.idleTimeout(
      "--stream: give up after that long without a datagram;\n" +
        "after end of input, the quiet time before exiting (1 s)",
      ["stream", "stream-echo"],
      "the chat server waits for anyone",
    ),
    OPTIONS.json,
    OPTIONS.hexdump,
    OPTIONS.verbose,
  ],
  examples: [
    "pysocket udp-server",
    "pysocket udp-server --host 127.0.0.1 --port 0 --echo --json",
  ],
  inputNote: ".\nEnd of input closes the current session and stops the server.",
  permissions(endpoint, bound) {
    if (endpoint.path) return unixDatagramFlags(endpoint);
    const { host } = endpoint;
    // Replies go to each client's own port: the whole host is needed.
    if (host === "0.0.0.0" || host === "::") return "--allow-net";
    return `--allow-net=${netHost(host)}${
      bound && bound !== host ? `,${netHost(bound)}` : ""
    }`;
  },
};

/**
 * Runs the UDP chat server until its input ends, Ctrl-C, or `io.signal`.
 *
 * Each datagram is shown as `client>MESSAGE` and answered, to its sender,
 * with a line of input (or, with `echo`, with the bytes received). `exit`
 * from a client is not answered: it ends that client's session. End of
 * input stops the server. With `stream`, runs `nc -u -l` style instead.
 *
 * Requires `--unstable-net`, and `allow-net` permission for the address it
 * listens on and the clients it answers.
 *
 * @experimental
 * @tags allow-net
 * @param options Where to listen, `echo`, `json`, and the rest of the
 * command line's options in camelCase.
 * @param io Where to read replies and write output; the process's own by default.
 * @returns The exit code: 0 when input ended, 1 on failure, 2 for bad
 * options, 130 when interrupted.
 *
 * @example An echo server on a free port, and one client
 * ```ts
 * import assert from "node:assert/strict";
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
 * assert.equal(code, 0);
 * assert.equal(output, "server>hi\n");
 * assert.equal(await server, 130);
 * ```
 */
export function udpServer(
  options: ServerOptions = {},
  io?: ChatIO,
): Promise<number> {
  return runProgram(
    UDP_SERVER,
    options,
    io,
    (run) =>
      run.plan.mode === "stream" || run.plan.mode === "stream-echo"
        ? udpStreamServer(run)
        : chat(run),
  );
}

/** The tutorial's UDP server: each datagram answered by a line of input. */
async function chat(run: Run): Promise<number> {
  const echo = run.plan.mode === "echo";
  if (!echo) run.readAhead();
  const { access, limits, endpoint } = run.plan;
  const sock = await openServerSocket(run, SOCK_DGRAM);
  // Clients seen since their first datagram, until their `exit`, least
  // recently heard first: a bounded table, since source addresses are
  // cheap to forge.
  const sessions = new Map<string, number>();
  const forgetOld = (now: number) => {
    for (const [peer, heard] of sessions) {
      const full = sessions.size > MAX_SESSIONS;
      if (!full && now - heard < SESSION_IDLE_SECONDS * 1000) break;
      sessions.delete(peer);
      run.emit({
        event: "disconnected",
        peer,
        reason: "timeout",
        message: full
          ? `forgotten: more than ${MAX_SESSIONS} clients, this one heard from least recently`
          : `no datagram for ${SESSION_IDLE_SECONDS} s`,
      });
    }
  };
  let lastPeer: string | null = null;
  const forget = (peer: string, err: unknown) => {
    sessions.delete(peer);
    const end = endOf(err);
    run.emit({
      event: "disconnected",
      peer,
      reason: end.reason,
      message: end.reason === "reset"
        ? "the client is gone (connection reset)"
        : run.explain(err).message,
    });
  };
  // With no reply left, the next datagram could not be answered: stop,
  // closing the sessions still open. Stopping closes the socket, which
  // ends a pending receive (racing each receive against a promise that may
  // never settle would keep one reaction per datagram).
  let stopping = false;
  let receiving = false;
  run.inputExhausted().then(() => {
    stopping = true;
    // Only a wait for the next datagram is cut short, not a reply.
    if (receiving) sock.close();
  });
  const stop = () => {
    for (const peer of sessions.keys()) {
      run.emit({ event: "disconnected", peer, reason: "end of input" });
    }
    run.emit({ event: "stopped", reason: "end of input" });
    return 0;
  };
  while (true) {
    let data: Uint8Array, address: Address;
    try {
      if (stopping) return stop();
      receiving = true;
      try {
        [data, address] = await sock.recvfrom(BUFSIZE);
      } finally {
        receiving = false;
      }
      // --allow/--deny and --max-message: refused datagrams are dropped
      // without a line, so a flood of them cannot flood the output.
      if (
        data.length > limits.maxMessage ||
        (access &&
          !access.allows(typeof address === "string" ? address : address[0]))
      ) continue;
    } catch (err) {
      if (stopping) return stop();
      if (run.closed) return 130;
      if (err instanceof ConnectionResetError) {
        // Windows: a reply sent earlier found no one. Not a reason to stop.
        if (lastPeer !== null) forget(lastPeer, err);
        lastPeer = null;
        continue;
      }
      throw run.explain(err, `cannot receive on ${endpoint.display}`);
    }
    const peer = peerName(address);
    const text = datagramText(data);
    const now = performance.now();
    const known = sessions.delete(peer);
    sessions.set(peer, now);
    if (!known) run.emit({ event: "connected", peer });
    forgetOld(now);
    if (text === "exit") {
      sessions.delete(peer);
      run.emit({ event: "disconnected", peer, reason: "exit" });
      continue;
    }
    run.emit({ event: "message", from: "client", peer, text });
    let reply = data;
    if (!echo) {
      const answer = await run.readReply("server>");
      if (answer.kind !== "line") {
        run.emit({ event: "disconnected", peer, reason: "end of input" });
        run.emit({ event: "stopped", reason: "end of input" });
        return 0;
      }
      reply = bytes(answer.line);
    }
    if (peer === "") {
      sessions.delete(peer);
      run.emit({
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
      if (run.closed) return 130;
      if (err instanceof PermissionError) {
        throw run.explain(err, `cannot reply to ${peer}`);
      }
      forget(peer, err);
    }
  }
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
 * import assert from "node:assert/strict";
 * import { main } from "@pysocket/pysocket/udp-server";
 * let version = "";
 * assert.equal(await main(["--version"], { stdout: (text) => version += text }), 0);
 * assert.match(version, /^pysocket \d+\.\d+\.\d+\n$/);
 * ```
 */
export function main(args: string[], io?: ChatIO): Promise<number> {
  return runMain(UDP_SERVER, args, io, udpServer);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
