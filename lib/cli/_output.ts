/**
 * The one way the command writes: text or bytes to stdout or stderr (or to
 * a sink given in code), and events as JSON lines.
 *
 * Writing never stalls the network side. Writes to the process's streams
 * go through one queue, in order, written by Deno's asynchronous writes:
 * a reader that stops reading (`| sleep 40`, Ctrl-S at a terminal) holds
 * up only its own stream. A write that takes longer than
 * {@linkcode STUCK_SECONDS} marks its stream stuck, and the other stream's
 * lines go on past it. Each stream holds at most {@linkcode MAX_QUEUED}
 * bytes waiting: past that, lines are dropped and counted, and the count
 * is reported on stderr once the stream drains. Bytes of a stream mode are
 * never dropped: their writer waits for room instead (and so stops
 * reading from the network, which TCP turns into back-pressure). A stream
 * whose reader has gone (a broken pipe) is reported once; what is written
 * to it afterwards is dropped.
 *
 * Nothing here uses `writeSync` on the process's streams: Deno's
 * asynchronous write holds the stream's lock while it waits, and a
 * synchronous write meanwhile would freeze the whole program.
 *
 * @module
 */

import { Deadline, TIMED_OUT } from "../socket/_deadline.ts";

/**
 * Receives text to write, such as a line for stdout.
 *
 * @example Keep the output in memory
 * ```ts
 * import assert from "node:assert/strict";
 * import type { TextSink } from "@pysocket/pysocket/cli";
 * let output = "";
 * const sink: TextSink = (text) => output += text;
 * sink("server>hello\n");
 * assert.equal(output, "server>hello\n");
 * ```
 */
export type TextSink = (text: string) => void;

/** The most bytes that may wait for one stream. */
export const MAX_QUEUED = 1 << 20;
/** How long a write may take before its stream counts as stuck. */
export const STUCK_SECONDS = 0.2;

const ENCODER = new TextEncoder();

/** A Deno output stream: `Deno.stdout` or `Deno.stderr`. */
export interface WriteStream {
  write(p: Uint8Array): Promise<number>;
}

async function writeAll(stream: WriteStream, data: Uint8Array): Promise<void> {
  for (let written = 0; written < data.length;) {
    written += await stream.write(data.subarray(written));
  }
}

/** What an {@linkcode Output} tells its run. */
export interface OutputHandlers {
  /** The reader went away (a broken pipe); called once. */
  onBroken?: (error: unknown) => void;
  /** Lines were dropped while the stream was blocked; called as it drains. */
  onDropped?: (lines: number) => void;
}

/** One output of a run: stdout or stderr, or a sink given in code. */
export class Output {
  #sink: TextSink | null;
  #stream: WriteStream;
  #queue: OutputQueue;
  /** Bytes waiting for this stream. */
  queued = 0;
  /** Chunks held back while this stream is stuck, in order. */
  held: Uint8Array[] = [];
  /** Whether a write to this stream is taking long. */
  stuck = false;
  /** The failure that ended this stream, if its reader went away. */
  broken: unknown = null;
  #dropped = 0;
  #room: (() => void)[] = [];
  /** What to tell the run. */
  handlers: OutputHandlers = {};

  /**
   * Writes to `sink` when given, else to `stream` through `queue`.
   *
   * @param sink Where text goes, in code.
   * @param stream The process's stream.
   * @param queue The queue shared by the process's streams.
   */
  constructor(
    sink: TextSink | undefined,
    stream: WriteStream,
    queue: OutputQueue,
  ) {
    this.#sink = sink ?? null;
    this.#stream = stream;
    this.#queue = queue;
  }

  /** Whether this writes to the process's stream (not a sink in code). */
  get toProcess(): boolean {
    return this.#sink === null;
  }

  /** The process's stream. */
  get stream(): WriteStream {
    return this.#stream;
  }

  /**
   * Writes text (a line ends with its `\n`); never waits. While the stream
   * is blocked and its queue full, the text is dropped and counted.
   *
   * @param text The text.
   */
  text(text: string): void {
    if (this.#sink) return this.#sink(text);
    if (this.broken) return;
    const data = ENCODER.encode(text);
    if (this.queued + data.length > MAX_QUEUED) {
      this.#dropped++;
      return;
    }
    this.#queue.add(this, data);
  }

  /**
   * Writes bytes (stream mode), never dropping them: waits while the
   * stream's queue is full.
   *
   * @param data The bytes (not copied: do not change them afterwards).
   * @returns A promise of the bytes queued.
   * @throws The stream's failure, if its reader has gone.
   */
  async bytes(data: Uint8Array): Promise<void> {
    if (this.#sink) {
      // Code that gives a sink for text gets bytes through `ChatIO.output`.
      throw new TypeError("bytes() needs a process stream");
    }
    while (this.queued > 0 && this.queued + data.length > MAX_QUEUED) {
      if (this.broken) throw this.broken;
      await new Promise<void>((resolve) => this.#room.push(resolve));
    }
    if (this.broken) throw this.broken;
    this.#queue.add(this, data);
  }

  /** Called by the queue as bytes of this stream are written. */
  written(bytes: number): void {
    this.queued -= bytes;
    for (const wake of this.#room.splice(0)) wake();
    if (this.queued === 0 && this.#dropped > 0) {
      const lines = this.#dropped;
      this.#dropped = 0;
      this.handlers.onDropped?.(lines);
    }
  }

  /** Called by the queue when the reader has gone. */
  fail(error: unknown): void {
    if (this.broken) return;
    this.broken = error;
    this.queued = 0;
    this.held = [];
    for (const wake of this.#room.splice(0)) wake();
    this.handlers.onBroken?.(error);
  }

  /**
   * Resolves once everything queued for this stream is written (or it
   * broke), or after `seconds`.
   *
   * @param seconds The longest wait; `null` for none.
   * @returns A promise of that moment.
   */
  async flush(seconds: number | null = null): Promise<void> {
    if (this.#sink) return;
    const end = seconds === null
      ? Infinity
      : performance.now() + seconds * 1000;
    const timer = new Deadline();
    try {
      while (this.queued > 0 && !this.broken) {
        const left = end - performance.now();
        if (left <= 0) return;
        const waited = new Promise<void>((resolve) => this.#room.push(resolve));
        if (
          await timer.within(waited, left === Infinity ? null : left / 1000) ===
            TIMED_OUT
        ) return;
      }
    } finally {
      timer.clear();
    }
  }
}

/** The ordered queue of writes to the process's stdout and stderr. */
export class OutputQueue {
  #fifo: { output: Output; data: Uint8Array }[] = [];
  #pumping = false;
  #timer = new Deadline();

  /**
   * Queues bytes for an output, in order with every other output's.
   *
   * @param output The output.
   * @param data The bytes.
   */
  add(output: Output, data: Uint8Array): void {
    output.queued += data.length;
    if (output.stuck) output.held.push(data);
    else this.#fifo.push({ output, data });
    if (!this.#pumping) this.#pump();
  }

  async #pump(): Promise<void> {
    this.#pumping = true;
    try {
      while (this.#fifo.length > 0) {
        const { output, data } = this.#fifo.shift()!;
        if (output.broken) continue;
        if (output.stuck) {
          output.held.push(data);
          continue;
        }
        const writing = writeAll(output.stream, data).then(
          () => output.written(data.length),
          (err) => output.fail(err),
        );
        if (await this.#timer.within(writing, STUCK_SECONDS) === TIMED_OUT) {
          // This stream's reader is slow or gone: the others go on.
          output.stuck = true;
          this.#unstick(output, writing);
        }
      }
    } finally {
      this.#pumping = false;
    }
  }

  /** Writes a stuck output's held chunks, in order, once it moves again. */
  async #unstick(output: Output, writing: Promise<void>): Promise<void> {
    await writing;
    while (output.held.length > 0 && !output.broken) {
      const data = output.held.shift()!;
      try {
        await writeAll(output.stream, data);
        output.written(data.length);
      } catch (err) {
        output.fail(err);
      }
    }
    output.stuck = false;
  }
}

/** The process's own stdout and stderr, shared by every run. */
let processOutputs: { out: Output; err: Output } | undefined;

/**
 * The stdout and stderr of a run: the sinks given in code, or the
 * process's streams through their shared queue.
 *
 * @param io The sinks, when given.
 * @returns The two outputs.
 */
export function outputsOf(
  io: { stdout?: TextSink; stderr?: TextSink } | undefined,
): { out: Output; err: Output } {
  if (!processOutputs) {
    const queue = new OutputQueue();
    processOutputs = {
      out: new Output(undefined, Deno.stdout, queue),
      err: new Output(undefined, Deno.stderr, queue),
    };
  }
  const queue = new OutputQueue();
  return {
    out: io?.stdout
      ? new Output(io.stdout, Deno.stdout, queue)
      : processOutputs.out,
    err: io?.stderr
      ? new Output(io.stderr, Deno.stderr, queue)
      : processOutputs.err,
  };
}

/**
 * Waits until what was written to the process's stdout and stderr is out
 * (before the process exits), at most `seconds`.
 *
 * @param seconds The longest wait; `null` for none.
 * @returns A promise of that moment.
 */
export async function flushOutputs(seconds: number | null): Promise<void> {
  if (!processOutputs) return;
  await Promise.all([
    processOutputs.out.flush(seconds),
    processOutputs.err.flush(seconds),
  ]);
}

/**
 * An event as one JSON line whose text is safe for a terminal too: C1
 * controls, line separators and bidirectional overrides, which
 * `JSON.stringify` leaves raw, are escaped.
 *
 * @param event The event.
 * @returns The line, with its newline.
 */
export function jsonLine(event: object): string {
  return JSON.stringify(event).replace(
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069\u200b-\u200f\u061c\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  ) + "\n";
}
