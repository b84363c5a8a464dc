/**
 * The options of the programs as code gives them (`tcpServer({ port: 0,
 * echo: true })`): the same names as on the command line, in camelCase,
 * checked by the same rules (see `_common_options.ts`).
 *
 * @module
 */

/**
 * Options every chat program takes, as on the command line.
 *
 * @example `pysocket tcp-client --host ::1 --port 9000 --timeout 5`, in code
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ChatOptions } from "@pysocket/pysocket/tcp-client";
 * const options: ChatOptions = { host: "::1", port: 9000, timeout: 5 };
 * assert.equal(options.port, 9000);
 * ```
 */
export interface ChatOptions {
  /**
   * The host to listen on (servers) or to reach (clients): an IPv4 or IPv6
   * address, or a name.
   *
   * @default {"0.0.0.0" for servers and "127.0.0.1" for clients; "::" and "::1" with family 6}
   */
  host?: string;
  /**
   * The port. Servers may use 0 to let the system choose one: the real
   * port is reported in the `listening` event.
   *
   * @default {8888}
   */
  port?: number;
  /**
   * IP version, 4 or 6. Left out, it follows `host` (an IPv6 address means
   * 6), else 4.
   *
   * @default {undefined}
   */
  family?: 4 | 6;
  /**
   * A Unix socket path to use instead of `host` and `port`: a stream socket
   * for the TCP programs, a datagram socket for the UDP ones.
   *
   * @default {undefined}
   */
  unix?: string;
  /**
   * Seconds to wait for the peer: for clients, to connect and for each
   * reply; for the TCP server, for each message of a connected client
   * (a silent client is disconnected). `null` waits forever.
   *
   * @default {null}
   */
  timeout?: number | null;
  /**
   * Print every event as one JSON object per line on stdout, instead of
   * `client>`/`server>` lines and prompts.
   *
   * @default {false}
   */
  json?: boolean;
  /**
   * Netcat-style full duplex: stdin and the peer flow both ways at once,
   * bytes unchanged.
   *
   * @default {false}
   */
  stream?: boolean;
  /**
   * TCP programs: speak TLS.
   *
   * @default {false}
   */
  tls?: boolean;
  /**
   * `tcp-client --tls`: a CA certificate to trust besides Deno's roots.
   *
   * @default {undefined}
   */
  ca?: string;
  /**
   * `tcp-client --tls`: the name the certificate must carry.
   *
   * @default {the host connected to}
   */
  serverName?: string;
  /**
   * Seconds of silence before a connection is closed (`--room`,
   * `--stream`).
   *
   * @default {null}
   */
  idleTimeout?: number | null;
  /**
   * `--stream`: send each line of input ending in `\r\n`.
   *
   * @default {false}
   */
  crlf?: boolean;
  /**
   * `--stream`: only send; received bytes are dropped and the end of input
   * ends the run.
   *
   * @default {false}
   */
  sendOnly?: boolean;
  /**
   * `--stream`: only receive; stdin is not read.
   *
   * @default {false}
   */
  recvOnly?: boolean;
  /**
   * `--stream`: keep the sending side open after the end of input.
   *
   * @default {false}
   */
  noShutdown?: boolean;
  /**
   * `--stream`: end this many seconds after the end of input, whatever
   * the peer does (0: at once).
   *
   * @default {null}
   */
  quitAfterEof?: number | null;
  /**
   * Show each chunk sent and received as a hex dump on stderr
   * (`--hexdump`).
   *
   * @default {false}
   */
  hexdump?: boolean;
  /**
   * Connection lines on stderr: addresses, TLS, bytes at close
   * (`--verbose`).
   *
   * @default {false}
   */
  verbose?: boolean;
  /**
   * `tcp-client`: connect through this proxy, `"HOST:PORT"`; the login, if
   * any, comes from the `PYSOCKET_PROXY_AUTH` environment variable.
   *
   * @default {undefined}
   */
  proxy?: string;
  /**
   * `tcp-client`: the proxy's protocol.
   *
   * @default {"http"}
   */
  proxyType?: "socks5" | "http";
}

/**
 * Options of the two servers: {@linkcode ChatOptions} plus `echo` and the
 * server's modes, access lists and limits.
 *
 * @example `pysocket udp-server --unix /tmp/chat.sock --echo`, in code
 * ```ts
 * import assert from "node:assert/strict";
 * import type { ServerOptions } from "@pysocket/pysocket/udp-server";
 * const options: ServerOptions = { unix: "/tmp/chat.sock", echo: true };
 * assert.equal(options.echo, true);
 * ```
 */
export interface ServerOptions
  extends Omit<ChatOptions, "ca" | "serverName" | "proxy" | "proxyType"> {
  /**
   * Reply to each message with exactly the bytes received, without reading
   * stdin. A client's `exit` still ends its session.
   *
   * @default {false}
   */
  echo?: boolean;
  /**
   * `tcp-server`: a chat room for many clients.
   *
   * @default {false}
   */
  room?: boolean;
  /**
   * `tcp-server --tls`: the certificate chain (PEM).
   *
   * @default {undefined}
   */
  cert?: string;
  /**
   * `tcp-server --tls`: the private key (PEM); `cert` when left out.
   *
   * @default {undefined}
   */
  key?: string;
  /**
   * `tcp-server --stream`: after a client leaves, serve the next one.
   *
   * @default {false}
   */
  keepOpen?: boolean;
  /**
   * Addresses or CIDR ranges admitted.
   *
   * @default {[]}
   */
  allow?: readonly string[];
  /**
   * Addresses or CIDR ranges refused.
   *
   * @default {[]}
   */
  deny?: readonly string[];
  /**
   * The most clients at once (`--room`, `--stream --echo`).
   *
   * @default {derived from the descriptor limit}
   */
  maxClients?: number | null;
  /**
   * The longest message in bytes (`--room`; `udp-server` drops longer
   * datagrams).
   *
   * @default {65536}
   */
  maxMessage?: number;
}
