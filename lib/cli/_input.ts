/**
 * Standard input of the chat programs: lines read ahead in the background
 * from a pipe or file, so a writer never blocks on a full pipe while a
 * program waits for the network; from a terminal, read only when wanted,
 * so nothing is left reading the terminal once a program is done. Either
 * way a wait for the next line can be raced against the peer going away
 * without losing the line.
 *
 * @module
 */

import { type ByteReader, LineReader } from "../socket/_line_reader.ts";

const ENCODER = new TextEncoder();

/** How many lines of input may be read ahead of their use. */
const READ_AHEAD = 256;

/**
 * Lines of input, read in the background: ahead of their use (up to
 * {@linkcode READ_AHEAD} of them) when `eager`, else one at a time while
 * someone waits. A wait for a line can be abandoned (it lost a race against
 * the network) without losing the line.
 */
export class InputLines {
  #reader: LineReader;
  #queue: (string | null)[] = [];
  #failure: { error: unknown } | null = null;
  #waiters = new Set<() => void>();
  #exhaustedWaiters = new Set<() => void>();
  #room: (() => void) | null = null;
  #started = false;
  #eager: boolean;
  #dropping = false;

  /**
   * Reads lines from `source`, once {@linkcode InputLines.start} is called.
   *
   * @param source Where the bytes come from.
   * @param eager Whether to read ahead, rather than only while awaited.
   */
  constructor(source: ByteReader, eager: boolean) {
    this.#reader = new LineReader(source);
    this.#eager = eager;
  }

  /** How many lines the queue may hold before reading pauses. */
  #limit(): number {
    if (this.#eager) return READ_AHEAD;
    return this.#waiters.size > 0 ? 1 : 0;
  }

  /** Starts reading in the background (once). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#pump();
  }

  async #pump(): Promise<void> {
    try {
      while (true) {
        while (this.#queue.length >= this.#limit()) {
          await new Promise<void>((resolve) => this.#room = resolve);
        }
        const line = await this.#reader.readLine();
        if (this.#dropping && line !== null) continue;
        this.#queue.push(line);
        this.#wake();
        if (line === null) return;
      }
    } catch (error) {
      this.#failure = { error };
      this.#wake();
    }
  }

  #wake(): void {
    for (const wake of this.#waiters) wake();
    this.#waiters.clear();
    if (this.exhausted) {
      for (const done of this.#exhaustedWaiters) done();
      this.#exhaustedWaiters.clear();
    }
  }

  /**
   * Drops the lines that arrive from now on, until
   * {@linkcode InputLines.keepLines}: at a terminal, what is typed while
   * nothing is asked (the reply to a client that has left) is not sent to
   * anyone later.
   */
  dropLines(): void {
    this.#dropping = true;
  }

  /** Keeps the lines that arrive from now on (a reply is asked for). */
  keepLines(): void {
    this.#dropping = false;
  }

  /** Whether the input has ended and every line has been taken. */
  get exhausted(): boolean {
    return this.#queue.length === 1 && this.#queue[0] === null;
  }

  /** Resolves once {@linkcode InputLines.exhausted} is true. */
  whenExhausted(): Promise<void> {
    if (this.exhausted) return Promise.resolve();
    return new Promise((resolve) => this.#exhaustedWaiters.add(resolve));
  }

  /** Whether {@linkcode InputLines.take} has something to return now. */
  get ready(): boolean {
    return this.#queue.length > 0 || this.#failure !== null;
  }

  /** Resolves once {@linkcode InputLines.ready} is true. */
  wait(): Promise<void> {
    if (this.ready) return Promise.resolve();
    const waiting = new Promise<void>((resolve) => this.#waiters.add(resolve));
    this.#room?.();
    this.#room = null;
    return waiting;
  }

  /**
   * Takes the next line; `null` at end of input (and every time after).
   * Throws if reading failed.
   */
  take(): string | null {
    if (this.#queue.length === 0 && this.#failure) throw this.#failure.error;
    const line = this.#queue[0];
    if (line !== null) this.#queue.shift();
    this.#room?.();
    this.#room = null;
    if (this.exhausted) this.#wake();
    return line ?? null;
  }
}

/** The input of the process's own stdin, shared by every run. */
let stdinLines: InputLines | undefined;

/**
 * The lines of a run's input, started: the process's stdin (shared by
 * every run, so no line read ahead is lost between runs; read ahead unless
 * it is a terminal), any other byte source, or a string holding the whole
 * input.
 *
 * @param source Where the input comes from; `Deno.stdin` when left out.
 * @returns The lines.
 */
export function inputLines(source?: ByteReader | string): InputLines {
  const lines = typeof source === "string"
    ? new InputLines(stringSource(source), true)
    : source
    ? new InputLines(source, true)
    : (stdinLines ??= new InputLines(Deno.stdin, !Deno.stdin.isTerminal()));
  lines.start();
  return lines;
}

/**
 * A byte source that serves a string once (a `ChatIO.stdin` given as text).
 *
 * @param text The text.
 * @returns A reader that yields its UTF-8 bytes, then end of input.
 */
export function stringSource(text: string): ByteReader {
  let rest = ENCODER.encode(text);
  return {
    read(p: Uint8Array): Promise<number | null> {
      if (rest.length === 0) return Promise.resolve(null);
      const n = Math.min(p.length, rest.length);
      p.set(rest.subarray(0, n));
      rest = rest.subarray(n);
      return Promise.resolve(n);
    },
  };
}

/**
 * `--crlf`: the bytes of `source` with each line feed not already after a
 * carriage return sent as `\r\n` (ncat's `-C`). A `\r` at the end of one
 * read and a `\n` at the start of the next count as one `\r\n`. Each read
 * returns at most half of `p`, so the added bytes always fit.
 *
 * @param source Where the bytes come from.
 * @returns The converted bytes.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { crlfSource, stringSource } from "./_input.ts";
 * const source = crlfSource(stringSource("a\nb\r\nc\n"));
 * const buffer = new Uint8Array(64);
 * const n = await source.read(buffer);
 * assert.equal(new TextDecoder().decode(buffer.subarray(0, n!)), "a\r\nb\r\nc\r\n");
 * ```
 */
export function crlfSource(source: ByteReader): ByteReader {
  let afterCr = false;
  let scratch = new Uint8Array(0);
  return {
    async read(p: Uint8Array): Promise<number | null> {
      const half = Math.max(1, p.length >> 1);
      if (scratch.length < half) scratch = new Uint8Array(half);
      const n = await source.read(scratch.subarray(0, half));
      if (n === null || n === 0) return n;
      let out = 0;
      for (let i = 0; i < n; i++) {
        const byte = scratch[i];
        if (byte === 0x0a && !afterCr) p[out++] = 0x0d;
        p[out++] = byte;
        afterCr = byte === 0x0d;
      }
      return out;
    },
  };
}
