/**
 * Shared plumbing of the four chat programs (`tcp-server`, `tcp-client`,
 * `udp-server`, `udp-client`): events and how they are printed, reading
 * replies from stdin, turning received bytes into messages, explaining
 * failures in one line, Ctrl-C, and the `main` every program shares.
 * Argument parsing, `--help` and permission flags live in `_chat_args.ts`.
 *
 * ## Output contract
 *
 * Scripts and the interop tests rely on this; keep it stable.
 *
 * **stdout**, one line per received message. The text is escaped with
 * `escapeControl(text, false)`: control characters, terminal escapes and
 * embedded newlines become visible (`\x1b`, `\n`...). This is done always,
 * not only when stdout is a terminal, so the output is the same on a
 * terminal, in a pipe and in a log that is later `cat`ed.
 *
 * - servers: `client>TEXT`; clients: `server>TEXT`
 * - the prompts `server>` / `client>` (no newline), only when stdin is a
 *   terminal and `--json` is off
 *
 * **stderr**, status lines, the same with and without `--json`:
 *
 * - servers, always the first line: `listening on HOST:PORT`
 *   (`listening on [::1]:PORT` for IPv6, `listening on PATH` for Unix
 *   sockets), with the real port when `--port 0` was given
 * - servers: `IP connected`; `IP disconnected` when the client sent `exit`
 *   (or the server's input ended); `IP disconnected: REASON` when it
 *   vanished (`the client closed the connection without sending exit`,
 *   `the connection was reset`, `no message for N s (--timeout)`...). While
 *   the server waits for a reply at a terminal, a client that leaves is
 *   reported at once, and what is typed until the next prompt is dropped
 *   (it was meant for that client). With replies from a pipe, a client that
 *   closed its side still gets its reply (it may have only half-closed,
 *   like `nc -N`) and its end is reported after it; a reset is reported at
 *   once. Unix
 *   peers are named by their path, or `unix peer` when they have none. The
 *   UDP server counts a client as connected from its first datagram until
 *   its `exit`.
 * - servers, when their input ends: `stopped: end of input`
 * - TCP servers, for a client refused by `--allow`/`--deny` (closed before
 *   any byte is sent): `IP:PORT denied: REASON`, such as
 *   `127.0.0.1:54321 denied: not in --allow ::1/128`; the UDP server drops
 *   a refused datagram without a line, so a flood cannot flood stderr
 * - clients print nothing on stderr unless they fail
 * - failures: `pysocket PROGRAM: MESSAGE`, one line naming the cause and
 *   the fix; a missing permission names the complete flag:
 *   `pysocket udp-client: missing permission: Deno needs net access to
 *   "127.0.0.1:0"; run again with --allow-net=127.0.0.1:8888,127.0.0.1:0`
 *
 * **`--json`**: stdout carries only JSON, one object per line per event;
 * every stderr line and every message line has its event:
 *
 * - `{"event":"listening","address":"127.0.0.1:8888","host":"127.0.0.1","port":8888}`
 *   (Unix: `{"event":"listening","address":PATH,"path":PATH}`)
 * - `{"event":"connected","peer":"127.0.0.1:54321"}` (the tcp-client
 *   emits it too, with the server's address)
 * - `{"event":"message","from":"client","peer":"127.0.0.1:54321","text":"hi"}`:
 *   `from` is `"client"` on servers and `"server"` on clients; `text` is
 *   the message unescaped, without its trailing newline
 * - `{"event":"disconnected","peer":...,"reason":R}`, R one of `exit`,
 *   `end of input`, `closed`, `reset`, `timeout`, `error`, with
 *   `"message":REASON` for the last four (the tcp-client emits it too when
 *   it sends `exit`)
 * - `{"event":"stopped","reason":"end of input"}`
 * - `{"event":"denied","peer":"127.0.0.1:54321","message":REASON}`
 * - `{"event":"error","message":MESSAGE}`
 *
 * **Exit codes**: 0 after `exit` or end of input; 1 for runtime failures
 * (the server went away, connection refused, address in use, unknown
 * host, missing permission, no reply within `--timeout`); 2 for bad
 * arguments (`pysocket PROGRAM: PROBLEM (see pysocket PROGRAM --help)`,
 * stderr only, even with `--json`); 130 after Ctrl-C (SIGINT) or
 * `ChatIO.signal`.
 *
 * **Messages on the wire** are the UTF-8 text itself, no newline added, as
 * the tutorial's Python programs send them. Over TCP, what one read
 * returns is one message, as in the tutorial (a read is at most 64 KiB, so
 * a longer message shows as several lines), but the bytes are decoded as
 * one stream: a character split between two reads is shown whole, at the
 * start of the second line. Several newline-ended lines arriving in one
 * read (`nc`) are one message each. A datagram is one message. Invalid
 * UTF-8 becomes U+FFFD. One trailing `\n` or `\r\n` is not part of the
 * message, so `exit\n` ends a session too.
 *
 * **Input**: each line of stdin is one message. An empty line sends
 * nothing over TCP (zero bytes would leave both sides waiting) and is
 * skipped; over UDP it is an empty datagram, as in the tutorial. Input is
 * read ahead, so a writer never blocks on a full pipe. A client waits for
 * each reply before it sends the next line; the TCP client also shows at
 * once a message that comes while it waits for a line (a `--room` sends
 * them unasked), without sending anything for it. At end of input a client sends
 * `exit` (the tutorial's servers expect it to end the session cleanly) and
 * exits with 0. A server whose input has ended uses the lines left. When
 * it needs a reply and none is left (where Python's `input()` would raise
 * `EOFError`), it closes the session (`IP disconnected`), prints `stopped:
 * end of input` and exits with 0. It stops the same way, without waiting
 * for the next message, as soon as it is idle with no reply left: the TCP
 * server waiting for a new client (just `stopped: end of input`), the UDP
 * server waiting for a datagram (`IP disconnected` for each client whose
 * session is open, then `stopped: end of input`). With `--echo`, a server
 * never reads stdin.
 *
 * @module
 */

import type { Address } from "../socket/address.ts";
import { formatAddress } from "../socket/_address.ts";
import type { ByteReader } from "../socket/_line_reader.ts";
import { escapeControl } from "./_escape.ts";
import {
  type Endpoint,
  helpText,
  isServer,
  parseChatArgs,
  type ProgramName,
  resolveEndpoint,
  type ServerOptions,
  unixFolder,
  UsageError,
  VERSION,
} from "./_chat_args.ts";
import { type ChatFailure, explainError, oneLine } from "./_chat_errors.ts";
import { type InputLines, inputLines } from "./_chat_input.ts";
import type { Incoming } from "./_chat_messages.ts";
import { Socket } from "../socket/socket.ts";
import { SOCK_STREAM } from "../socket/constants.ts";

/**
 * Receives text to write, such as a line for stdout.
 *
 * @example Keep the output in memory
 * ```ts
 * import type { TextSink } from "@pysocket/pysocket/tcp-client";
 * let output = "";
 * const sink: TextSink = (text) => output += text;
 * sink("server>hello\n");
 * console.log(output); // "server>hello\n"
 * ```
 */
export type TextSink = (text: string) => void;

/**
 * Where a chat program reads and writes, for running it from code. Every
 * field is optional; the defaults are the process's own streams.
 *
 * @example Give the input as a string and keep what is printed
 * ```ts
 * import { tcpClient } from "@pysocket/pysocket/tcp-client";
 * let errors = "";
 * const code = await tcpClient({ port: 1 }, { // Nothing listens on port 1.
 *   stdin: "hi\n",
 *   stdout: () => {},
 *   stderr: (text) => errors += text,
 * });
 * console.log(code, errors.startsWith("pysocket tcp-client: cannot connect")); // 1 true
 * ```
 */
export interface ChatIO {
  /**
   * Where replies are read from, a line per message: a byte source such as
   * `Deno.stdin`, or the whole input as a string.
   *
   * @default {Deno.stdin}
   */
  stdin?: ByteReader | string;
  /**
   * Whether to print prompts (`server>`, `client>`).
   *
   * @default {Deno.stdin.isTerminal() when stdin is Deno.stdin, else false}
   */
  interactive?: boolean;
  /**
   * Receives what the program writes to stdout: messages, prompts, JSON.
   *
   * @default {writes to Deno.stdout}
   */
  stdout?: TextSink;
  /**
   * Receives the status and error lines.
   *
   * @default {writes to Deno.stderr}
   */
  stderr?: TextSink;
  /**
   * Stops the program like Ctrl-C: sockets are closed and it returns 130.
   * When omitted, the program handles SIGINT itself.
   *
   * @default {undefined}
   */
  signal?: AbortSignal;
  /**
   * Called with every event, in addition to the printed output.
   *
   * @default {undefined}
   */
  onEvent?: (event: ChatEvent) => void;
}

/**
 * Why a session ended: the peer sent `exit`, our input ended, the peer
 * closed without `exit`, reset the connection, stayed silent past
 * `--timeout`, or another error.
 *
 * @example
 * ```ts
 * import type { DisconnectReason } from "@pysocket/pysocket/tcp-server";
 * const clean: DisconnectReason[] = ["exit", "end of input"];
 * console.log(clean.includes("reset")); // false
 * ```
 */
export type DisconnectReason =
  | "exit"
  | "end of input"
  | "closed"
  | "reset"
  | "timeout"
  | "error";

/**
 * One thing that happened, as printed with `--json` (see the output
 * contract in the module documentation of `lib/_chat.ts`).
 *
 * @example Read a line of `--json` output
 * ```ts
 * import type { ChatEvent } from "@pysocket/pysocket/tcp-server";
 * const line = '{"event":"message","from":"client","peer":"127.0.0.1:54321","text":"hi"}';
 * const event: ChatEvent = JSON.parse(line);
 * if (event.event === "message") console.log(event.text); // "hi"
 * ```
 */
export type ChatEvent =
  | {
    event: "listening";
    address: string;
    host?: string;
    port?: number;
    path?: string;
  }
  | { event: "connected"; peer: string }
  | {
    event: "message";
    from: "client" | "server";
    peer: string;
    text: string;
  }
  | {
    event: "disconnected";
    peer: string;
    reason: DisconnectReason;
    message?: string;
  }
  | { event: "stopped"; reason: "end of input" }
  | { event: "denied"; peer: string; message: string }
  | { event: "error"; message: string };

const ENCODER = new TextEncoder();

/** Writes all of `text` to a Deno output stream. */
function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string) {
  const data = ENCODER.encode(text);
  for (let written = 0; written < data.length;) {
    written += stream.writeSync(data.subarray(written));
  }
}

const toStdout: TextSink = (text) => writeAll(Deno.stdout, text);
const toStderr: TextSink = (text) => writeAll(Deno.stderr, text);

/**
 * A JSON line whose text is safe for a terminal too: C1 controls and
 * bidirectional overrides, which `JSON.stringify` leaves raw, are escaped.
 */
function jsonLine(event: ChatEvent): string {
  return JSON.stringify(event).replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  ) + "\n";
}

/** How a server names a peer in status lines: its IP, as the tutorial does. */
function peerLabel(peer: string): string {
  const ip = /^\[(.*)\]:\d+$/.exec(peer) ?? /^([^:]*):\d+$/.exec(peer);
  if (ip) return ip[1];
  return peer === "" ? "unix peer" : peer;
}

/** What a reply read from stdin turned into. */
export type Reply =
  | { kind: "line"; line: string }
  | { kind: "eof" }
  | { kind: "gone"; incoming: Incoming & { kind: "end" } };

/** Options of {@linkcode Chat.readReply}. */
export interface ReplyOptions {
  /**
   * The peer's next message being read: if it turns out to be the end of
   * the conversation, the wait for a reply gives up.
   *
   * @default {undefined}
   */
  peerNext?: Promise<Incoming>;
  /**
   * When the input is not a terminal, keep waiting when the peer merely
   * closed its sending side: it may still read the reply (`nc -N`,
   * `shutdown(SHUT_WR)`). Resets always end the wait, and so does any end
   * at a terminal, where a person is typing.
   *
   * @default {false}
   */
  replyAfterClose?: boolean;
  /**
   * Skip empty lines (TCP, where zero bytes would leave both sides waiting).
   *
   * @default {false}
   */
  skipEmpty?: boolean;
  /**
   * Called when `peerNext` turns out to be a message rather than the end:
   * it shows the message and returns the read of the one after, which the
   * wait then watches instead (a `--room` sends messages unasked, and they
   * must not wait for the next line typed). Without it, a message does not
   * end the wait and is left for the caller.
   *
   * @default {undefined}
   */
  onMessage?: (
    incoming: Incoming & { kind: "message" },
  ) => Promise<Incoming>;
}

/** The running state of one program: its output, input and resources. */
export class Chat {
  /** The program's command name. */
  readonly program: ProgramName;
  /** Its options, as given. */
  readonly options: ServerOptions;
  #io: ChatIO;
  #out: TextSink;
  #err: TextSink;
  #interactive: boolean;
  #input: InputLines | undefined;
  #promptOpen = false;
  #closed = false;
  #resources = new Set<{ close(): void }>();
  #cleanups: (() => void)[] = [];
  /** Set once the endpoint is known; used to name permission flags. */
  endpoint: Endpoint | undefined;

  /**
   * Sets up the output and input of a run.
   *
   * @param program The program.
   * @param options Its options.
   * @param io Where it reads and writes.
   */
  constructor(program: ProgramName, options: ServerOptions, io: ChatIO = {}) {
    this.program = program;
    this.options = options;
    this.#io = io;
    this.#out = io.stdout ?? toStdout;
    this.#err = io.stderr ?? toStderr;
    this.#interactive = io.interactive ??
      (io.stdin === undefined && Deno.stdin.isTerminal());
  }

  /** Whether the run has ended (interrupted or finished). */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Ends the current terminal line: an open prompt's (on stdout), or else,
   * if `always`, the line the terminal echoed `^C` on (on stderr).
   *
   * @param always Whether to end a line even with no prompt open.
   */
  endLine(always: boolean): void {
    if (this.#closed) return;
    if (this.#promptOpen) this.#breakPrompt();
    else if (always) this.#err("\n");
  }

  /** Ends an open prompt line before other output. */
  #breakPrompt(): void {
    if (this.#promptOpen) {
      this.#promptOpen = false;
      this.#out("\n");
    }
  }

  /**
   * Reports an event: to `onEvent`, as JSON on stdout with `--json`,
   * and as the status or message line of the output contract.
   *
   * @param event The event.
   */
  emit(event: ChatEvent): void {
    if (this.#closed) return;
    this.#io.onEvent?.(event);
    if (this.options.json) {
      this.#breakPrompt();
      this.#out(jsonLine(event));
    } else if (event.event === "message") {
      this.#breakPrompt();
      this.#out(`${event.from}>${escapeControl(event.text, false)}\n`);
    }
    if (event.event === "message") return;
    const line = this.#statusLine(event);
    if (line === null) return;
    this.#breakPrompt();
    this.#err(`${escapeControl(line, false)}\n`);
  }

  /** The stderr line of an event; clients have none but errors. */
  #statusLine(
    event: Exclude<ChatEvent, { event: "message" }>,
  ): string | null {
    const server = isServer(this.program);
    switch (event.event) {
      case "listening":
        return `listening on ${event.address}`;
      case "connected":
        return server ? `${peerLabel(event.peer)} connected` : null;
      case "disconnected": {
        if (!server) return null;
        const line = `${peerLabel(event.peer)} disconnected`;
        return event.message ? `${line}: ${event.message}` : line;
      }
      case "stopped":
        return `stopped: ${event.reason}`;
      case "denied":
        return `${event.peer} denied: ${event.message}`;
      case "error":
        return `pysocket ${this.program}: ${event.message}`;
    }
  }

  /** Prints a usage error line (exit code 2 follows). */
  usage(message: string): void {
    this.#err(usageLine(this.program, message));
  }

  /** The lines of input, started on first use. */
  #lines(): InputLines {
    return this.#input ??= inputLines(this.#io.stdin);
  }

  /**
   * Starts the input: a pipe is read ahead from now on, so that a writer
   * never blocks on a full pipe while the program waits for the network
   * (a terminal is read only when a line is wanted). Programs that read
   * stdin call it when they start.
   */
  readAhead(): void {
    this.#lines();
  }

  /**
   * Resolves once the input has ended and every line has been used: a
   * server then has nothing left to reply with. Never resolves for a
   * program that does not read its input (a server with `--echo`).
   *
   * @returns A promise of the end.
   */
  inputExhausted(): Promise<void> {
    return this.#input?.whenExhausted() ?? new Promise<void>(() => {});
  }

  #showPrompt(prompt: string): void {
    if (
      !this.#interactive || this.options.json || this.#closed ||
      this.#promptOpen
    ) return;
    this.#out(prompt);
    this.#promptOpen = true;
  }

  /**
   * Reads a reply to send, skipping empty lines if asked, and gives up
   * when the peer goes away first. The prompt is shown, when interactive,
   * only if no line is waiting already.
   *
   * @param prompt The prompt, such as `"server>"`.
   * @param options The peer's next message, and how to wait.
   * @returns The line, end of input, or the peer's end.
   */
  async readReply(prompt: string, options: ReplyOptions = {}): Promise<Reply> {
    const { peerNext, replyAfterClose = false, skipEmpty = false, onMessage } =
      options;
    const input = this.#lines();
    // At a terminal a person sees the peer leave and stops typing; from a
    // script the reply comes anyway, and a half-closed peer may read it.
    const waitAfterClose = replyAfterClose && !this.#interactive;
    const watch = (pending: Promise<Incoming>) =>
      pending.then((incoming) =>
        (incoming.kind === "message" && onMessage) ||
          (incoming.kind === "end" &&
            !(waitAfterClose && incoming.reason === "closed"))
          ? incoming
          : new Promise<never>(() => {})
      );
    let peer = peerNext && watch(peerNext);
    while (true) {
      if (!input.ready) {
        this.#showPrompt(prompt);
        input.keepLines();
        const waiting = input.wait().then(() => null);
        const event = peer
          ? await Promise.race([waiting, peer])
          : await waiting;
        if (event?.kind === "message") {
          peer = watch(onMessage!(event));
          continue; // Shown; the prompt comes again, and the wait goes on.
        }
        if (event) {
          // What is being typed was meant for the peer that left.
          if (this.#interactive) input.dropLines();
          return { kind: "gone", incoming: event };
        }
      }
      let line: string | null;
      try {
        line = input.take();
      } catch (err) {
        throw this.explain(err, "cannot read the input");
      }
      // Enter ended the prompt's line on the terminal; Ctrl-D did not.
      if (line !== null) this.#promptOpen = false;
      if (line === null) return { kind: "eof" };
      if (skipEmpty && line === "") continue;
      return { kind: "line", line };
    }
  }

  /**
   * Closes `resource` when the run ends, however it ends.
   *
   * @param resource A socket.
   * @returns The resource.
   */
  own<T extends { close(): void }>(resource: T): T {
    this.#resources.add(resource);
    return resource;
  }

  /**
   * Closes a resource now and forgets it.
   *
   * @param resource A resource given to {@linkcode Chat.own}.
   */
  release(resource: { close(): void }): void {
    this.#resources.delete(resource);
    resource.close();
  }

  /**
   * Runs `cleanup` when the run ends (removing socket files).
   *
   * @param cleanup What to do; its errors are ignored.
   */
  onClose(cleanup: () => void): void {
    this.#cleanups.push(cleanup);
  }

  /** Closes every resource, runs the clean-ups, and mutes further output. */
  close(): void {
    this.#breakPrompt();
    this.#closed = true;
    for (const resource of this.#resources) {
      try {
        resource.close();
      } catch {
        // Already closed.
      }
    }
    this.#resources.clear();
    for (const cleanup of this.#cleanups.splice(0).reverse()) {
      try {
        cleanup();
      } catch {
        // Nothing more can be done at exit.
      }
    }
  }

  /**
   * Turns any error into a one-line {@linkcode ChatFailure} naming the
   * cause and the fix.
   *
   * @param err What was thrown.
   * @param action What was being done, such as `cannot connect to 127.0.0.1:8888`.
   * @returns The failure.
   */
  explain(err: unknown, action?: string): ChatFailure {
    return explainError(err, action, {
      program: this.program,
      endpoint: this.endpoint,
      timeout: this.options.timeout,
    });
  }
}

/** The line printed for a bad command line. */
function usageLine(program: ProgramName | null, message: string): string {
  const name = program ? `pysocket ${program}` : "pysocket";
  return `${name}: ${oneLine(message)} (see ${name} --help)\n`;
}

/**
 * Runs a program's body with the shared behaviour: options checked (exit
 * 2 on bad ones), every failure reported in one line (exit 1), Ctrl-C or
 * `io.signal` closing the sockets (exit 130), and clean-up at the end.
 *
 * @param program The program.
 * @param options Its options.
 * @param io Where it reads and writes.
 * @param body The program itself, given the run and its endpoint.
 * @returns The exit code.
 */
export async function runChat(
  program: ProgramName,
  options: ServerOptions | undefined,
  io: ChatIO | undefined,
  body: (chat: Chat, endpoint: Endpoint) => Promise<number>,
): Promise<number> {
  const chat = new Chat(program, options ?? {}, io);
  let endpoint: Endpoint;
  try {
    endpoint = resolveEndpoint(program, options ?? {});
  } catch (err) {
    chat.usage((err as Error).message);
    return 2;
  }
  chat.endpoint = endpoint;
  const { promise: interrupted, resolve: interrupt } = Promise.withResolvers<
    "interrupted"
  >();
  const stop = () => interrupt("interrupted");
  let unlisten = () => {};
  const signal = io?.signal;
  if (signal) {
    if (signal.aborted) stop();
    signal.addEventListener("abort", stop, { once: true });
    unlisten = () => signal.removeEventListener("abort", stop);
  } else {
    const onSigint = () => {
      // Exiting with 130 rather than dying of the signal, the program must
      // end the terminal's `^C` line itself, or the shell prompt follows it.
      chat.endLine(Deno.stderr.isTerminal());
      stop();
    };
    try {
      Deno.addSignalListener("SIGINT", onSigint);
      unlisten = () => Deno.removeSignalListener("SIGINT", onSigint);
    } catch {
      // This platform cannot listen for SIGINT: Ctrl-C ends the process.
    }
  }
  const run = body(chat, endpoint);
  // After an interrupt the body fails on its closed sockets: nobody cares.
  run.catch(() => {});
  try {
    const result = await Promise.race([run, interrupted]);
    return result === "interrupted" ? 130 : result;
  } catch (err) {
    const message = chat.explain(err).message;
    try {
      chat.emit({ event: "error", message });
    } catch {
      // Stdout is gone (a closed pipe): stderr may still be there.
      try {
        printError(`pysocket ${program}: ${message}\n`, io);
      } catch {
        // Nowhere left to report to; the exit code says it.
      }
    }
    return 1;
  } finally {
    unlisten();
    chat.close();
  }
}

/**
 * The `main` of one program: parses the arguments, prints `--help` or
 * `--version`, or runs it.
 *
 * @param program The program.
 * @param args The arguments after the command name.
 * @param io Where it reads and writes.
 * @param run The program's function.
 * @returns The exit code.
 */
export async function runMain(
  program: ProgramName,
  args: string[],
  io: ChatIO | undefined,
  run: (options: ServerOptions, io?: ChatIO) => Promise<number>,
): Promise<number> {
  const out = io?.stdout ?? toStdout;
  const err = io?.stderr ?? toStderr;
  try {
    const parsed = parseChatArgs(program, args);
    if (parsed.kind === "help") {
      out(helpText(program));
      return 0;
    }
    if (parsed.kind === "version") {
      out(`pysocket ${VERSION}\n`);
      return 0;
    }
    return await run(parsed.options, io);
  } catch (e) {
    if (e instanceof UsageError) {
      err(usageLine(program, e.message));
      return 2;
    }
    err(`pysocket ${program}: unexpected failure: ${oneLine(String(e))}\n`);
    return 1;
  }
}

/**
 * Prints a usage error of the `pysocket` command itself (no program).
 *
 * @param message What is wrong.
 * @param io Where to write.
 */
export function reportUsage(message: string, io?: ChatIO): void {
  (io?.stderr ?? toStderr)(usageLine(null, message));
}

/**
 * Writes text to stdout (or `io.stdout`).
 *
 * @param text The text.
 * @param io Where to write.
 */
export function print(text: string, io?: ChatIO): void {
  (io?.stdout ?? toStdout)(text);
}

/**
 * Writes text to stderr (or `io.stderr`).
 *
 * @param text The text.
 * @param io Where to write.
 */
export function printError(text: string, io?: ChatIO): void {
  (io?.stderr ?? toStderr)(text);
}

/**
 * Waits for `promise`, or `"timeout"` after `seconds` (never when `null`).
 *
 * @param promise What to wait for.
 * @param seconds The limit.
 * @returns Its value, or `"timeout"`.
 */
export function within<T>(
  promise: Promise<T>,
  seconds: number | null | undefined,
): Promise<T | "timeout"> {
  if (seconds === null || seconds === undefined) return promise;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), seconds * 1000);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * The address of a peer as events name it: `127.0.0.1:54321`,
 * `[::1]:54321`, or a Unix path (`""` for an unnamed Unix peer).
 *
 * @param address The address from `accept()` or `recvfrom()`.
 * @returns Its text.
 */
export function peerName(address: Address): string {
  return formatAddress(address);
}

/**
 * Opens a server's socket on the run's endpoint: binds it, listens (stream
 * sockets), lets `wrap` turn it into another, such as a TLS one, removes a
 * Unix socket file at exit, and announces the `listening` event with the
 * real address (so scripts using port 0 can find it).
 *
 * @param chat The run that owns the socket.
 * @param endpoint Where to listen.
 * @param type `SOCK_STREAM` or `SOCK_DGRAM`.
 * @param options `backlog` for `listen()`; `wrap` for the listening socket.
 * @returns The socket, owned by the run.
 * @throws {ChatFailure} One line naming the cause, if binding fails.
 */
export async function listenOn(
  chat: Chat,
  endpoint: Endpoint,
  type: number,
  options: { backlog?: number; wrap?: (s: Socket) => Promise<Socket> } = {},
): Promise<Socket> {
  let sock = chat.own(new Socket(endpoint.family, type));
  try {
    sock.bind(endpoint.path ?? [endpoint.host, endpoint.port]);
    if (type === SOCK_STREAM) {
      sock.listen(options.backlog);
      if (options.wrap) sock = chat.own(await options.wrap(sock));
    }
  } catch (err) {
    throw chat.explain(err, `cannot listen on ${endpoint.display}`);
  }
  if (endpoint.path) chat.onClose(() => removeQuietly(endpoint.path!));
  const bound = sock.getsockname();
  if (typeof bound !== "string") endpoint.boundHost = bound[0];
  chat.emit(listeningEvent(bound));
  return sock;
}

/**
 * The `listening` event for a bound socket.
 *
 * @param address The socket's `getsockname()`.
 * @returns The event.
 */
export function listeningEvent(address: Address): ChatEvent {
  if (typeof address === "string") {
    return { event: "listening", address, path: address };
  }
  return {
    event: "listening",
    address: formatAddress(address),
    host: address[0],
    port: address[1],
  };
}

/**
 * Gives a UDP client's socket an address that replies can come back to.
 * Over IP the system picks one at the first send; a Unix datagram socket
 * needs a path, so it is bound in a new temporary folder next to the
 * server's socket, removed when the run ends.
 *
 * @param chat The run that owns the socket.
 * @param endpoint The server's endpoint.
 * @param sock The client's datagram socket.
 * @throws {ChatFailure} One line naming the cause, if the folder or the
 * bind fails.
 */
export function bindForReplies(
  chat: Chat,
  endpoint: Endpoint,
  sock: Socket,
): void {
  if (!endpoint.path) return;
  const folder = unixFolder(endpoint.path);
  let dir: string;
  try {
    dir = Deno.makeTempDirSync({ dir: folder, prefix: ".pysocket-" });
  } catch (err) {
    throw chat.explain(err, `cannot make a socket for replies in ${folder}`);
  }
  chat.onClose(() => removeQuietly(dir, true));
  try {
    sock.bind(`${dir}/udp-client.sock`);
  } catch (err) {
    throw chat.explain(err, `cannot bind a socket for replies in ${dir}`);
  }
}

/**
 * Removes a file, ignoring failures (for socket files at exit).
 *
 * @param path The file.
 * @param recursive Whether to remove a folder with its contents.
 */
export function removeQuietly(path: string, recursive = false): void {
  try {
    Deno.removeSync(path, { recursive });
  } catch {
    // Gone already, or not ours to remove.
  }
}
