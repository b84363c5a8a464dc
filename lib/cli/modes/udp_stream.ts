/**
 * Stream mode for the UDP programs, `--stream`: datagrams as `nc -u` sends
 * them. Standard input and the socket flow independently, at the same
 * time (no turn-taking), and bytes pass through unchanged.
 *
 * - Sending: what is read from standard input goes out at once, one
 *   datagram per line (the newline included, so the datagrams put
 *   together are the input exactly); a line longer than
 *   {@linkcode MAX_DATAGRAM} bytes, or input without newlines, goes out in
 *   pieces of that size.
 * - Receiving: each datagram's bytes are written to standard output
 *   unchanged (escaped when it is a terminal, as in TCP stream mode).
 * - `udp-client --stream` only hears the server it sends to. `udp-server
 *   --stream` holds a session with the first client that sends to it (as
 *   `nc -u -l` does): its datagrams are printed, and standard input goes to
 *   it; input that comes before any client is kept until one does.
 *   Datagrams from anyone else, from addresses outside `--allow`/`--deny`
 *   and longer than `--max-message` are dropped without a line.
 * - The end: UDP has no end of stream, so a peer cannot say it is
 *   finished. Once standard input has ended and all of it is sent, the
 *   program waits until no datagram has come for a second (or for
 *   `--idle-timeout`), then exits with 0; the server first waits for its
 *   client. At a terminal, Ctrl-D ends the program at once.
 * - `--idle-timeout SECONDS` while input is still open: after that long
 *   without a datagram in either direction the program gives up (exit
 *   code 1).
 * - `udp-server --stream --echo` sends every datagram back to its sender
 *   unchanged, for any number of senders, prints nothing per datagram and
 *   never reads standard input; it runs until interrupted.
 *
 * Datagrams can be lost or reordered on a real network, and on loopback
 * too when the receiver falls behind; stream mode does not retransmit.
 * There is no `--unix` form: Deno cannot send on a Unix datagram socket
 * while a receive waits on it, and stream mode does both at once.
 *
 * @example
 * ```sh
 * pysocket udp-server --stream --port 9000 > received.txt
 * printf 'one\ntwo\n' | pysocket udp-client --stream --port 9000
 * ```
 *
 * @module
 */

import { SOCK_DGRAM } from "../../socket/constants.ts";
import type { Address } from "../../socket/address.ts";
import { formatAddress, isIPv4, isIPv6 } from "../../socket/_address.ts";
import type { ByteReader } from "../../socket/_line_reader.ts";
import type { Socket } from "../../socket/socket.ts";
import { ConnectionResetError, PermissionError } from "../../socket/errors.ts";
import { getaddrinfo } from "../../socket/resolve.ts";
import { Deadline } from "../../socket/_deadline.ts";
import { ChatFailure } from "../_explain.ts";
import { peerName, type Run } from "../_run.ts";
import { openClientDatagram, openServerSocket } from "../_sockets.ts";
import { type ByteSink, endsOf } from "./tcp_stream.ts";

/**
 * The largest datagram stream mode sends, in bytes: the most a UDP
 * datagram over IPv4 can carry (IPv6 allows 20 more).
 */
export const MAX_DATAGRAM = 65507;

/** Seconds of quiet after the input has ended, before the program exits. */
export const LINGER_SECONDS = 1;

/** Room for the largest datagram: 64 KiB, more for Unix sockets. */
const RECEIVE_SIZE = 262144;

/**
 * Cuts a chunk of input into the datagrams stream mode sends: one after
 * each newline, and at most `max` bytes each. The pieces are views of
 * `chunk`, in order, and put together they are `chunk`.
 *
 * @param chunk Bytes read from the input.
 * @param max The largest datagram.
 * @returns The datagrams (none for an empty chunk).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { datagramsOf } from "./udp_stream.ts";
 * const text = (d: Uint8Array) => new TextDecoder().decode(d);
 * const input = new TextEncoder().encode("one\ntwo\nthr");
 * assert.deepEqual(datagramsOf(input).map(text), ["one\n", "two\n", "thr"]);
 * assert.equal(datagramsOf(input, 3).length, 5); // "one", "\n", "two", "\n", "thr"
 * ```
 */
export function datagramsOf(
  chunk: Uint8Array,
  max: number = MAX_DATAGRAM,
): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let from = 0;
  while (from < chunk.length) {
    const newline = chunk.indexOf(0x0a, from);
    const end = Math.min(
      newline === -1 ? chunk.length : newline + 1,
      from + max,
    );
    parts.push(chunk.subarray(from, end));
    from = end;
  }
  return parts;
}

/** Options of {@linkcode pipeDatagrams}. */
export interface DatagramPipeOptions {
  /**
   * Give up with `"timeout"` after this many seconds without a datagram
   * either way while the input is open; `null` waits forever. Once the
   * input has ended it is the quiet time before finishing instead.
   *
   * @default {null}
   */
  idleTimeout?: number | null;
  /**
   * Finish as soon as the input ends, without waiting for more datagrams
   * (for a terminal, where Ctrl-D means "done").
   *
   * @default {false}
   */
  stopOnInputEnd?: boolean;
  /**
   * Whether to take a datagram from `from` (before any other check);
   * others are dropped.
   *
   * @default {every datagram}
   */
  accept?: (data: Uint8Array, from: Address) => boolean;
  /**
   * Called once, with the peer's address, when `peer` was `null` and the
   * first accepted datagram arrives.
   *
   * @default {undefined}
   */
  onPeer?: (peer: Address) => void;
}

/** How {@linkcode pipeDatagrams} ended, with the counts. */
export interface DatagramPipeResult {
  /**
   * `"done"` when the input ended and the quiet time passed; `"timeout"`
   * or `"error"` otherwise.
   */
  end: "done" | "timeout" | "error";
  /** The failure, for `"error"`. */
  error?: unknown;
  /** The peer, once known. */
  peer: Address | null;
  /** Bytes sent. */
  sent: number;
  /** Bytes received (from the peer). */
  received: number;
}

/**
 * Sends `input` to `peer` as datagrams (see {@linkcode datagramsOf}) and
 * writes the peer's datagrams to `output`, at the same time, until the
 * input has ended and the peer has been quiet for a while (see the module
 * documentation). With `peer` `null`, the first accepted datagram's
 * sender becomes the peer, and sending waits for it. The socket is left
 * open; close it afterwards.
 *
 * @param sock A datagram socket, bound or connected.
 * @param peer Where to send, or `null` to learn it from the first datagram.
 * @param input Where the bytes to send come from.
 * @param output Where received bytes go.
 * @param options `idleTimeout`, `stopOnInputEnd`, `accept`, `onPeer`.
 * @returns How it ended, the peer, and the bytes each way.
 *
 * @example Send two lines, get each one back from an echoing peer
 * ```ts
 * import assert from "node:assert/strict";
 * import { pipeDatagrams } from "./udp_stream.ts";
 * import { AF_INET, SOCK_DGRAM, socket } from "../../../mod.ts";
 *
 * using echo = socket(AF_INET, SOCK_DGRAM);
 * echo.bind(["127.0.0.1", 0]);
 * (async () => {
 *   for (let i = 0; i < 2; i++) {
 *     const [data, from] = await echo.recvfrom(1024);
 *     await echo.sendto(data, from);
 *   }
 * })();
 * using client = socket(AF_INET, SOCK_DGRAM);
 * await client.connect(echo.getsockname());
 * let input = new TextEncoder().encode("one\ntwo\n");
 * const reader = { read(p: Uint8Array) {
 *   if (input.length === 0) return Promise.resolve(null);
 *   p.set(input);
 *   const n = input.length;
 *   input = input.subarray(n);
 *   return Promise.resolve(n);
 * } };
 * let answer = "";
 * const result = await pipeDatagrams(client, echo.getsockname(), reader, (data) => {
 *   answer += new TextDecoder().decode(data);
 *   return Promise.resolve();
 * }, { idleTimeout: 0.2 });
 * assert.equal(result.end, "done");
 * assert.equal(answer, "one\ntwo\n");
 * ```
 */
export async function pipeDatagrams(
  sock: Socket,
  peer: Address | null,
  input: ByteReader,
  output: ByteSink,
  options: DatagramPipeOptions = {},
): Promise<DatagramPipeResult> {
  const result: DatagramPipeResult = {
    end: "done",
    peer,
    sent: 0,
    received: 0,
  };
  const known = Promise.withResolvers<Address>();
  if (peer !== null) known.resolve(peer);
  let peerKey = peer === null ? null : formatAddress(peer);
  let last = performance.now();
  let inputEnded = false;
  let finished = false;

  const send = (async () => {
    const buffer = new Uint8Array(65536);
    while (true) {
      const n = await input.read(buffer);
      if (n === null) break;
      for (const datagram of datagramsOf(buffer.subarray(0, n))) {
        const to = result.peer ?? await known.promise;
        await sock.sendto(datagram, to);
        result.sent += datagram.length;
        last = performance.now();
      }
    }
    inputEnded = true;
    last = performance.now();
  })();
  const receive = (async () => {
    while (!finished) {
      let data: Uint8Array, from: Address;
      try {
        [data, from] = await sock.recvfrom(RECEIVE_SIZE);
      } catch (err) {
        // Windows reports an earlier datagram that found no one: not fatal.
        if (err instanceof ConnectionResetError) continue;
        throw err;
      }
      if (options.accept && !options.accept(data, from)) continue;
      const fromKey = formatAddress(from);
      if (peerKey === null) {
        peerKey = fromKey;
        result.peer = from;
        options.onPeer?.(from);
        known.resolve(from);
      } else if (fromKey !== peerKey) continue;
      result.received += data.length;
      last = performance.now();
      await output(data);
    }
  })();

  const fatal = new Promise<"failed">((resolve) => {
    const fail = (err: unknown) => {
      if (finished) return;
      result.end = "error";
      result.error = err;
      resolve("failed");
    };
    send.catch(fail);
    receive.catch(fail);
  });
  const timer = new Deadline();
  const quiet = (async (): Promise<"done" | "timeout"> => {
    while (true) {
      const idle = options.idleTimeout ?? null;
      let wait: number | null;
      if (inputEnded) {
        if (options.stopOnInputEnd) return "done";
        // Nothing to send any more: wait for the peer, then for quiet.
        wait = result.peer === null ? null : idle ?? LINGER_SECONDS;
      } else {
        // Idle only counts once there is someone to talk to.
        wait = result.peer === null ? null : idle;
      }
      const left = wait === null ? 250 : last + wait * 1000 - performance.now();
      if (wait !== null && left <= 0) return inputEnded ? "done" : "timeout";
      await timer.sleep(Math.min(left, 250) / 1000);
    }
  })();
  try {
    const outcome = await Promise.race([quiet, fatal]);
    if (outcome === "timeout") result.end = "timeout";
  } finally {
    finished = true;
    timer.clear();
  }
  return result;
}

/** The numeric address of the server, so its replies can be recognized. */
async function serverAddress(run: Run): Promise<Address> {
  const { endpoint } = run.plan;
  if (endpoint.path) return endpoint.path;
  const { host, port } = endpoint;
  if (isIPv4(host) || isIPv6(host)) return [host, port];
  try {
    const [first] = await getaddrinfo(host, port, endpoint.family, SOCK_DGRAM);
    return first[4];
  } catch (err) {
    throw run.explain(err, `cannot find ${endpoint.display}`);
  }
}

/** The one-line failure for a session that did not end cleanly. */
function sessionFailure(
  run: Run,
  result: DatagramPipeResult,
  peer: string,
): ChatFailure {
  if (result.end === "timeout") {
    return new ChatFailure(
      `no datagram from or to ${peer} for ${run.plan.idleTimeout} s (--idle-timeout)`,
    );
  }
  return run.explain(result.error, `cannot talk to ${peer}`);
}

/**
 * `pysocket udp-client --stream`: sends stdin to the server as datagrams
 * and writes the server's datagrams to stdout, at the same time, until the
 * input has ended and the server has been quiet for a second (see the
 * module documentation).
 *
 * @param run The run, its plan in stream mode.
 * @returns The exit code: 0 when done.
 * @throws {ChatFailure} On an idle timeout or a missing permission.
 */
export async function udpStreamClient(run: Run): Promise<number> {
  const { input, output, terminal } = endsOf(run);
  const { endpoint } = run.plan;
  const sock = openClientDatagram(run);
  const server = await serverAddress(run);
  // Connected: the socket only hears the server, as with `nc -u`.
  try {
    await sock.connect(server);
  } catch (err) {
    throw run.explain(err, `cannot send to ${endpoint.display}`);
  }
  const result = await pipeDatagrams(sock, server, input, output, {
    idleTimeout: run.plan.idleTimeout,
    stopOnInputEnd: terminal,
  });
  if (result.end !== "done") {
    throw sessionFailure(run, result, endpoint.display);
  }
  return 0;
}

/**
 * `pysocket udp-server --stream`: holds a session with the first client
 * that sends to it, stdin to it and its datagrams to stdout, as `nc -u
 * -l`; with `--echo`, sends every datagram back to its sender (see the
 * module documentation). Datagrams refused by `--allow`/`--deny` or longer
 * than `--max-message` are dropped without a line.
 *
 * @param run The run, its plan in a stream mode.
 * @returns The exit code: 0 after the session, 130 when interrupted.
 * @throws {ChatFailure} On an idle timeout or a failure.
 */
export async function udpStreamServer(run: Run): Promise<number> {
  const { access, limits } = run.plan;
  const accept = (data: Uint8Array, from: Address) =>
    data.length <= limits.maxMessage &&
    (!access || typeof from === "string" || access.allows(from[0]));
  const sock = await openServerSocket(run, SOCK_DGRAM);
  if (run.plan.mode === "stream-echo") return await echo(run, sock, accept);
  const ends = endsOf(run);
  let peer = "";
  const result = await pipeDatagrams(sock, null, ends.input, ends.output, {
    idleTimeout: run.plan.idleTimeout,
    stopOnInputEnd: ends.terminal,
    accept,
    onPeer: (address) => {
      peer = peerName(address);
      run.emit({ event: "connected", peer });
    },
  });
  if (result.end !== "done") {
    if (result.end === "error" && result.error instanceof PermissionError) {
      throw run.explain(result.error, `cannot reply to ${peer}`);
    }
    throw sessionFailure(run, result, peer);
  }
  if (result.peer !== null) {
    run.emit({ event: "disconnected", peer, reason: "end of input" });
  }
  return 0;
}

/** Sends every accepted datagram back to its sender, until interrupted. */
async function echo(
  run: Run,
  sock: Socket,
  accept: (data: Uint8Array, from: Address) => boolean,
): Promise<number> {
  while (true) {
    let data: Uint8Array, from: Address;
    try {
      [data, from] = await sock.recvfrom(RECEIVE_SIZE);
    } catch (err) {
      if (run.closed) return 130;
      // Windows reports an earlier datagram that found no one: not fatal.
      if (err instanceof ConnectionResetError) continue;
      throw run.explain(err, "cannot receive");
    }
    // An unbound Unix client has no address to answer.
    if (!accept(data, from) || from === "") continue;
    try {
      await sock.sendto(data, from);
    } catch (err) {
      if (run.closed) return 130;
      if (err instanceof PermissionError) {
        throw run.explain(err, `cannot reply to ${peerName(from)}`);
      }
      // One sender gone (its socket closed) does not stop the others.
    }
  }
}
