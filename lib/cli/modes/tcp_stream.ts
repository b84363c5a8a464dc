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

import { SHUT_WR, SOCK_STREAM } from "../../socket/constants.ts";
import type { Address } from "../../socket/address.ts";
import { formatAddress } from "../../socket/_address.ts";
import type { ByteReader } from "../../socket/_line_reader.ts";
import { escapeControl } from "../_escape.ts";
import { Socket } from "../../socket/socket.ts";
import { endOf } from "../_chat_messages.ts";
import { stringSource } from "../_chat_input.ts";
import {
  type Chat,
  type ChatIO,
  listenOn,
  peerName,
  runChat,
} from "../_chat.ts";
import type { ServerOptions } from "../_chat_args.ts";
import { ChatFailure } from "../_chat_errors.ts";
import { type GateOptions, ServerGate, wrapClient } from "../_gate.ts";
import { checkLimits, type Limits } from "../_limits.ts";

export type {
  ChatEvent,
  ChatIO,
  DisconnectReason,
  TextSink,
} from "../_chat.ts";
export type { ByteReader } from "../../socket/_line_reader.ts";
export type { ChatOptions, ServerOptions } from "../_chat_args.ts";
export type { ClientExtraOptions, ExtraOptions } from "../_extra_args.ts";
export type { GateOptions, TlsOptions } from "../_gate.ts";
export type { Buffer, Socket, SocketHandle } from "../../socket/socket.ts";
export type {
  Address,
  IPv4Address,
  IPv6Address,
} from "../../socket/address.ts";

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
 * console.log(new TextDecoder().decode(await conn.recv(1024))); // "ping"
 * console.log((await conn.recv(1024)).length); // 0: the client shut down its side
 * await conn.sendall(new TextEncoder().encode("pong"));
 * conn.close();
 * console.log((await piping).end, answer); // "done" "pong"
 * ```
 */
export async function pipeSocket(
  sock: Socket,
  input: ByteReader,
  output: ByteSink,
  options: PipeOptions = {},
): Promise<PipeResult> {
  const result: PipeResult = { end: "done", sent: 0, received: 0 };
  let last = Date.now();
  let peerEnded = false;
  let failure: { end: "reset" | "error"; error: unknown } | null = null;

  const send = (async () => {
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
      last = Date.now();
    }
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
      last = Date.now();
      await output(data);
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
  const both = options.stopOnPeerEnd ? receive : Promise.all([send, receive]);
  const finished = both.then(() => "done" as const, () => "failed" as const);

  let timer: ReturnType<typeof setTimeout> | undefined;
  const idle = options.idleTimeout ?? null;
  const idled = idle === null ? null : new Promise<"timeout">((resolve) => {
    const check = () => {
      const left = last + idle * 1000 - Date.now();
      if (left <= 0) resolve("timeout");
      else timer = setTimeout(check, left);
    };
    timer = setTimeout(check, idle * 1000);
  });
  try {
    const outcome = await Promise.race(
      idled ? [finished, fatal, idled] : [finished, fatal],
    );
    if (outcome === "timeout") result.end = "timeout";
    else if (failure) {
      const { end, error } = failure;
      result.end = end;
      result.error = error;
    }
  } finally {
    clearTimeout(timer);
  }
  return result;
}

/** Options of the stream programs. */
export interface StreamOptions extends ServerOptions, GateOptions {
  /**
   * Seconds without a byte in either direction before a session ends.
   *
   * @default {null}
   */
  idleTimeout?: number | null;
  /**
   * With `echo`: the most clients served at once.
   *
   * @default {null}
   */
  maxClients?: number | null;
}

/** Where the stream programs read and write. */
export interface StreamIO extends ChatIO {
  /**
   * Receives the peer's bytes, unchanged. When left out, they go to the
   * process's stdout (escaped if it is a terminal), or, when `stdout` is
   * given, to it, decoded as UTF-8.
   *
   * @default {undefined}
   */
  output?: ByteSink;
}

/** Writes all of `data` to a Deno output stream, waiting for room. */
async function writeAll(
  stream: { write(p: Uint8Array): Promise<number> },
  data: Uint8Array,
): Promise<void> {
  for (let written = 0; written < data.length;) {
    written += await stream.write(data.subarray(written));
  }
}

/**
 * The input and output of a stream session, from `io`: stdin (or
 * `io.stdin`), and received bytes to `io.output`, to `io.stdout` decoded,
 * or to the process's stdout (escaped when it is a terminal).
 *
 * @param io Where the session reads and writes.
 * @returns The input, the output, and whether the input is a terminal.
 */
export function endsOf(io: StreamIO): {
  input: ByteReader;
  output: ByteSink;
  terminal: boolean;
} {
  const input = typeof io.stdin === "string"
    ? stringSource(io.stdin)
    : io.stdin ?? Deno.stdin;
  const terminal = io.interactive ??
    (io.stdin === undefined && Deno.stdin.isTerminal());
  if (io.output) return { input, output: io.output, terminal };
  const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  if (io.stdout) {
    const sink = io.stdout;
    return {
      input,
      terminal,
      output: (data) => {
        sink(decoder.decode(data, { stream: true }));
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
        return writeAll(Deno.stdout, encoder.encode(escapeControl(text)));
      },
    };
  }
  return { input, terminal, output: (data) => writeAll(Deno.stdout, data) };
}

/** The one-line failure for a session that did not end cleanly. */
function sessionFailure(
  chat: Chat,
  result: PipeResult,
  peer: string,
  idleTimeout: number | null,
): ChatFailure {
  if (result.end === "timeout") {
    return new ChatFailure(
      `no data from or to ${peer} for ${idleTimeout} s (--idle-timeout)`,
    );
  }
  if (result.end === "reset") {
    return new ChatFailure(`the connection to ${peer} was reset`);
  }
  return chat.explain(result.error, `cannot talk to ${peer}`);
}

/**
 * `pysocket tcp-client --stream`: connects (with TLS if asked), then
 * copies stdin to the server and the server's bytes to stdout until both
 * directions have ended (see the module documentation).
 *
 * Requires `allow-net` permission for the server's address (and
 * `allow-read` for `ca`).
 *
 * @tags allow-net
 * @param options Where to connect, `timeout` (for connecting), TLS,
 * `idleTimeout`.
 * @param io Where to read and write; the process's own by default.
 * @returns The exit code: 0 when both directions ended, 1 on failure
 * (refused, reset, idle timeout), 2 for bad options, 130 when interrupted.
 *
 * @example Send a line to an echo server and read it back
 * ```ts
 * import { streamClient, streamServer } from "./tcp_stream.ts";
 *
 * const stop = new AbortController();
 * const listening = Promise.withResolvers<number>();
 * const server = streamServer({ host: "127.0.0.1", port: 0, echo: true }, {
 *   signal: stop.signal,
 *   stderr: () => {},
 *   onEvent: (e) => e.event === "listening" && listening.resolve(e.port!),
 * });
 * let output = "";
 * const code = await streamClient({ port: await listening.promise }, {
 *   stdin: "one\ntwo\n",
 *   stdout: (text) => output += text,
 * });
 * console.log(code, output); // 0 "one\ntwo\n"
 * stop.abort();
 * console.log(await server); // 130
 * ```
 */
export async function streamClient(
  options: StreamOptions = {},
  io: StreamIO = {},
): Promise<number> {
  const { input, output, terminal } = endsOf(io);
  return await runChat("tcp-client", options, io, async (chat, endpoint) => {
    let sock = chat.own(new Socket(endpoint.family, SOCK_STREAM));
    sock.settimeout(chat.options.timeout ?? null);
    try {
      await sock.connect(endpoint.path ?? [endpoint.host, endpoint.port]);
    } catch (err) {
      throw chat.explain(err, `cannot connect to ${endpoint.display}`);
    }
    if (options.tls) {
      try {
        sock = chat.own(await wrapClient(sock, endpoint.host, options));
      } catch (err) {
        throw chat.explain(err, `cannot start TLS with ${endpoint.display}`);
      }
    }
    sock.settimeout(null);
    const peer = endpoint.path ?? peerName(sock.getpeername());
    const idleTimeout = options.idleTimeout ?? null;
    const result = await pipeSocket(sock, input, output, {
      idleTimeout,
      stopOnPeerEnd: terminal,
    });
    if (result.end !== "done") {
      throw sessionFailure(chat, result, peer, idleTimeout);
    }
    return 0;
  });
}

/**
 * `pysocket tcp-server --stream`: waits for one admitted client and
 * copies stdin to it and its bytes to stdout, as `nc -l`; with `echo`,
 * serves any number of clients at once, each getting its bytes back.
 * Clients refused by `allow`/`deny` are closed at once and reported on
 * stderr as `IP:PORT denied: REASON`.
 *
 * Requires `allow-net` permission for the address it listens on (and
 * `allow-read` for the certificate and key with `tls`).
 *
 * @tags allow-net
 * @param options Where to listen, `echo`, TLS, `allow`/`deny`,
 * `idleTimeout`, `maxClients`.
 * @param io Where to read and write; the process's own by default.
 * @returns The exit code: 0 after the session, 1 on failure, 2 for bad
 * options, 130 when interrupted.
 *
 * @example See {@linkcode streamClient}
 * ```ts ignore
 * import { streamServer } from "./tcp_stream.ts";
 * await streamServer({ port: 9000 });
 * ```
 */
export async function streamServer(
  options: StreamOptions = {},
  io: StreamIO = {},
): Promise<number> {
  const errLine = io.stderr ?? ((text: string) => {
    const data = new TextEncoder().encode(text);
    for (let at = 0; at < data.length;) {
      at += Deno.stderr.writeSync(data.subarray(at));
    }
  });
  let limits: Limits;
  let gate: ServerGate;
  try {
    limits = checkLimits(options);
    gate = new ServerGate(options);
  } catch (err) {
    errLine(
      `pysocket tcp-server: ${
        (err as Error).message
      } (see pysocket tcp-server --help)\n`,
    );
    return 2;
  }
  const ends = options.echo ? null : endsOf(io);
  return await runChat("tcp-server", options, io, async (chat, endpoint) => {
    const server = await listenOn(chat, endpoint, SOCK_STREAM, {
      backlog: 1024,
      wrap: (s) => gate.listen(s),
    });
    let active = 0;
    while (true) {
      let conn: Socket, address: Address;
      try {
        [conn, address] = await server.accept();
      } catch (err) {
        if (chat.closed) return 130;
        const code = (err as { code?: string }).code;
        if (code === "EMFILE" || code === "ENFILE") {
          await new Promise((resolve) => setTimeout(resolve, 100));
          continue;
        }
        throw chat.explain(err, `cannot accept on ${endpoint.display}`);
      }
      const peer = peerName(address);
      const denied = gate.check(address);
      if (denied !== null) {
        conn.close();
        errLine(
          `${formatAddress(address) || "unix peer"} denied: ${denied}\n`,
        );
        continue;
      }
      if (limits.maxClients !== null && active >= limits.maxClients) {
        conn.close();
        errLine(
          `${peer} refused: ${active} clients already (--max-clients ${limits.maxClients})\n`,
        );
        continue;
      }
      chat.own(conn);
      if (!ends) {
        active++;
        echo(chat, gate, conn, peer, limits).finally(() => active--);
        continue;
      }
      try {
        await gate.handshake(conn);
      } catch (err) {
        chat.release(conn);
        errLine(
          `${peer} refused: TLS handshake failed: ${
            chat.explain(err).message
          }\n`,
        );
        continue;
      }
      chat.emit({ event: "connected", peer });
      const result = await pipeSocket(conn, ends.input, ends.output, {
        idleTimeout: limits.idleTimeout,
        stopOnPeerEnd: ends.terminal,
      });
      chat.release(conn);
      if (result.end !== "done") {
        throw sessionFailure(chat, result, peer, limits.idleTimeout);
      }
      chat.emit({ event: "disconnected", peer, reason: "closed" });
      return 0;
    }
  });
}

/** Sends a client's bytes back until it ends its side, then ends ours. */
async function echo(
  chat: Chat,
  gate: ServerGate,
  conn: Socket,
  peer: string,
  limits: Limits,
): Promise<void> {
  try {
    await gate.handshake(conn);
    chat.emit({ event: "connected", peer });
    conn.settimeout(limits.idleTimeout);
    const buffer = new Uint8Array(CHUNK);
    while (true) {
      const n = await conn.recv_into(buffer);
      if (n === 0) break;
      await conn.sendall(buffer.subarray(0, n));
    }
    await conn.shutdown(SHUT_WR);
    chat.emit({ event: "disconnected", peer, reason: "closed" });
  } catch (err) {
    const end = endOf(err);
    const timeout = err instanceof Error && err.name === "TimeoutError";
    chat.emit({
      event: "disconnected",
      peer,
      reason: timeout ? "timeout" : end.reason,
      message: timeout
        ? `no data for ${limits.idleTimeout} s (--idle-timeout)`
        : end.reason === "reset"
        ? "the connection was reset"
        : chat.explain(err).message,
    });
  } finally {
    chat.release(conn);
  }
}
