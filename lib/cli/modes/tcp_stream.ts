/**
 * Stream mode, `--stream`: the TCP programs as netcat. Standard input and
 * the socket flow independently, at the same time (no turn-taking), and
 * bytes pass through unchanged, binary included.
 *
 * Half-close, in both directions: when standard input ends, the write side
 * is shut down (`shutdown(SHUT_WR)`, a TLS `close_notify` with `--tls`) so
 * the peer reads end of stream, and the program keeps printing what the
 * peer still sends. When the peer ends its side first, the program keeps
 * sending its input until that ends too. It exits once both directions are
 * finished, with 0. If standard input is a terminal, the peer's end of
 * stream ends the program at once: nobody is going to press Ctrl-D for a
 * peer that has stopped talking.
 *
 * Received bytes are written to standard output unchanged when it is a
 * pipe or a file. When it is a terminal, control characters and escape
 * sequences are shown as `\x1b` and the like, so a peer cannot drive the
 * terminal; redirect to a file to get the exact bytes.
 *
 * `tcp-server --stream` serves one client, as `nc -l` does, and exits when
 * that session ends; refused clients (`--allow`/`--deny`) before it are
 * closed at once. `tcp-server --stream --echo` serves any number of
 * clients at once (bounded by `--max-clients`), sending each one's bytes
 * back unchanged, and never reads standard input. No option runs a
 * command.
 *
 * `--idle-timeout SECONDS` ends a session after that long without a byte
 * in either direction (exit code 1 for the client and the one-client
 * server).
 *
 * @example
 * ```sh
 * pysocket tcp-server --stream --port 9000 > received.bin
 * pysocket tcp-client --stream --port 9000 < file.bin
 * ```
 *
 * @module
 */

import { SHUT_WR } from "../../socket/constants.ts";
import { TimeoutError } from "../../socket/errors.ts";
import type { Socket } from "../../socket/socket.ts";
import type { ByteReader } from "../../socket/_line_reader.ts";
import { Deadline } from "../../socket/_deadline.ts";
import { escapeControl } from "../_escape.ts";
import type { ChatIO } from "../_events.ts";
import { ChatFailure } from "../_explain.ts";
import { crlfSource, stringSource } from "../_input.ts";
import { endOf } from "../_messages.ts";
import { peerName, type Run } from "../_run.ts";
import { serve, type Session } from "../_server.ts";
import { connectClient } from "../_sockets.ts";

/** The first read of an echo session; reads grow to {@linkcode CHUNK}. */
const ECHO_MIN = 1024;

/** Size of each read, from standard input and from the socket. */
const CHUNK = 65536;

/** Receives bytes to write; resolves once they are written. */
export type ByteSink = (data: Uint8Array) => Promise<void>;

/** Options of {@linkcode pipeSocket}. */
export interface PipeOptions {
  /**
   * End with `"timeout"` after this many seconds without a byte in either
   * direction; `null` waits forever.
   *
   * @default {null}
   */
  idleTimeout?: number | null;
  /**
   * Finish as soon as the peer's end of stream arrives, without waiting
   * for the input to end (for a terminal).
   *
   * @default {false}
   */
  stopOnPeerEnd?: boolean;
  /**
   * Shut down the sending side at the end of `input`; `false` keeps it
   * open (`--no-shutdown`).
   *
   * @default {true}
   */
  shutdown?: boolean;
  /**
   * Finish this many seconds after the end of `input`, whatever the peer
   * does (`--quit-after-eof`); `null` waits for the peer.
   *
   * @default {null}
   */
  quitAfterEof?: number | null;
  /**
   * Only send (`--send-only`): received bytes are read and dropped, and
   * the end of `input` finishes the copy.
   *
   * @default {false}
   */
  sendOnly?: boolean;
  /**
   * Only receive (`--recv-only`): `input` is not read, and the sending
   * side is left open.
   *
   * @default {false}
   */
  recvOnly?: boolean;
}

/** How {@linkcode pipeSocket} ended, with the byte counts. */
export interface PipeResult {
  /**
   * `"done"` when both directions finished; `"reset"`, `"error"` or
   * `"timeout"` otherwise.
   */
  end: "done" | "reset" | "error" | "timeout";
  /** The failure, for `"reset"` and `"error"`. */
  error?: unknown;
  /** Bytes sent to the peer. */
  sent: number;
  /** Bytes received from the peer. */
  received: number;
}

/**
 * Copies `input` to the socket and the socket to `output` at the same
 * time, with half-close: the end of `input` shuts the socket down for
 * writing, and the copy finishes once both directions have ended (see the
 * module documentation). The socket is left open; close it afterwards.
 *
 * @param sock A connected stream socket (or TLS socket).
 * @param input Where the bytes to send come from.
 * @param output Where received bytes go.
 * @param options `idleTimeout`, `stopOnPeerEnd`.
 * @returns How it ended, and the bytes each way.
 *
 * @example Half-close: send, shut down, then read the peer's answer
 * ```ts
 * import assert from "node:assert/strict";
 * import { pipeSocket } from "./tcp_stream.ts";
 * import { socket } from "../../../mod.ts";
 *
 * using server = socket();
 * server.bind(["127.0.0.1", 0]);
 * server.listen();
 * using client = socket();
 * await client.connect(server.getsockname());
 * const [conn] = await server.accept();
 * let input = new TextEncoder().encode("ping");
 * const reader = { read(p: Uint8Array) {
 *   if (input.length === 0) return Promise.resolve(null);
 *   p.set(input);
 *   const n = input.length;
 *   input = input.subarray(n);
 *   return Promise.resolve(n);
 * } };
 * let answer = "";
 * const piping = pipeSocket(client, reader, (data) => {
 *   answer += new TextDecoder().decode(data);
 *   return Promise.resolve();
 * });
 * assert.equal(new TextDecoder().decode(await conn.recv(1024)), "ping");
 * assert.equal((await conn.recv(1024)).length, 0); // the client shut down its side
 * await conn.sendall(new TextEncoder().encode("pong"));
 * conn.close();
 * assert.equal((await piping).end, "done");
 * assert.equal(answer, "pong");
 * ```
 */
export async function pipeSocket(
  sock: Socket,
  input: ByteReader,
  output: ByteSink,
  options: PipeOptions = {},
): Promise<PipeResult> {
  const result: PipeResult = { end: "done", sent: 0, received: 0 };
  let last = performance.now();
  let peerEnded = false;
  let failure: { end: "reset" | "error"; error: unknown } | null = null;

  const send = (async () => {
    if (options.recvOnly) return;
    const buffer = new Uint8Array(CHUNK);
    while (true) {
      const n = await input.read(buffer);
      if (n === null) break;
      if (n === 0) continue;
      try {
        await sock.sendall(buffer.subarray(0, n));
      } catch (err) {
        // The peer closed both ways after its end of stream: finished.
        if (peerEnded) return;
        throw err;
      }
      result.sent += n;
      last = performance.now();
    }
    if (options.shutdown === false) return;
    try {
      await sock.shutdown(SHUT_WR);
    } catch (err) {
      if (!peerEnded) throw err;
    }
  })();
  const receive = (async () => {
    while (true) {
      const data = await sock.recv(CHUNK);
      if (data.length === 0) break;
      result.received += data.length;
      last = performance.now();
      if (!options.sendOnly) await output(data);
    }
    peerEnded = true;
  })();
  const failed = (err: unknown) => {
    const end = endOf(err);
    failure ??= { end: end.reason === "reset" ? "reset" : "error", error: err };
  };
  // A failure in one direction ends the whole copy.
  const fatal = new Promise<"failed">((resolve) => {
    send.catch((err) => {
      failed(err);
      resolve("failed");
    });
    receive.catch((err) => {
      failed(err);
      resolve("failed");
    });
  });
  const both = options.sendOnly
    ? send
    : options.stopOnPeerEnd
    ? receive
    : Promise.all([send, receive]);
  const finished = both.then(() => "done" as const, () => "failed" as const);

  const timer = new Deadline();
  const idle = options.idleTimeout ?? null;
  const ends: Promise<"done" | "failed" | "timeout">[] = [finished, fatal];
  if (idle !== null) {
    ends.push(timer.quiet(idle, () => last).then(() => "timeout" as const));
  }
  const quit = options.quitAfterEof ?? null;
  if (quit !== null && !options.recvOnly) {
    ends.push(
      send.then(() => timer.sleep(quit)).then(
        () => "done" as const,
        () => new Promise<never>(() => {}),
      ),
    );
  }
  try {
    const outcome = await Promise.race(ends);
    if (outcome === "timeout") result.end = "timeout";
    else if (failure) {
      const { end, error } = failure;
      result.end = end;
      result.error = error;
    }
  } finally {
    timer.clear();
  }
  return result;
}

/**
 * The input and output of a stream session: stdin (or `io.stdin`), and
 * received bytes to `io.output`, to `io.stdout` decoded, or to the
 * process's stdout (escaped when it is a terminal).
 *
 * @param run The run.
 * @returns The input, the output, and whether the input is a terminal.
 */
export function endsOf(run: Run): {
  input: ByteReader;
  output: ByteSink;
  terminal: boolean;
} {
  const io: ChatIO = run.io;
  const raw = typeof io.stdin === "string"
    ? stringSource(io.stdin)
    : io.stdin ?? Deno.stdin;
  const input = run.plan.stream.crlf ? crlfSource(raw) : raw;
  const terminal = run.interactive;
  if (io.output) return { input, output: io.output, terminal };
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  if (!run.out.toProcess) {
    return {
      input,
      terminal,
      output: (data) => {
        run.out.text(decoder.decode(data, { stream: true }));
        return Promise.resolve();
      },
    };
  }
  if (Deno.stdout.isTerminal()) {
    const encoder = new TextEncoder();
    return {
      input,
      terminal,
      output: (data) => {
        const text = decoder.decode(data, { stream: true })
          .replaceAll("\r\n", "\n");
        return run.out.bytes(encoder.encode(escapeControl(text)));
      },
    };
  }
  return { input, terminal, output: (data) => run.out.bytes(data) };
}

/** The {@linkcode PipeOptions} of a run's plan. */
function pipeOptions(run: Run, stopOnPeerEnd: boolean): PipeOptions {
  const { stream, idleTimeout } = run.plan;
  return {
    idleTimeout,
    stopOnPeerEnd,
    shutdown: stream.shutdown,
    quitAfterEof: stream.quitAfterEof,
    sendOnly: stream.sendOnly,
    recvOnly: stream.recvOnly,
  };
}

/**
 * One input for clients served one after another (`--keep-open`): each
 * client gets a {@linkcode SharedInput.reader}, and a read still pending
 * when its client left is kept for the next reader, so no byte of stdin
 * is lost between clients.
 */
export class SharedInput {
  #source: ByteReader;
  #pending: Promise<Uint8Array | null> | null = null;
  #ended = false;

  /**
   * Shares `source`.
   *
   * @param source The input.
   */
  constructor(source: ByteReader) {
    this.#source = source;
  }

  async #readChunk(): Promise<Uint8Array | null> {
    const buffer = new Uint8Array(CHUNK);
    const n = await this.#source.read(buffer);
    return n === null ? null : buffer.subarray(0, n);
  }

  /**
   * A reader for one client; close it when the client leaves.
   *
   * @returns The reader.
   */
  reader(): ByteReader & { close(): void } {
    let closed = false;
    return {
      read: async (p: Uint8Array): Promise<number | null> => {
        while (true) {
          if (closed || this.#ended) return null;
          const pending = this.#pending ??= this.#readChunk();
          const chunk = await pending;
          // Left meanwhile: the chunk waits for the next client.
          if (closed) return null;
          if (this.#pending !== pending) continue;
          this.#pending = null;
          if (chunk === null) {
            this.#ended = true;
            return null;
          }
          const n = Math.min(p.length, chunk.length);
          p.set(chunk.subarray(0, n));
          if (n < chunk.length) {
            this.#pending = Promise.resolve(chunk.subarray(n));
          }
          return n;
        }
      },
      close: () => {
        closed = true;
      },
    };
  }
}

/** The one-line failure for a session that did not end cleanly. */
function sessionFailure(
  run: Run,
  result: PipeResult,
  peer: string,
): ChatFailure {
  if (result.end === "timeout") {
    return new ChatFailure(
      `no data from or to ${peer} for ${run.plan.idleTimeout} s (--idle-timeout)`,
    );
  }
  if (result.end === "reset") {
    return new ChatFailure(`the connection to ${peer} was reset`);
  }
  return run.explain(result.error, `cannot talk to ${peer}`);
}

/**
 * `pysocket tcp-client --stream`: connects (with TLS if asked), then
 * copies stdin to the server and the server's bytes to stdout until both
 * directions have ended (see the module documentation).
 *
 * @param run The run, its plan in stream mode.
 * @returns The exit code: 0 when both directions ended.
 * @throws {ChatFailure} When refused, reset, or idle too long.
 */
export async function streamClient(run: Run): Promise<number> {
  const { input, output, terminal } = endsOf(run);
  const sock = await connectClient(run);
  const peer = run.plan.endpoint.path ??
    (run.plan.proxy ? run.plan.endpoint.display : peerName(sock.getpeername()));
  const result = await pipeSocket(
    sock,
    input,
    output,
    pipeOptions(run, terminal),
  );
  if (result.end !== "done") throw sessionFailure(run, result, peer);
  return 0;
}

/**
 * `pysocket tcp-server --stream`: waits for one admitted client and
 * copies stdin to it and its bytes to stdout, as `nc -l`, then exits;
 * with `--echo`, serves any number of clients at once, each getting its
 * bytes back.
 *
 * @param run The run, its plan in a stream mode.
 * @returns The exit code: 0 after the session, 1 on failure, 130 when
 * interrupted.
 */
export function streamServer(run: Run): Promise<number> {
  if (run.plan.mode === "stream-echo") {
    return serve(run, (session) => echo(run, session), { backlog: 1024 });
  }
  const ends = endsOf(run);
  const { keepOpen } = run.plan.stream;
  // With --keep-open, stdin goes on from one client to the next: a read
  // left pending by a client that left is handed to the next one.
  const shared = keepOpen ? new SharedInput(ends.input) : null;
  return serve(run, async ({ sock, peer }) => {
    run.emit({ event: "connected", peer });
    const input = shared ? shared.reader() : null;
    let result: PipeResult;
    try {
      result = await pipeSocket(
        sock,
        input ?? ends.input,
        ends.output,
        // A client that leaves ends its session: the next one may come.
        pipeOptions(run, ends.terminal || keepOpen),
      );
    } finally {
      input?.close();
    }
    if (result.end !== "done") {
      const message = sessionFailure(run, result, peer).message;
      if (keepOpen) {
        run.emit({ event: "disconnected", peer, reason: "error", message });
        return;
      }
      run.emit({ event: "error", message });
      return 1;
    }
    run.emit({ event: "disconnected", peer, reason: "closed" });
    return keepOpen ? undefined : 0;
  }, { sequential: true });
}

/** Sends a client's bytes back until it ends its side, then ends ours. */
async function echo(run: Run, { sock, peer }: Session): Promise<void> {
  const idleTimeout = run.plan.idleTimeout;
  try {
    run.emit({ event: "connected", peer });
    sock.settimeout(idleTimeout);
    // Small while the client is idle, growing while its bytes flow.
    let buffer = new Uint8Array(ECHO_MIN);
    while (true) {
      const n = await sock.recv_into(buffer);
      if (n === 0) break;
      await sock.sendall(buffer.subarray(0, n));
      if (n === buffer.length && n < CHUNK) buffer = new Uint8Array(n * 2);
      else if (n < buffer.length / 4 && buffer.length > ECHO_MIN) {
        buffer = new Uint8Array(buffer.length / 2);
      }
    }
    await sock.shutdown(SHUT_WR);
    run.emit({ event: "disconnected", peer, reason: "closed" });
  } catch (err) {
    const end = endOf(err);
    const timeout = err instanceof TimeoutError;
    run.emit({
      event: "disconnected",
      peer,
      reason: timeout ? "timeout" : end.reason,
      message: timeout
        ? `no data for ${idleTimeout} s (--idle-timeout)`
        : end.reason === "reset"
        ? "the connection was reset"
        : run.explain(err).message,
    });
  }
}
