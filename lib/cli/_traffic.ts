/**
 * The traffic view, `--hexdump` and `-v`/`--verbose`: the one place that
 * shows what crosses a connection, on stderr, never on stdout.
 *
 * `--hexdump` shows each chunk that crosses, in each direction, as a
 * header line with a direction mark (`>` sent, `<` received), the peer and
 * the byte count, then `hexdump -C`-style lines: the offset of the line in
 * that direction's bytes, 16 bytes in hex, and the printable ones as text.
 *
 * ```
 * > 127.0.0.1:9000 6 bytes
 * 00000000  68 65 6c 6c 6f 0a                                 |hello.|
 * ```
 *
 * `--verbose` adds lines about the connection (the address a name
 * resolved to, the local address, the TLS peer name, the bytes each way
 * when it closes), each starting with `* `.
 *
 * A mode does not call it: {@linkcode Traffic.tap} wraps a socket's send
 * and receive methods where the sockets of a run are made
 * (`_sockets.ts`, the accept loop in `_server.ts`), so every chunk of
 * every mode passes here. Lines go to the run's stderr, which drops lines
 * (and says so) rather than stall the network when nobody reads it.
 *
 * @module
 */

import type { Address } from "../socket/address.ts";
import type { Buffer, Socket } from "../socket/socket.ts";
import { formatAddress } from "../socket/_address.ts";
import { escapeControl } from "./_escape.ts";

/** Which way a chunk went: `>` sent to the peer, `<` received from it. */
export type Direction = ">" | "<";

/** What the traffic view shows. */
export interface TrafficOptions {
  /**
   * Each chunk as a hex dump (`--hexdump`).
   *
   * @default {false}
   */
  hexdump?: boolean;
  /**
   * Connection-level lines (`--verbose`).
   *
   * @default {false}
   */
  verbose?: boolean;
}

/** Bytes on one line of a dump. */
const WIDTH = 16;

/**
 * A chunk as `hexdump -C` lines: offset, hex bytes (a gap after the
 * eighth), and the printable ASCII ones between bars (`.` for the rest).
 *
 * @param data The bytes.
 * @param offset The offset of the first byte, for the offset column.
 * @returns The lines, each ending with a newline.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { hexdumpLines } from "./_traffic.ts";
 * assert.equal(
 *   hexdumpLines(new TextEncoder().encode("hi\n"), 16),
 *   "00000010  68 69 0a" + " ".repeat(42) + "|hi.|\n",
 * );
 * ```
 */
export function hexdumpLines(data: Uint8Array, offset = 0): string {
  let text = "";
  for (let start = 0; start < data.length; start += WIDTH) {
    const row = data.subarray(start, start + WIDTH);
    let hex = "";
    let ascii = "";
    for (let i = 0; i < WIDTH; i++) {
      if (i === 8) hex += " ";
      if (i < row.length) {
        hex += row[i].toString(16).padStart(2, "0") + " ";
        ascii += row[i] >= 0x20 && row[i] < 0x7f
          ? String.fromCharCode(row[i])
          : ".";
      } else hex += "   ";
    }
    text += `${
      (offset + start).toString(16).padStart(8, "0")
    }  ${hex} |${ascii}|\n`;
  }
  return text;
}

function view(data: Buffer, length?: number): Uint8Array {
  if (data instanceof Uint8Array) return data.subarray(0, length);
  if (ArrayBuffer.isView(data)) {
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength)
      .subarray(0, length);
  }
  return new Uint8Array(data as ArrayBuffer).subarray(0, length);
}

function nameOf(address: Address): string {
  const name = formatAddress(address);
  return name === "" ? "unix peer" : escapeControl(name, false);
}

/** The bytes each way of one socket, for the line at its close. */
interface Counts {
  sent: number;
  received: number;
}

/**
 * The traffic view of one run: writes hex dumps and connection lines to
 * `write` (the run's stderr), as the options ask.
 *
 * @example Tap a socket: what it sends and receives is dumped
 * ```ts
 * import assert from "node:assert/strict";
 * import { Traffic } from "./_traffic.ts";
 * import { socket } from "../../mod.ts";
 *
 * using server = socket();
 * server.bind(["127.0.0.1", 0]);
 * server.listen();
 * using client = socket();
 * await client.connect(server.getsockname());
 * const [conn] = await server.accept();
 * let shown = "";
 * const traffic = new Traffic((text) => shown += text, { hexdump: true });
 * traffic.tap(client, "server");
 * await client.sendall(new TextEncoder().encode("hi"));
 * await conn.recv(16);
 * conn.close();
 * await client.recv(16);
 * assert.equal(
 *   shown,
 *   "> server 2 bytes\n00000000  68 69" + " ".repeat(45) + "|hi|\n",
 * );
 * ```
 */
export class Traffic {
  /** Whether chunks are dumped. */
  readonly hexdump: boolean;
  /** Whether connection lines are shown. */
  readonly verbose: boolean;
  #write: (text: string) => void;

  /**
   * Creates the view.
   *
   * @param write Where its text goes (stderr).
   * @param options What it shows.
   */
  constructor(write: (text: string) => void, options: TrafficOptions = {}) {
    this.#write = write;
    this.hexdump = options.hexdump ?? false;
    this.verbose = options.verbose ?? false;
  }

  /** Whether it shows anything at all. */
  get active(): boolean {
    return this.hexdump || this.verbose;
  }

  /**
   * Shows one chunk that crossed (with `--hexdump`).
   *
   * @param direction `>` sent, `<` received.
   * @param peer How the peer is named.
   * @param data The bytes.
   * @param offset How many bytes went that way before, for the offsets.
   */
  chunk(direction: Direction, peer: string, data: Uint8Array, offset = 0) {
    if (!this.hexdump || data.length === 0) return;
    this.#write(
      `${direction} ${peer} ${data.length} byte${
        data.length === 1 ? "" : "s"
      }\n${hexdumpLines(data, offset)}`,
    );
  }

  /**
   * Shows a connection-level line (with `--verbose`), as `* LINE`.
   *
   * @param line The text, without a newline.
   */
  note(line: string): void {
    if (this.verbose) this.#write(`* ${escapeControl(line, false)}\n`);
  }

  /**
   * Shows the bytes each way of a connection that ends (with `--verbose`).
   *
   * @param peer How the peer is named.
   * @param sent Bytes sent to it.
   * @param received Bytes received from it.
   */
  closed(peer: string, sent: number, received: number): void {
    this.note(
      `closed ${peer}: sent ${sent} byte${
        sent === 1 ? "" : "s"
      }, received ${received}`,
    );
  }

  /**
   * Makes `sock` show its traffic: its send and receive methods (`recv`,
   * `recv_into`, `recvfrom`, `send`, `sendall`, `sendto`) dump each chunk,
   * and `close` reports the counts. Does nothing when the view is off, so
   * the hot path stays the socket's own.
   *
   * @param sock A connected or datagram socket (TLS included).
   * @param peer How to name its peer; datagrams name each sender instead.
   * @returns The same socket.
   */
  tap<T extends Socket>(sock: T, peer: string): T {
    if (!this.active) return sock;
    const counts: Counts = { sent: 0, received: 0 };
    const seen = (direction: Direction, data: Uint8Array, who = peer) => {
      const before = direction === ">" ? counts.sent : counts.received;
      if (direction === ">") counts.sent += data.length;
      else counts.received += data.length;
      this.chunk(direction, who, data, before);
    };
    // A datagram socket's sendall sends through send: count it once.
    let inSendall = false;
    const s = sock as Socket;
    const { recv, recv_into, recvfrom, send, sendall, sendto, close } = s;
    s.recv = async (bufsize) => {
      const data = await recv.call(sock, bufsize);
      seen("<", data);
      return data;
    };
    s.recv_into = async (buffer, nbytes) => {
      const n = await recv_into.call(sock, buffer, nbytes);
      seen("<", view(buffer, n));
      return n;
    };
    s.recvfrom = async (bufsize) => {
      const [data, from] = await recvfrom.call(sock, bufsize);
      seen("<", data, nameOf(from));
      return [data, from];
    };
    s.send = async (data) => {
      const n = await send.call(sock, data);
      if (!inSendall) seen(">", view(data, n));
      return n;
    };
    s.sendall = async (data) => {
      inSendall = true;
      try {
        await sendall.call(sock, data);
      } finally {
        inSendall = false;
      }
      seen(">", view(data));
    };
    // deno-lint-ignore no-explicit-any
    s.sendto = (async (data: Buffer, ...rest: any[]) => {
      const n = await (sendto as (...args: unknown[]) => Promise<number>)
        .call(sock, data, ...rest);
      const to = rest.at(-1) as Address;
      seen(">", view(data, n), nameOf(to));
      return n;
    }) as Socket["sendto"];
    let reported = false;
    s.close = () => {
      if (!reported && !sock.closed) {
        reported = true;
        this.closed(peer, counts.sent, counts.received);
      }
      close.call(sock);
    };
    return sock;
  }
}
