/**
 * Standard input of the chat programs: lines read ahead in the background,
 * so a writer never blocks on a full pipe while a program waits for the
 * network, and so a wait for the next line can be raced against the peer
 * going away without losing the line.
 *
 * @module
 */

import { type ByteReader, LineReader } from "./text.ts";

const ENCODER = new TextEncoder();

/** How many lines of input may be read ahead of their use. */
const READ_AHEAD = 256;

/**
 * Lines of input, read ahead in the background (up to
 * {@linkcode READ_AHEAD} of them), so that a writer never blocks on a full
 * pipe, and so that a wait for input can be raced against the network
 * without losing a line.
 */
export class InputLines {
  #reader: LineReader;
  #queue: (string | null)[] = [];
  #failure: { error: unknown } | null = null;
  #waiters = new Set<() => void>();
  #exhaustedWaiters = new Set<() => void>();
  #room: (() => void) | null = null;
  #started = false;

  /**
   * Reads lines from `source`, once {@linkcode InputLines.start} is called.
   *
   * @param source Where the bytes come from.
   */
  constructor(source: ByteReader) {
    this.#reader = new LineReader(source);
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
        while (this.#queue.length >= READ_AHEAD) {
          await new Promise<void>((resolve) => this.#room = resolve);
        }
        const line = await this.#reader.readLine();
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
    return new Promise((resolve) => this.#waiters.add(resolve));
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
 * The lines of a run's input, already reading ahead: the process's stdin
 * (shared by every run, so no line read ahead is lost between runs), any
 * other byte source, or a string holding the whole input.
 *
 * @param source Where the input comes from; `Deno.stdin` when left out.
 * @returns The lines.
 */
export function inputLines(source?: ByteReader | string): InputLines {
  const lines = typeof source === "string"
    ? new InputLines(stringSource(source))
    : source
    ? new InputLines(source)
    : (stdinLines ??= new InputLines(Deno.stdin));
  lines.start();
  return lines;
}

/** A byte source that serves a string once. */
function stringSource(text: string): ByteReader {
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
