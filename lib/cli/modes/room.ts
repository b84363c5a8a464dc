/**
 * The chat room: `pysocket tcp-server --room`, many clients at once, in
 * the manner of `ncat --chat`. Each message a client sends goes to every
 * other client as `NAME: TEXT`; a name is `IP:PORT` until the client
 * sends `/nick NAME`; joins and leaves are announced; each line the
 * operator types goes to everyone as `server: TEXT`.
 *
 * ## What a message is
 *
 * Peers frame differently: `nc`, `ncat` and telnet send lines ending in a
 * newline; the tutorial's Python client (and our `tcp-client`) sends each
 * message with one `sendall`, without a newline, then waits for a reply.
 * The room tells them apart by what they send, and accepts both:
 *
 * - A peer that has sent a newline is line-based: a newline (`\n`, or
 *   `\r\n`) ends each of its messages, wherever it falls in the reads:
 *   several lines in one read are several messages, and a line split
 *   across reads is joined. An unfinished line becomes a message once the
 *   peer pauses ({@linkcode PAUSE_MS} ms without a byte) or closes; a
 *   reset drops it.
 * - Until then, a peer is turn-taking, and what one read returns is one
 *   message, as in the tutorial's own server (a read that fills the whole
 *   buffer waits for the rest, until a pause). Each message goes back to
 *   its sender too, in its place among the others: a turn-taking client
 *   waits for a reply after each message and would otherwise hang in a
 *   quiet room. A reset still delivers what was read: the tutorial's
 *   client sends `exit` and closes with replies unread, which resets.
 *   (Two sends that reach the server before it reads are one message, as
 *   with the tutorial's server: our `tcp-client`, which sends its next
 *   line as soon as any message has come, can see two of its lines joined
 *   in a busy room. `tcp-client --stream` sends lines with their newlines
 *   and has no such ambiguity.)
 *   More than `--max-message` bytes without a newline and without a pause
 *   counts as one message too long, whatever the reads.
 * - empty messages (blank lines) are ignored; `exit` leaves the room, as
 *   in the tutorial; `/nick NAME` renames, `/who` lists who is here.
 *
 * Text is decoded as UTF-8 (invalid bytes become U+FFFD) and control
 * characters and terminal escapes are made visible (`\x1b`) before the
 * message is relayed or printed: no peer can drive another's terminal or
 * the operator's.
 *
 * ## Limits (see `limits.ts`)
 *
 * A message longer than `--max-message` bytes (64 KiB by default)
 * disconnects its sender: the room never holds more than that per client,
 * whatever arrives. `--idle-timeout` disconnects a client silent for that
 * long. `--max-clients` refuses newcomers past the limit with a one-line
 * notice. Each client has a bounded output queue: a client that stops
 * reading is disconnected once more than `maxQueued` bytes wait for it,
 * instead of the server's memory growing.
 *
 * ## Output
 *
 * stdout: one line per message, `NAME: TEXT` (escaped). stderr, status
 * lines: `listening on HOST:PORT`, `NAME joined`, `NAME left` or
 * `NAME left: REASON`, `OLD is now NEW`, `IP:PORT denied: REASON` (an
 * `--allow`/`--deny` refusal, before any byte is sent),
 * `IP:PORT refused: the room is full (--max-clients N)`. With `--json`,
 * stdout has one JSON object per event instead (`listening`, `joined`,
 * `message`, `renamed`, `left`, `denied`, `refused`, `error`), and stderr
 * keeps the status lines. The end of the operator's input does not stop
 * the room; Ctrl-C does (exit code 130).
 *
 * @example Run it
 * ```sh
 * pysocket tcp-server --room --port 8888 --max-clients 50 --idle-timeout 600
 * ```
 *
 * @module
 */

import { SOCK_STREAM } from "../../socket/constants.ts";
import type { Address } from "../../socket/address.ts";
import { formatAddress } from "../../socket/_address.ts";
import { escapeControl } from "../_escape.ts";
import type { Socket } from "../../socket/socket.ts";
import { endOf } from "../_chat_messages.ts";
import {
  type Chat,
  type ChatIO,
  listenOn,
  runChat,
  type TextSink,
} from "../_chat.ts";
import type { ServerOptions } from "../_chat_args.ts";
import { checkLimits, type Limits, SendQueue } from "../_limits.ts";
import { type GateOptions, ServerGate } from "../_gate.ts";

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
export type { Limits } from "../_limits.ts";

/** Quiet time that ends a message without a newline, in milliseconds. */
export const PAUSE_MS = 100;

/** Size of each read. */
const READ_SIZE = 16384;

/** Options of {@linkcode tcpRoom}: where to listen, the gate, the limits. */
export interface RoomOptions
  extends ServerOptions, GateOptions, Partial<Limits> {}

/** Why a client left the room. */
export type LeaveReason =
  | "exit"
  | "closed"
  | "reset"
  | "timeout"
  | "too long"
  | "not reading"
  | "error"
  | "stopped";

/** One thing that happened in the room, as printed with `--json`. */
export type RoomEvent =
  | { event: "joined"; peer: string; name: string }
  | { event: "message"; peer: string; name: string; text: string }
  | { event: "renamed"; peer: string; from: string; to: string }
  | {
    event: "left";
    peer: string;
    name: string;
    reason: LeaveReason;
    message?: string;
  }
  | { event: "denied"; peer: string; message: string }
  | { event: "refused"; peer: string; message: string };

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder("utf-8", { ignoreBOM: true });
const NAME = /^[\p{L}\p{N}_.\-]{1,32}$/u;

/** Writes all of `text` to a Deno output stream. */
function writeAll(stream: { writeSync(p: Uint8Array): number }, text: string) {
  const data = ENCODER.encode(text);
  for (let written = 0; written < data.length;) {
    written += stream.writeSync(data.subarray(written));
  }
}

/** A JSON line whose text is safe for a terminal too. */
function jsonLine(event: RoomEvent): string {
  return JSON.stringify(event).replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  ) + "\n";
}

/** What a client sent: a message, or the end of the conversation. */
type Incoming =
  | { kind: "message"; text: string; turnTaking: boolean }
  | { kind: "end"; reason: LeaveReason; error?: unknown };

/**
 * Splits what a peer sends into messages (see the module documentation):
 * at newlines, and at pauses for peers that send no newline. Holds at most
 * `maxMessage` bytes of a message plus one read.
 */
class Framer {
  #sock: Socket;
  #limits: Limits;
  #pending: Promise<Uint8Array> | null = null;
  #partial: Uint8Array[] = [];
  #partialSize = 0;
  #ready: Incoming[] = [];
  #lineBased = false;
  /** Bytes of a turn-taking peer since its last pause, and when the last came. */
  #burst = 0;
  #lastData = 0;

  constructor(sock: Socket, limits: Limits) {
    this.#sock = sock;
    this.#limits = limits;
  }

  /** The next read, or `"quiet"` when `ms` pass first. */
  async #read(ms: number | null): Promise<Uint8Array | "quiet"> {
    if (!this.#pending) {
      this.#pending = this.#sock.recv(READ_SIZE);
      // If the socket is closed while nobody awaits this read.
      this.#pending.catch(() => {});
    }
    const pending = this.#pending;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const result = ms === null ? await pending : await Promise.race([
        pending,
        new Promise<"quiet">((resolve) => {
          timer = setTimeout(() => resolve("quiet"), ms);
        }),
      ]);
      if (result !== "quiet") this.#pending = null;
      return result;
    } catch (err) {
      this.#pending = null;
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  #take(tail?: Uint8Array): Incoming | null {
    const parts = tail ? [...this.#partial, tail] : this.#partial;
    const size = this.#partialSize + (tail?.length ?? 0);
    this.#partial = [];
    this.#partialSize = 0;
    if (size > this.#limits.maxMessage) {
      return { kind: "end", reason: "too long" };
    }
    let bytes: Uint8Array;
    if (parts.length === 1) bytes = parts[0];
    else {
      bytes = new Uint8Array(size);
      let at = 0;
      for (const part of parts) {
        bytes.set(part, at);
        at += part.length;
      }
    }
    let text = DECODER.decode(bytes);
    if (text.endsWith("\r")) text = text.slice(0, -1);
    return text === ""
      ? null
      : { kind: "message", text, turnTaking: !this.#lineBased };
  }

  /** Reads the next message; never rejects. */
  async next(): Promise<Incoming> {
    while (true) {
      const ready = this.#ready.shift();
      if (ready) return ready;
      const waiting = this.#partialSize > 0;
      let data: Uint8Array | "quiet";
      try {
        data = await this.#read(
          waiting
            ? PAUSE_MS
            : this.#limits.idleTimeout === null
            ? null
            : this.#limits.idleTimeout * 1000,
        );
      } catch (err) {
        const last = waiting && !this.#lineBased ? this.#take() : null;
        if (last) this.#ready.push(last);
        this.#ready.push({
          kind: "end",
          reason: endOf(err).reason,
          error: err,
        });
        continue;
      }
      if (data === "quiet") {
        if (!waiting) return { kind: "end", reason: "timeout" };
        const message = this.#take();
        if (message) this.#ready.push(message);
        continue;
      }
      if (data.length === 0) {
        const last = this.#partialSize > 0 ? this.#take() : null;
        if (last) this.#ready.push(last);
        this.#ready.push({ kind: "end", reason: "closed" });
        continue;
      }
      if (!this.#lineBased && data.includes(0x0a)) this.#lineBased = true;
      if (!this.#lineBased) {
        // Messages without newlines must come with pauses between them:
        // a stream of bytes without either is cut off like a long line.
        const now = Date.now();
        if (now - this.#lastData > PAUSE_MS) this.#burst = 0;
        this.#lastData = now;
        this.#burst += data.length;
        if (this.#burst > this.#limits.maxMessage) {
          this.#ready.push({ kind: "end", reason: "too long" });
          continue;
        }
      }
      let from = 0;
      if (this.#lineBased) {
        for (
          let newline = data.indexOf(0x0a);
          newline !== -1;
          newline = data.indexOf(0x0a, from)
        ) {
          const message = this.#take(data.subarray(from, newline));
          from = newline + 1;
          if (!message) continue;
          this.#ready.push(message);
          if (message.kind === "end") return this.#ready.shift()!;
        }
      }
      if (from < data.length) {
        const rest = data.subarray(from);
        this.#partial.push(rest);
        this.#partialSize += rest.length;
        if (this.#partialSize > this.#limits.maxMessage) {
          this.#ready.push({ kind: "end", reason: "too long" });
        } else if (!this.#lineBased && data.length < READ_SIZE) {
          // A turn-taking peer: this read is the message.
          const message = this.#take();
          if (message) this.#ready.push(message);
        }
      }
    }
  }
}

/** A client in the room. */
class Member {
  /** Its name: `IP:PORT` until `/nick`. */
  name: string;
  /** Set once the client is on its way out, with why. */
  leaving: { reason: LeaveReason; message?: string } | null = null;
  /** What waits to be sent to it. */
  readonly queue: SendQueue;

  constructor(readonly sock: Socket, readonly peer: string, maxQueued: number) {
    this.name = peer;
    this.queue = new SendQueue(sock, maxQueued, {
      onError: (err) => {
        this.leaving ??= {
          reason: endOf(err).reason,
          message: "the connection was reset",
        };
        sock.close();
      },
    });
  }
}

/** The room's state and output. */
class Room {
  readonly members = new Map<Socket, Member>();
  #chat: Chat;
  #limits: Limits;
  #out: TextSink;
  #err: TextSink;
  #json: boolean;
  #onEvent?: (event: RoomEvent) => void;
  #dropping: Member[] = [];
  #broadcasting = 0;

  constructor(
    chat: Chat,
    limits: Limits,
    io: RoomIO,
  ) {
    this.#chat = chat;
    this.#limits = limits;
    this.#out = io.stdout ?? ((text) => writeAll(Deno.stdout, text));
    this.#err = io.stderr ?? ((text) => writeAll(Deno.stderr, text));
    this.#json = chat.options.json === true;
    this.#onEvent = io.onRoomEvent;
  }

  /** Prints an event as the output contract says. */
  report(event: RoomEvent): void {
    if (this.#chat.closed) return;
    this.#onEvent?.(event);
    if (this.#json) this.#out(jsonLine(event));
    const safe = (text: string) => escapeControl(text, false);
    switch (event.event) {
      case "message":
        if (!this.#json) this.#out(`${safe(event.name)}: ${event.text}\n`);
        return;
      case "joined":
        return this.#err(`${safe(event.name)} joined\n`);
      case "renamed":
        return this.#err(`${safe(event.from)} is now ${safe(event.to)}\n`);
      case "left":
        return this.#err(
          `${safe(event.name)} left${
            event.message ? `: ${safe(event.message)}` : ""
          }\n`,
        );
      case "denied":
        return this.#err(`${event.peer} denied: ${safe(event.message)}\n`);
      case "refused":
        return this.#err(`${event.peer} refused: ${safe(event.message)}\n`);
    }
  }

  /** Queues a line for one member. */
  tell(member: Member, line: string): void {
    this.#send([member], ENCODER.encode(line));
  }

  /** Queues a line for every member but `except`. */
  broadcast(line: string, except?: Member): void {
    const data = ENCODER.encode(line);
    const targets: Member[] = [];
    for (const member of this.members.values()) {
      if (member !== except && !member.leaving) targets.push(member);
    }
    this.#send(targets, data);
  }

  #send(targets: Member[], data: Uint8Array): void {
    this.#broadcasting++;
    try {
      for (const member of targets) {
        if (!member.queue.push(data) && !member.leaving) {
          // Overflow: dropped after this broadcast, so every other member
          // gets this line before the leave announcement.
          member.leaving = {
            reason: "not reading",
            message:
              `more than ${this.#limits.maxQueued} bytes waiting (it does not read)`,
          };
          this.#dropping.push(member);
        }
      }
    } finally {
      this.#broadcasting--;
    }
    if (this.#broadcasting === 0) {
      for (const member of this.#dropping.splice(0)) member.sock.close();
    }
  }

  /** Adds a member and announces it. */
  join(sock: Socket, peer: string): Member {
    const member = new Member(sock, peer, this.#limits.maxQueued);
    const others = this.members.size;
    this.members.set(sock, member);
    this.tell(
      member,
      `* welcome, you are ${peer}; ${others} other${
        others === 1 ? "" : "s"
      } here; /nick NAME renames you, /who lists everyone, exit leaves\n`,
    );
    this.broadcast(`* ${peer} joined\n`, member);
    this.report({ event: "joined", peer, name: peer });
    return member;
  }

  /** Removes a member and announces it. */
  leave(member: Member, reason: LeaveReason, message?: string): void {
    if (!this.members.delete(member.sock)) return;
    member.leaving ??= { reason, message };
    this.broadcast(`* ${member.name} left\n`);
    this.report({
      event: "left",
      peer: member.peer,
      name: member.name,
      reason: member.leaving.reason,
      ...(member.leaving.message ? { message: member.leaving.message } : {}),
    });
  }

  /** Handles one message from a member. */
  handle(member: Member, text: string, turnTaking: boolean): "stay" | "exit" {
    if (text === "exit") return "exit";
    const safe = escapeControl(text, false);
    if (text.startsWith("/")) {
      const [command, ...args] = text.trim().split(/\s+/);
      if (command === "/nick" && args.length === 1) {
        this.#rename(member, args[0]);
        return "stay";
      }
      if (command === "/who" && args.length === 0) {
        const names = [...this.members.values()].map((m) => m.name);
        this.tell(member, `* here: ${names.join(", ")}\n`);
        return "stay";
      }
      this.tell(
        member,
        `* unknown command ${
          escapeControl(command, false)
        }: try /nick NAME, /who or exit\n`,
      );
      return "stay";
    }
    // A turn-taking sender waits for a reply before its next message: it
    // gets its own line back, in turn.
    this.broadcast(
      `${member.name}: ${safe}\n`,
      turnTaking ? undefined : member,
    );
    this.report({
      event: "message",
      peer: member.peer,
      name: member.name,
      text: safe,
    });
    return "stay";
  }

  #rename(member: Member, name: string): void {
    if (!NAME.test(name) || name.toLowerCase() === "server") {
      this.tell(
        member,
        `* a name is 1 to 32 letters, digits, '.', '_' or '-', and not "server"\n`,
      );
      return;
    }
    const taken = [...this.members.values()].some((m) =>
      m !== member && m.name.toLowerCase() === name.toLowerCase()
    );
    if (taken) {
      this.tell(member, `* the name ${name} is taken\n`);
      return;
    }
    const old = member.name;
    if (old === name) return;
    member.name = name;
    this.broadcast(`* ${old} is now ${name}\n`);
    this.report({ event: "renamed", peer: member.peer, from: old, to: name });
  }
}

/** Where the room reads and writes: {@linkcode ChatIO} plus its events. */
export interface RoomIO extends ChatIO {
  /**
   * Called with every room event, in addition to the printed output.
   *
   * @default {undefined}
   */
  onRoomEvent?: (event: RoomEvent) => void;
}

/** The text of a leave reason, for the status line. */
function leaveMessage(
  chat: Chat,
  limits: Limits,
  incoming: Incoming & { kind: "end" },
): string | undefined {
  switch (incoming.reason) {
    case "closed":
      return "closed the connection";
    case "reset":
      return "the connection was reset";
    case "timeout":
      return `no message for ${limits.idleTimeout} s (--idle-timeout)`;
    case "too long":
      return `sent more than ${limits.maxMessage} bytes without a newline or a pause (--max-message)`;
    case "error":
      return chat.explain(incoming.error).message;
    default:
      return undefined;
  }
}

/** Serves one accepted connection until it leaves. */
async function serve(
  room: Room,
  chat: Chat,
  gate: ServerGate,
  limits: Limits,
  conn: Socket,
  address: Address,
): Promise<void> {
  const peer = formatAddress(address) || "unix peer";
  const denied = gate.check(address);
  if (denied !== null) {
    conn.close();
    room.report({ event: "denied", peer, message: denied });
    return;
  }
  chat.own(conn);
  try {
    try {
      await gate.handshake(conn);
    } catch (err) {
      room.report({
        event: "refused",
        peer,
        message: `TLS handshake failed: ${chat.explain(err).message}`,
      });
      return;
    }
    if (limits.maxClients !== null && room.members.size >= limits.maxClients) {
      const message = `the room is full (--max-clients ${limits.maxClients})`;
      room.report({ event: "refused", peer, message });
      const queue = new SendQueue(conn, 4096);
      queue.push(ENCODER.encode(`* ${message}; try again later\n`));
      await Promise.race([
        queue.drained(),
        new Promise((resolve) => setTimeout(resolve, 1000)),
      ]);
      return;
    }
    const member = room.join(conn, peer);
    const framer = new Framer(conn, limits);
    while (true) {
      const incoming = await framer.next();
      if (incoming.kind === "end") {
        if (incoming.reason === "timeout" || incoming.reason === "too long") {
          const message = leaveMessage(chat, limits, incoming);
          room.tell(member, `* disconnected: ${message}\n`);
          member.leaving = { reason: incoming.reason, message };
          await Promise.race([
            member.queue.drained(),
            new Promise((resolve) => setTimeout(resolve, 1000)),
          ]);
        }
        room.leave(
          member,
          incoming.reason,
          leaveMessage(chat, limits, incoming),
        );
        return;
      }
      if (room.handle(member, incoming.text, incoming.turnTaking) === "exit") {
        room.leave(member, "exit");
        return;
      }
    }
  } finally {
    chat.release(conn);
  }
}

/**
 * Runs the chat room until Ctrl-C or `io.signal`: `pysocket tcp-server
 * --room`. See the module documentation for the protocol, the limits and
 * the output.
 *
 * Requires `allow-net` permission for the address it listens on, and
 * `allow-read` for the certificate and key with `tls`.
 *
 * @tags allow-net
 * @param options Where to listen, `json`, TLS, `allow`/`deny`, limits.
 * @param io Where to read the operator's lines and write output.
 * @returns The exit code: 1 on failure (such as an address in use), 2 for
 * bad options, 130 when interrupted.
 *
 * @example Two clients in a room
 * ```ts
 * import { tcpRoom } from "./room.ts";
 * import { create_connection } from "../../../mod.ts";
 *
 * const stop = new AbortController();
 * const listening = Promise.withResolvers<number>();
 * const room = tcpRoom({ host: "127.0.0.1", port: 0 }, {
 *   stdin: "",
 *   signal: stop.signal,
 *   stdout: () => {},
 *   stderr: () => {},
 *   onEvent: (e) => e.event === "listening" && listening.resolve(e.port!),
 * });
 * const port = await listening.promise;
 * const alice = await create_connection(["127.0.0.1", port]);
 * await alice.recv(1024); // "* welcome, you are 127.0.0.1:..."
 * const bob = await create_connection(["127.0.0.1", port]);
 * await bob.recv(1024);
 * await alice.recv(1024); // "* 127.0.0.1:... joined"
 * await bob.sendall(new TextEncoder().encode("/nick bob\nhi all\n"));
 * const heard = new TextDecoder().decode(await alice.recv(1024));
 * console.log(heard.startsWith("* 127.0.0.1:")); // true: "... is now bob", then "bob: hi all"
 * alice.close();
 * bob.close();
 * stop.abort();
 * console.log(await room); // 130
 * ```
 */
export async function tcpRoom(
  options: RoomOptions = {},
  io: RoomIO = {},
): Promise<number> {
  let limits: Limits;
  let gate: ServerGate;
  try {
    limits = checkLimits(options);
    gate = new ServerGate(options);
  } catch (err) {
    (io.stderr ?? ((text) => writeAll(Deno.stderr, text)))(
      `pysocket tcp-server: ${
        (err as Error).message
      } (see pysocket tcp-server --help)\n`,
    );
    return 2;
  }
  const chatIO: ChatIO = { ...io, interactive: false };
  return await runChat(
    "tcp-server",
    options,
    chatIO,
    async (chat, endpoint) => {
      const room = new Room(chat, limits, io);
      const server = await listenOn(chat, endpoint, SOCK_STREAM, {
        backlog: 1024,
        wrap: (s) => gate.listen(s),
      });
      operator(chat, room).catch(() => {});
      while (true) {
        let conn: Socket, address: Address;
        try {
          [conn, address] = await server.accept();
        } catch (err) {
          if (chat.closed) return 130;
          const code = (err as { errno?: number; code?: string }).code;
          if (code === "EMFILE" || code === "ENFILE") {
            // Out of file descriptors: wait for clients to leave.
            await new Promise((resolve) => setTimeout(resolve, 100));
            continue;
          }
          if (err instanceof Error && err.name.startsWith("SSL")) continue;
          throw chat.explain(err, `cannot accept on ${endpoint.display}`);
        }
        serve(room, chat, gate, limits, conn, address).catch(() => {});
      }
    },
  );
}

/** Broadcasts each line of the operator's input as `server: TEXT`. */
async function operator(chat: Chat, room: Room): Promise<void> {
  chat.readAhead();
  while (!chat.closed) {
    const reply = await chat.readReply("server>", { skipEmpty: true });
    if (reply.kind !== "line") return;
    room.broadcast(`server: ${escapeControl(reply.line, false)}\n`);
  }
}
