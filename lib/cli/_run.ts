/**
 * One run of a program: its plan, its output and input, the sockets it
 * owns, Ctrl-C and the other signals that end it, and the one-line
 * explanation of every failure. {@linkcode runProgram} runs a program's
 * body with all of that; {@linkcode runMain} adds the command line.
 *
 * @module
 */

import { formatAddress } from "../socket/_address.ts";
import type { Address } from "../socket/address.ts";
import { Deadline } from "../socket/_deadline.ts";
import { escapeControl } from "./_escape.ts";
import { type ChatEvent, type ChatIO, statusLine } from "./_events.ts";
import { ChatFailure, explainError, oneLine } from "./_explain.ts";
import { type InputLines, inputLines } from "./_input.ts";
import type { Incoming } from "./_messages.ts";
import { parseOptions, UsageError } from "./_options.ts";
import { flushOutputs, jsonLine, type Output, outputsOf } from "./_output.ts";
import { helpText, makePlan, type Plan, type ProgramSpec } from "./_plan.ts";
import { Traffic } from "./_traffic.ts";
import denoJson from "../../deno.json" with { type: "json" };

/** The version printed by `--version`, from `deno.json`. */
export const VERSION: string = denoJson.version;

/** The events about one peer, whose lines a flood of peers could multiply. */
const PEER_EVENTS = new Set<string>([
  "connected",
  "disconnected",
  "denied",
  "refused",
]);
/** How many lines about peers a run prints in a second, at most. */
export const PEER_LINES_PER_SECOND = 100;

/**
 * At most `perSecond` lines a second; the lines past that are counted, and
 * the count reported once the second is over.
 */
class LineBudget {
  #perSecond: number;
  #report: (count: number) => void;
  #windowStart = -Infinity;
  #used = 0;
  #suppressed = 0;
  #timer = new Deadline();

  constructor(perSecond: number, report: (count: number) => void) {
    this.#perSecond = perSecond;
    this.#report = report;
  }

  /** Whether a line may be printed now. */
  allow(): boolean {
    const now = performance.now();
    if (now - this.#windowStart >= 1000) {
      this.#windowStart = now;
      this.#used = 0;
    }
    if (this.#used < this.#perSecond) {
      this.#used++;
      return true;
    }
    if (this.#suppressed++ === 0) {
      this.#timer.sleep((this.#windowStart + 1000 - now) / 1000).then(() => {
        const count = this.#suppressed;
        this.#suppressed = 0;
        this.#report(count);
      });
    }
    return false;
  }

  /** Forgets a pending report (the run ended). */
  clear(): void {
    this.#timer.clear();
  }
}

/** What a reply read from stdin turned into. */
export type Reply =
  | { kind: "line"; line: string }
  | { kind: "eof" }
  | { kind: "gone"; incoming: Incoming & { kind: "end" } };

/** Options of {@linkcode Run.readReply}. */
export interface ReplyOptions {
  /**
   * The peer's next message being read: if it turns out to be the end of
   * the conversation, the wait for a reply gives up.
   */
  peerNext?: Promise<Incoming>;
  /**
   * When the input is not a terminal, keep waiting when the peer merely
   * closed its sending side: it may still read the reply (`nc -N`,
   * `shutdown(SHUT_WR)`). Resets always end the wait, and so does any end
   * at a terminal, where a person is typing.
   */
  replyAfterClose?: boolean;
  /** Skip empty lines (TCP, where zero bytes would leave both sides waiting). */
  skipEmpty?: boolean;
  /**
   * Called when `peerNext` turns out to be a message rather than the end:
   * it shows the message and returns the read of the one after, which the
   * wait then watches instead (a `--room` sends messages unasked, and they
   * must not wait for the next line typed). Without it, a message does not
   * end the wait and is left for the caller.
   */
  onMessage?: (incoming: Incoming & { kind: "message" }) => Promise<Incoming>;
}

/** The running state of one program: its output, input and resources. */
export class Run {
  /** What the run does, decided from its options. */
  readonly plan: Plan;
  /** Where it reads and writes, as given. */
  readonly io: ChatIO;
  /** Its stdout. */
  readonly out: Output;
  /** Its stderr. */
  readonly err: Output;
  /** `--hexdump` and `--verbose`: what crosses, on stderr. */
  readonly traffic: Traffic;
  /** Whether a person types the input at a terminal (prompts are shown). */
  readonly interactive: boolean;
  /** The host a server bound (its `listening` address), once known. */
  bound: string | undefined;
  /** Rejects when the run must end at once (its stdout was closed). */
  readonly failed: Promise<never>;
  #fail: (failure: ChatFailure) => void;
  #input: InputLines | undefined;
  #promptOpen = false;
  #peerLines = new LineBudget(PEER_LINES_PER_SECOND, (count) =>
    this.emit({
      event: "suppressed",
      count,
      reason: `more than ${PEER_LINES_PER_SECOND} a second`,
    }));
  #closed = false;
  #resources = new Set<{ close(): void }>();
  #cleanups: (() => void)[] = [];

  /**
   * Sets up the output and input of a run.
   *
   * @param plan What it does.
   * @param io Where it reads and writes.
   */
  constructor(plan: Plan, io: ChatIO = {}) {
    this.plan = plan;
    this.io = io;
    ({ out: this.out, err: this.err } = outputsOf(io));
    this.traffic = new Traffic((text) => this.err.text(text), plan.traffic);
    this.interactive = io.interactive ??
      (io.stdin === undefined && Deno.stdin.isTerminal());
    const { promise, reject } = Promise.withResolvers<never>();
    promise.catch(() => {});
    this.failed = promise;
    this.#fail = reject;
    this.#watchOutputs();
  }

  /**
   * What a blocked or closed output does to the run. Lines dropped while
   * an output was blocked are counted on stderr. A closed stdout ends a
   * program whose output is its job (the chat programs, `--stream`); a
   * server of many clients (`--room`, `--echo`, `--stream --echo`) says so
   * once and goes on serving.
   */
  #watchOutputs(): void {
    const name = `pysocket ${this.plan.program.name}`;
    this.out.handlers = {
      onDropped: (lines) =>
        this.err.text(
          `${name}: stdout was blocked; ${lines} line${
            lines === 1 ? "" : "s"
          } of output dropped\n`,
        ),
      onBroken: () => {
        const reason = "stdout was closed (the program reading it has ended)";
        if (this.plan.mode === "chat" || this.plan.mode === "stream") {
          this.#fail(new ChatFailure(reason));
        } else {
          this.err.text(
            `${name}: ${reason}; messages are no longer shown, the server goes on\n`,
          );
        }
      },
    };
    this.err.handlers = {
      onDropped: (lines) =>
        this.err.text(
          `${name}: stderr was blocked; ${lines} status line${
            lines === 1 ? "" : "s"
          } dropped\n`,
        ),
    };
  }

  /** The program's name. */
  get program(): string {
    return this.plan.program.name;
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
    else if (always) this.err.text("\n");
  }

  /** Ends an open prompt line before other output. */
  #breakPrompt(): void {
    if (this.#promptOpen) {
      this.#promptOpen = false;
      this.out.text("\n");
    }
  }

  /**
   * Reports an event: to `onEvent`, as JSON on stdout with `--json`, and as
   * the status or message line of the output contract.
   *
   * @param event The event.
   */
  emit(event: ChatEvent): void {
    if (this.#closed) return;
    this.io.onEvent?.(event);
    if (PEER_EVENTS.has(event.event) && !this.#peerLines.allow()) return;
    if (this.plan.json) {
      this.#breakPrompt();
      this.out.text(jsonLine(event));
    } else if (event.event === "message") {
      this.#breakPrompt();
      this.out.text(`${event.from}>${escapeControl(event.text, false)}\n`);
    }
    const line = statusLine(event, this.program, this.plan.program.server);
    if (line === null) return;
    this.#breakPrompt();
    this.err.text(`${escapeControl(line, false)}\n`);
  }

  /** The lines of input, started on first use. */
  #lines(): InputLines {
    return this.#input ??= inputLines(this.io.stdin);
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
      !this.interactive || this.plan.json || this.#closed || this.#promptOpen
    ) return;
    this.out.text(prompt);
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
    const waitAfterClose = replyAfterClose && !this.interactive;
    const watch = (pending: Promise<Incoming>) =>
      pending.then((incoming) =>
        (incoming.kind === "message" && onMessage) ||
          (incoming.kind === "end" &&
            !(waitAfterClose && incoming.reason === "closed"))
          ? incoming
          : new Promise<never>(() => {})
      );
    // One wait for input per call, however many messages come meanwhile:
    // each round's winner wakes the current round (racing the same
    // promise again and again would pile reactions onto it).
    let wake: (event: Incoming | null) => void = () => {};
    let round = new Promise<Incoming | null>((resolve) => wake = resolve);
    let inputHooked = false;
    const hookPeer = (pending: Promise<Incoming>) =>
      watch(pending).then((event) => wake(event));
    if (peerNext) hookPeer(peerNext);
    while (true) {
      if (!input.ready) {
        this.#showPrompt(prompt);
        input.keepLines();
        if (!inputHooked) {
          inputHooked = true;
          input.wait().then(() => wake(null));
        }
        const event = await round;
        round = new Promise((resolve) => wake = resolve);
        if (event?.kind === "message") {
          hookPeer(onMessage!(event));
          continue; // Shown; the prompt comes again, and the wait goes on.
        }
        if (event) {
          // What is being typed was meant for the peer that left.
          if (this.interactive) input.dropLines();
          return { kind: "gone", incoming: event };
        }
        inputHooked = false;
        if (!input.ready) continue;
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
   * @param resource A resource given to {@linkcode Run.own}.
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
    this.#peerLines.clear();
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
    return explainError(err, action, this.plan, this.bound);
  }
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

/** The line printed for a bad command line. */
export function usageLine(program: string | null, message: string): string {
  const name = program ? `pysocket ${program}` : "pysocket";
  return `${name}: ${oneLine(message)} (see ${name} --help)\n`;
}

/** The signals that end a run, with the exit code each leaves. */
const SIGNALS: [Deno.Signal, number][] = [
  ["SIGINT", 130],
  ["SIGTERM", 143],
  ["SIGHUP", 129],
];

/**
 * Runs a program's body with the shared behaviour: options checked once
 * into a plan (exit 2 on bad ones), every failure reported in one line
 * (exit 1), Ctrl-C or `io.signal` closing the sockets (exit 130), SIGTERM
 * and SIGHUP likewise (exit 143 and 129), and clean-up at the end however
 * it ends.
 *
 * @param spec The program.
 * @param options Its options, from the command line or from code.
 * @param io Where it reads and writes.
 * @param body The program itself, given the run.
 * @returns The exit code.
 */
export async function runProgram(
  spec: ProgramSpec,
  options: object | undefined,
  io: ChatIO | undefined,
  body: (run: Run) => Promise<number>,
): Promise<number> {
  let plan: Plan;
  try {
    plan = makePlan(spec, { ...options });
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    outputsOf(io).err.text(usageLine(spec.name, err.message));
    return 2;
  }
  const run = new Run(plan, io);
  const { promise: interrupted, resolve: interrupt } = Promise.withResolvers<
    number
  >();
  const unlisten: (() => void)[] = [];
  const signal = io?.signal;
  if (signal) {
    const stop = () => interrupt(130);
    if (signal.aborted) stop();
    signal.addEventListener("abort", stop, { once: true });
    unlisten.push(() => signal.removeEventListener("abort", stop));
  } else {
    for (const [name, code] of SIGNALS) {
      const onSignal = () => {
        // Exiting with a code rather than dying of the signal, the program
        // must end the terminal's `^C` line itself, or the shell prompt
        // follows it.
        if (name === "SIGINT") run.endLine(Deno.stderr.isTerminal());
        interrupt(code);
      };
      try {
        Deno.addSignalListener(name, onSignal);
        unlisten.push(() => Deno.removeSignalListener(name, onSignal));
      } catch {
        // This platform cannot listen for it (Windows has only SIGINT).
      }
    }
  }
  const running = body(run);
  // After an interrupt the body fails on its closed sockets: nobody cares.
  running.catch(() => {});
  let code = 1;
  try {
    return code = await Promise.race([running, interrupted, run.failed]);
  } catch (err) {
    const message = run.explain(err).message;
    try {
      run.emit({ event: "error", message });
    } catch {
      // Stdout is gone (a closed pipe): stderr may still be there.
      try {
        run.err.text(`pysocket ${spec.name}: ${message}\n`);
      } catch {
        // Nowhere left to report to; the exit code says it.
      }
    }
    return 1;
  } finally {
    for (const stop of unlisten) stop();
    run.close();
    // What was written goes out before the process exits; after a signal,
    // a reader that has stopped reading is not waited for long.
    await flushOutputs(code >= 128 ? 1 : null);
  }
}

/**
 * The `main` of one program: parses the arguments, prints `--help` or
 * `--version`, or runs it.
 *
 * @param spec The program.
 * @param args The arguments after the command name.
 * @param io Where it reads and writes.
 * @param run The program's function.
 * @returns The exit code.
 */
export async function runMain(
  spec: ProgramSpec,
  args: string[],
  io: ChatIO | undefined,
  run: (options: Record<string, unknown>, io?: ChatIO) => Promise<number>,
): Promise<number> {
  const { out, err } = outputsOf(io);
  try {
    const parsed = parseOptions(spec.options, args);
    if (parsed.kind === "help") {
      out.text(helpText(spec));
      return 0;
    }
    if (parsed.kind === "version") {
      out.text(`pysocket ${VERSION}\n`);
      return 0;
    }
    return await run(parsed.options, io);
  } catch (e) {
    if (e instanceof UsageError) {
      err.text(usageLine(spec.name, e.message));
      return 2;
    }
    err.text(
      `pysocket ${spec.name}: unexpected failure: ${oneLine(String(e))}\n`,
    );
    return 1;
  } finally {
    await flushOutputs(null);
  }
}
