/**
 * Received bytes to chat messages: decoding, the trailing newline of line-
 * based peers, and what counts as one message on a stream socket. See the
 * output contract in `_chat.ts`.
 *
 * @module
 */

import {
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionResetError,
} from "../socket/errors.ts";
import type { Socket } from "../socket/socket.ts";

/** Size of each read, and of each datagram received. */
export const BUFSIZE = 65536;

/**
 * How long to wait for the rest of a character when a read brought only
 * its first bytes, in seconds.
 */
const SPLIT_CHAR_WAIT = 0.2;

/** A received message, or the end of the conversation. */
export type Incoming =
  | { kind: "message"; data: Uint8Array; text: string }
  | { kind: "end"; reason: "closed" | "reset" | "error"; error?: unknown };

/**
 * How many bytes at the end of `data` start a UTF-8 character that is not
 * complete yet (0 when the last character is complete or invalid).
 */
function incompleteTail(data: Uint8Array): number {
  for (let back = 1; back <= Math.min(3, data.length); back++) {
    const b = data[data.length - back];
    if ((b & 0xc0) === 0x80) continue; // A continuation byte: look further.
    const need = b >= 0xc2 && b <= 0xdf
      ? 2
      : b >= 0xe0 && b <= 0xef
      ? 3
      : b >= 0xf0 && b <= 0xf4
      ? 4
      : 1;
    return need > back ? back : 0;
  }
  return 0;
}

/** Drops one trailing `\n` or `\r\n`: a newline from `nc` ends a message. */
function chomp(text: string): string {
  if (text.endsWith("\r\n")) return text.slice(0, -2);
  if (text.endsWith("\n")) return text.slice(0, -1);
  return text;
}

/**
 * Decodes one datagram as a message: UTF-8, invalid bytes as U+FFFD, one
 * trailing newline dropped.
 *
 * @param data The datagram.
 * @returns The message text.
 */
export function datagramText(data: Uint8Array): string {
  return chomp(new TextDecoder("utf-8", { ignoreBOM: true }).decode(data));
}

/** Splits after each `\n` (a `\n` always is byte 0x0a, and the reverse). */
function splitAfterNewlines(data: Uint8Array): Uint8Array[] {
  const parts: Uint8Array[] = [];
  let from = 0;
  for (let i = data.indexOf(0x0a); i !== -1; i = data.indexOf(0x0a, from)) {
    parts.push(data.subarray(from, i + 1));
    from = i + 1;
  }
  if (from < data.length) parts.push(data.subarray(from));
  return parts;
}

/** Classifies why a read or write on a connection failed. */
export function endOf(err: unknown): Incoming & { kind: "end" } {
  const reset = err instanceof ConnectionResetError ||
    err instanceof ConnectionAbortedError || err instanceof BrokenPipeError;
  return { kind: "end", reason: reset ? "reset" : "error", error: err };
}

/**
 * Reads messages from a stream socket. As in the tutorial, what one `recv`
 * returns is one message (at most 64 KiB: a longer message shows as
 * several), with two refinements:
 *
 * - The bytes are decoded as one stream: a character split between two
 *   reads is shown whole, at the start of the second message. A read that
 *   brings only part of a character waits briefly for the rest.
 * - Several newline-ended lines that arrive in one read (from `nc`, such
 *   as `hi\nexit\n`) are one message each.
 */
export class StreamMessages {
  #sock: Socket;
  #decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  #queue: Incoming[] = [];

  /**
   * Reads from `sock`.
   *
   * @param sock A connected stream socket.
   */
  constructor(sock: Socket) {
    this.#sock = sock;
  }

  /**
   * Reads the next message. Never rejects: failures are an `end`.
   *
   * @returns The message, or why there is none.
   */
  async read(): Promise<Incoming> {
    const queued = this.#queue.shift();
    if (queued) return queued;
    let data: Uint8Array;
    try {
      data = await this.#sock.recv(BUFSIZE);
    } catch (err) {
      return endOf(err);
    }
    if (data.length === 0) {
      // A character cut short by the end of the stream is shown as U+FFFD.
      const rest = this.#decoder.decode();
      if (rest === "") return { kind: "end", reason: "closed" };
      this.#queue.push({ kind: "end", reason: "closed" });
      return { kind: "message", data, text: rest };
    }
    let text = this.#decoder.decode(data, { stream: true });
    while (text === "" && incompleteTail(data) > 0) {
      const more = await this.#soon();
      if (!more) {
        text = this.#decoder.decode();
        break;
      }
      const joined = new Uint8Array(data.length + more.length);
      joined.set(data);
      joined.set(more, data.length);
      data = joined;
      text = this.#decoder.decode(more, { stream: true });
    }
    const lines = text.endsWith("\n") ? text.split(/(?<=\n)/) : [text];
    const bytes = lines.length > 1 ? splitAfterNewlines(data) : [data];
    const [first, ...rest] = lines.map((line, i): Incoming => ({
      kind: "message",
      data: bytes[i],
      text: chomp(line),
    }));
    this.#queue.push(...rest);
    return first;
  }

  /** The next bytes if they come soon; `null` otherwise. */
  async #soon(): Promise<Uint8Array | null> {
    // A read that times out stays pending inside the socket: nothing is lost.
    this.#sock.settimeout(SPLIT_CHAR_WAIT);
    try {
      const more = await this.#sock.recv(BUFSIZE);
      return more.length > 0 ? more : null;
    } catch {
      // A timeout, or a failure that the next read meets again and reports.
      return null;
    } finally {
      this.#sock.settimeout(null);
    }
  }
}
