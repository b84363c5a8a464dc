/**
 * What the programs report: the events of the output contract (see the
 * module documentation of `cli.ts`) and the status line of each.
 *
 * @module
 */

import type { ByteReader } from "../socket/_line_reader.ts";
import type { TextSink } from "./_output.ts";

/**
 * Where a program reads and writes, for running it from code. Every
 * field is optional; the defaults are the process's own streams.
 *
 * @example Give the input as a string and keep what is printed
 * ```ts
 * import assert from "node:assert/strict";
 * import { tcpClient } from "@pysocket/pysocket/tcp-client";
 * import { create_server } from "@pysocket/pysocket";
 * const probe = create_server(["127.0.0.1", 0]);
 * const [, port] = probe.getsockname() as [string, number];
 * probe.close(); // Now nothing listens there.
 * let errors = "";
 * const code = await tcpClient({ port }, {
 *   stdin: "hi\n",
 *   stdout: () => {},
 *   stderr: (text) => errors += text,
 * });
 * assert.equal(code, 1);
 * assert.match(errors, /^pysocket tcp-client: cannot connect to 127\.0\.0\.1:\d+: connection refused/);
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
  /**
   * `tcp-server --room`: called with every room event, in addition to the
   * printed output.
   *
   * @default {undefined}
   */
  onRoomEvent?: (event: RoomEvent) => void;
  /**
   * Stream modes: receives the peer's bytes, unchanged. When left out,
   * they go to the process's stdout (escaped if it is a terminal), or,
   * when `stdout` is given, to it, decoded as UTF-8.
   *
   * @default {undefined}
   */
  output?: (data: Uint8Array) => Promise<void>;
}

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

/**
 * One thing that happened in a `tcp-server --room`, as printed with
 * `--json` (refusals are {@linkcode ChatEvent}s, as on every server).
 */
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
  };

/**
 * Why a session ended: the peer sent `exit`, our input ended, the peer
 * closed without `exit`, reset the connection, stayed silent past
 * `--timeout`, or another error.
 */
export type DisconnectReason =
  | "exit"
  | "end of input"
  | "closed"
  | "reset"
  | "timeout"
  | "error";

/**
 * How a relay session ended: both directions finished (`done`), a side
 * reset the connection, nothing crossed for `--idle-timeout` (`timeout`),
 * the target could not be reached (`target`), or another failure.
 */
export type SessionEndReason =
  | "done"
  | "reset"
  | "timeout"
  | "target"
  | "error";

/**
 * What `pysocket probe` found at a port: it accepted a connection
 * (`open`), refused it (`closed`), did not answer within `--timeout`
 * (`timed out`), or another failure (`error`, such as no route).
 */
export type PortState = "open" | "closed" | "timed out" | "error";

/**
 * One thing that happened, as printed with `--json` (see the output
 * contract in the module documentation of `cli.ts`).
 *
 * @example Read a line of `--json` output
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ChatEvent } from "@pysocket/pysocket/cli";
 * const line = '{"event":"message","from":"client","peer":"127.0.0.1:54321","text":"hi"}';
 * const event: ChatEvent = JSON.parse(line);
 * assert.equal(event.event === "message" && event.text, "hi");
 * ```
 */
export type ChatEvent =
  | {
    event: "listening";
    address: string;
    host?: string;
    port?: number;
    path?: string;
    maxClients?: number | null;
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
  | {
    event: "port";
    host: string;
    port: number;
    state: PortState;
    message?: string;
  }
  | {
    event: "session-ended";
    peer: string;
    target: string;
    fromClient: number;
    fromTarget: number;
    reason: SessionEndReason;
    message?: string;
  }
  | { event: "denied"; peer: string; message: string }
  | { event: "refused"; peer: string; message: string }
  | { event: "suppressed"; count: number; reason: string }
  | { event: "paused"; reason: string }
  | { event: "resumed"; reason: string }
  | { event: "error"; message: string };

/** How a server names a peer in status lines: its IP, as the tutorial does. */
export function peerLabel(peer: string): string {
  const ip = /^\[(.*)\]:\d+$/.exec(peer) ?? /^([^:]*):\d+$/.exec(peer);
  if (ip) return ip[1];
  return peer === "" ? "unix peer" : peer;
}

/**
 * The stderr line of an event, or `null` for none (messages go to stdout;
 * clients print no status lines but errors).
 *
 * @param event The event.
 * @param program The program's name.
 * @param server Whether the program is a server.
 * @returns The line, without its newline.
 */
export function statusLine(
  event: ChatEvent,
  program: string,
  server: boolean,
): string | null {
  switch (event.event) {
    case "message":
    case "port":
      return null;
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
    case "session-ended":
      return `${
        event.peer || "unix peer"
      } session ended (${event.fromClient} bytes from the client, ${event.fromTarget} from the target)${
        event.message ? `: ${event.message}` : ""
      }`;
    case "denied":
      return `${event.peer || "unix peer"} denied: ${event.message}`;
    case "refused":
      return `${event.peer || "unix peer"} refused: ${event.message}`;
    case "suppressed":
      return `${event.count} more line${
        event.count === 1 ? "" : "s"
      } about peers not shown (${event.reason})`;
    case "paused":
      return `paused: ${event.reason}`;
    case "resumed":
      return `resumed: ${event.reason}`;
    case "error":
      return `pysocket ${program}: ${event.message}`;
  }
}
