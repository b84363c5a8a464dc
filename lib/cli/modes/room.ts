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
 *   in the tutorial; `/nick NAME` renames, `/who` lists who is here. A
 *   name that looks like the operator's, another member's or an address
 *   is refused (see `room_names.ts`).
 *
 * Text is decoded as UTF-8 (invalid bytes become U+FFFD) and control
 * characters and terminal escapes are made visible (`\x1b`) before the
 * message is relayed or printed: no peer can drive another's terminal or
 * the operator's.
 *
 * ## Limits (see `_limits.ts`)
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
 * The server engine (`_server.ts`) accepts, gates and counts the
 * connections; this file is what happens inside the room.
 *
 * @example Run it
 * ```sh
 * pysocket tcp-server --room --port 8888 --max-clients 50 --idle-timeout 600
 * ```
 *
 * @module
 */

import { escapeControl } from "../_escape.ts";
import type { LeaveReason, RoomEvent } from "../_events.ts";
import { endOf } from "../_messages.ts";
import { jsonLine } from "../_output.ts";
import type { Run } from "../_run.ts";
import { SendQueue } from "../_send_queue.ts";
import { serve, type Session } from "../_server.ts";
import type { Limits } from "../_limits.ts";
import type { Socket } from "../../socket/socket.ts";
import { Deadline, TIMED_OUT } from "../../socket/_deadline.ts";
import { checkName } from "./room_names.ts";

/** Quiet time that ends a message without a newline, in seconds. */
export const PAUSE_SECONDS = 0.1;

/** The longest a line waits in a busy room, batched with others, in seconds. */
const BATCH_SECONDS = 0.05;
/** Lines waiting that make a batch go at once, in bytes. */
const BATCH_BYTES = 16384;

/** How long a leaving or refused client's last notice may take to go out. */
const NOTICE_SECONDS = 1;

/**
 * Sizes of a member's reads: small while it is idle (a thousand idle
 * members hold a thousand pending reads), doubling while reads come back
 * full, halving when they come back mostly empty.
 */
const READ_MIN = 1024;
const READ_MAX = 16384;

const ENCODER = new TextEncoder();
const DECODER = new TextDecoder("utf-8", { ignoreBOM: true });

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
  #maxMessage: number;
  #idleTimeout: number | null;
  #timer = new Deadline();
  #pending: Promise<Uint8Array> | null = null;
  #size = READ_MIN;
  /** The size the pending (or last) read asked for. */
  #asked = READ_MIN;
  #partial: Uint8Array[] = [];
  #partialSize = 0;
  #ready: Incoming[] = [];
  #lineBased = false;
  /** Bytes of a turn-taking peer since its last pause, and when the last came. */
  #burst = 0;
  #lastData = 0;

  constructor(sock: Socket, maxMessage: number, idleTimeout: number | null) {
    this.#sock = sock;
    this.#maxMessage = maxMessage;
    this.#idleTimeout = idleTimeout;
  }

  /** Stops the timer (the member left). */
  close(): void {
    this.#timer.clear();
  }

  /** The next read, or `TIMED_OUT` when `seconds` pass first. */
  async #read(seconds: number | null): Promise<Uint8Array | typeof TIMED_OUT> {
    if (!this.#pending) {
      this.#asked = this.#size;
      this.#pending = this.#sock.recv(this.#size);
      // If the socket is closed while nobody awaits this read.
      this.#pending.catch(() => {});
    }
    try {
      const result = await this.#timer.within(this.#pending, seconds);
      if (result !== TIMED_OUT) {
        this.#pending = null;
        if (result.length === this.#asked) {
          this.#size = Math.min(READ_MAX, this.#asked * 2);
        } else if (result.length < this.#asked / 4) {
          this.#size = Math.max(READ_MIN, this.#asked / 2);
        }
      }
      return result;
    } catch (err) {
      this.#pending = null;
      throw err;
    }
  }

  #take(tail?: Uint8Array): Incoming | null {
    const parts = tail ? [...this.#partial, tail] : this.#partial;
    const size = this.#partialSize + (tail?.length ?? 0);
    this.#partial = [];
    this.#partialSize = 0;
    if (size > this.#maxMessage) return { kind: "end", reason: "too long" };
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
      let data: Uint8Array | typeof TIMED_OUT;
      try {
        data = await this.#read(waiting ? PAUSE_SECONDS : this.#idleTimeout);
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
      if (data === TIMED_OUT) {
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
        const now = performance.now();
        if (now - this.#lastData > PAUSE_SECONDS * 1000) this.#burst = 0;
        this.#lastData = now;
        this.#burst += data.length;
        if (this.#burst > this.#maxMessage) {
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
        if (this.#partialSize > this.#maxMessage) {
          this.#ready.push({ kind: "end", reason: "too long" });
        } else if (!this.#lineBased && data.length < this.#asked) {
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
  /** When it joined, in the room's order of lines: it gets later ones. */
  joined = 0;

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

/**
 * A line waiting to go out, in the room's order: for one member (`only`),
 * or for every member that had joined by then but `except`.
 */
interface Outgoing {
  seq: number;
  data: Uint8Array;
  only?: Member;
  except?: Member;
}

/** The room's state and output. */
class Room {
  readonly members = new Map<Socket, Member>();
  #run: Run;
  #limits: Limits;
  /**
   * Lines waiting to go out, in order: for one member (`only`), or for
   * every member that had joined by then but `except`.
   */
  #outbox: Outgoing[] = [];
  #seq = 0;
  #outboxBytes = 0;
  #flushing = false;
  #lastFlush = -Infinity;
  /** Waits of notices to members on their way out, and the batch timer. */
  readonly notices = new Deadline();

  constructor(run: Run) {
    this.#run = run;
    this.#limits = run.plan.limits;
  }

  /** Prints an event as the output contract says. */
  report(event: RoomEvent): void {
    const run = this.#run;
    if (run.closed) return;
    run.io.onRoomEvent?.(event);
    const json = run.plan.json;
    if (json) run.out.text(jsonLine(event));
    const safe = (text: string) => escapeControl(text, false);
    switch (event.event) {
      case "message":
        if (!json) run.out.text(`${safe(event.name)}: ${event.text}\n`);
        return;
      case "joined":
        return run.err.text(`${safe(event.name)} joined\n`);
      case "renamed":
        return run.err.text(`${safe(event.from)} is now ${safe(event.to)}\n`);
      case "left":
        return run.err.text(
          `${safe(event.name)} left${
            event.message ? `: ${safe(event.message)}` : ""
          }\n`,
        );
    }
  }

  /** Queues a line for one member. */
  tell(member: Member, line: string): void {
    this.#queue({ seq: ++this.#seq, data: ENCODER.encode(line), only: member });
  }

  /** Queues a line for every member but `except`. */
  broadcast(line: string, except?: Member): void {
    this.#queue({ seq: ++this.#seq, data: ENCODER.encode(line), except });
  }

  #queue(entry: Outgoing): void {
    this.#outbox.push(entry);
    this.#outboxBytes += entry.data.length;
    // Large lines go at once: batching is for many small ones.
    if (this.#outboxBytes >= BATCH_BYTES) this.flush();
    else this.#schedule();
  }

  /**
   * Sends what waits in the outbox: at once when the room is quiet, else
   * at most every {@linkcode BATCH_SECONDS}, so that a burst (a thousand
   * clients joining, each announced to all) costs each member one write
   * per batch instead of one per line.
   */
  #schedule(): void {
    if (this.#flushing) return;
    this.#flushing = true;
    const wait = this.#lastFlush + BATCH_SECONDS * 1000 - performance.now();
    if (wait <= 0) queueMicrotask(() => this.flush());
    else this.notices.sleep(wait / 1000).then(() => this.flush());
  }

  /** Sends every line waiting, now: each member's in one write. */
  flush(): void {
    this.#flushing = false;
    this.#lastFlush = performance.now();
    const entries = this.#outbox;
    if (entries.length === 0) return;
    this.#outbox = [];
    this.#outboxBytes = 0;
    const dropping: Member[] = [];
    for (const member of this.members.values()) {
      if (member.leaving) continue;
      const parts: Uint8Array[] = [];
      let size = 0;
      for (const entry of entries) {
        if (
          entry.only
            ? entry.only === member
            : entry.except !== member && entry.seq > member.joined
        ) {
          parts.push(entry.data);
          size += entry.data.length;
        }
      }
      if (size === 0) continue;
      let data = parts[0];
      if (parts.length > 1) {
        data = new Uint8Array(size);
        let at = 0;
        for (const part of parts) {
          data.set(part, at);
          at += part.length;
        }
      }
      if (!member.queue.push(data)) {
        // Overflow: dropped after this batch, so every other member gets
        // its lines before the leave announcement.
        member.leaving = {
          reason: "not reading",
          message:
            `more than ${this.#limits.maxQueued} bytes waiting (it does not read)`,
        };
        dropping.push(member);
      }
    }
    for (const member of dropping) member.sock.close();
  }

  /** Adds a member and announces it. */
  join(sock: Socket, peer: string): Member {
    const member = new Member(sock, peer, this.#limits.maxQueued);
    const others = this.members.size;
    member.joined = this.#seq;
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

  #rename(member: Member, asked: string): void {
    const others = [...this.members.values()].filter((m) => m !== member)
      .map((m) => m.name);
    const checked = checkName(asked, others);
    if (!checked.ok) {
      this.tell(member, `* ${escapeControl(checked.reason, false)}\n`);
      return;
    }
    const old = member.name;
    const name = checked.name;
    if (old === name) return;
    member.name = name;
    this.broadcast(`* ${old} is now ${name}\n`);
    this.report({ event: "renamed", peer: member.peer, from: old, to: name });
  }
}

/** The text of a leave reason, for the status line. */
function leaveMessage(
  run: Run,
  incoming: Incoming & { kind: "end" },
): string | undefined {
  switch (incoming.reason) {
    case "closed":
      return "closed the connection";
    case "reset":
      return "the connection was reset";
    case "timeout":
      return `no message for ${run.plan.idleTimeout} s (--idle-timeout)`;
    case "too long":
      return `sent more than ${run.plan.limits.maxMessage} bytes without a newline or a pause (--max-message)`;
    case "error":
      return run.explain(incoming.error).message;
    default:
      return undefined;
  }
}

/** Serves one member until it leaves. */
async function member(run: Run, room: Room, session: Session): Promise<void> {
  const { sock } = session;
  const peer = session.peer || "unix peer";
  const joined = room.join(sock, peer);
  const framer = new Framer(
    sock,
    run.plan.limits.maxMessage,
    run.plan.idleTimeout,
  );
  try {
    while (true) {
      const incoming = await framer.next();
      if (incoming.kind === "end") {
        if (incoming.reason === "timeout" || incoming.reason === "too long") {
          const message = leaveMessage(run, incoming);
          room.tell(joined, `* disconnected: ${message}\n`);
          room.flush();
          joined.leaving = { reason: incoming.reason, message };
          await room.notices.within(joined.queue.drained(), NOTICE_SECONDS);
        }
        room.leave(joined, incoming.reason, leaveMessage(run, incoming));
        return;
      }
      if (room.handle(joined, incoming.text, incoming.turnTaking) === "exit") {
        room.leave(joined, "exit");
        return;
      }
    }
  } finally {
    framer.close();
    // However the session ends, the member is gone.
    room.leave(joined, "error");
  }
}

/**
 * Runs the chat room until Ctrl-C or `io.signal`: `pysocket tcp-server
 * --room`. See the module documentation for the protocol, the limits and
 * the output.
 *
 * @param run The run, its plan in room mode.
 * @returns The exit code: 1 on failure (such as an address in use), 130
 * when interrupted.
 */
export function tcpRoom(run: Run): Promise<number> {
  const room = new Room(run);
  operator(run, room);
  return serve(run, (session) => member(run, room, session), {
    backlog: 1024,
    fullMessage:
      `the room is full (--max-clients ${run.plan.limits.maxClients})`,
    onFull: async ({ sock }, message) => {
      const queue = new SendQueue(sock, 4096);
      queue.push(ENCODER.encode(`* ${message}; try again later\n`));
      await room.notices.within(queue.drained(), NOTICE_SECONDS);
    },
  }).finally(() => room.notices.clear());
}

/** Broadcasts each line of the operator's input as `server: TEXT`. */
async function operator(run: Run, room: Room): Promise<void> {
  run.readAhead();
  try {
    while (!run.closed) {
      const reply = await run.readReply("server>", { skipEmpty: true });
      if (reply.kind !== "line") return;
      room.broadcast(`server: ${escapeControl(reply.line, false)}\n`);
    }
  } catch (err) {
    // The room goes on without its operator; say why once.
    if (!run.closed) {
      run.err.text(
        `pysocket tcp-server: the operator's input failed, the room goes on: ${
          run.explain(err).message
        }\n`,
      );
    }
  }
}
