/**
 * The one way the command writes: a line of text or a chunk of bytes to
 * stdout or stderr (or to a sink given in code), and events as JSON lines.
 *
 * @module
 */

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

const ENCODER = new TextEncoder();

/** A Deno output stream: `Deno.stdout` or `Deno.stderr`. */
interface Stream {
  writeSync(p: Uint8Array): number;
  write(p: Uint8Array): Promise<number>;
}

/** Writes all of `data` to a Deno output stream. */
function writeAllSync(stream: Stream, data: Uint8Array): void {
  for (let written = 0; written < data.length;) {
    written += stream.writeSync(data.subarray(written));
  }
}

/** One output of a run: stdout or stderr, or a sink given in code. */
export class Output {
  #sink: TextSink | null;
  #stream: Stream;

  /**
   * Writes to `sink` when given, else to `stream`.
   *
   * @param sink Where text goes, in code.
   * @param stream The process's stream.
   */
  constructor(sink: TextSink | undefined, stream: Stream) {
    this.#sink = sink ?? null;
    this.#stream = stream;
  }

  /** Whether this writes to the process's stream (not a sink in code). */
  get toProcess(): boolean {
    return this.#sink === null;
  }

  /**
   * Writes text (a line ends with its `\n`).
   *
   * @param text The text.
   */
  text(text: string): void {
    if (this.#sink) this.#sink(text);
    else writeAllSync(this.#stream, ENCODER.encode(text));
  }

  /**
   * Writes bytes (stream mode), waiting for room in the stream.
   *
   * @param data The bytes.
   * @returns A promise of the bytes written.
   */
  async bytes(data: Uint8Array): Promise<void> {
    for (let written = 0; written < data.length;) {
      written += await this.#stream.write(data.subarray(written));
    }
  }
}

/** The process's stdout and stderr, or the sinks given in code. */
export function outputsOf(
  io: { stdout?: TextSink; stderr?: TextSink } | undefined,
): { out: Output; err: Output } {
  return {
    out: new Output(io?.stdout, Deno.stdout),
    err: new Output(io?.stderr, Deno.stderr),
  };
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
    /[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  ) + "\n";
}
