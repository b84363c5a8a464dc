/**
 * Python's `ssl.SSLContext`: TLS settings shared by many connections, and
 * `wrap_socket`, which turns a socket into an `SSLSocket`.
 *
 * @module
 */

import { AF_INET, AF_INET6, SOCK_STREAM } from "../socket/constants.ts";
import { Socket } from "../socket/socket.ts";
import { ValueError } from "../socket/errors.ts";
import { oserror, translateError } from "../socket/_translate.ts";
import {
  CERT_NONE,
  CERT_OPTIONAL,
  CERT_REQUIRED,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  type Purpose,
} from "./constants.ts";
import { SSLError } from "./errors.ts";
import { certificatesIn, derToPem, pemBlocks, readText } from "./_pem.ts";
import { type ContextState, register } from "./_context_state.ts";
import { SSLSocket } from "./ssl_socket.ts";
import { wrapClient, wrapServer } from "./_wrap.ts";

/** Where `load_verify_locations` finds CA certificates, by keyword. */
export interface VerifyLocations {
  /**
   * A PEM file with one or more CA certificates.
   *
   * @default {undefined}
   */
  cafile?: string | null;
  /**
   * A directory: every file in it that holds PEM certificates is loaded.
   *
   * @default {undefined}
   */
  capath?: string | null;
  /**
   * Certificates in PEM text, or in DER bytes (one or several, concatenated).
   *
   * @default {undefined}
   */
  cadata?: string | ArrayBufferView | null;
}

/** Options of {@linkcode SSLContext.wrap_socket}, named as Python's keywords. */
export interface WrapSocketOptions {
  /**
   * Wrap a listening socket as a TLS server (the context must be a server
   * context with a certificate). The listening address is reopened with
   * `Deno.listenTls`.
   *
   * @default {false}
   */
  server_side?: boolean;
  /**
   * The server's name, sent in SNI and checked against its certificate.
   * Required when `check_hostname` is on; an IP address works when the
   * certificate names that IP.
   *
   * @default {null}
   */
  server_hostname?: string | null;
  /**
   * Run the handshake before `wrap_socket` (or, on a server, `accept`)
   * returns, within the socket's timeout. With `false` it runs on the first
   * `recv`/`send`, or on `do_handshake()`.
   *
   * @default {true}
   */
  do_handshake_on_connect?: boolean;
  /**
   * Treat a peer that closes without ending TLS (no `close_notify`) as end
   * of stream: `recv` returns empty bytes instead of throwing
   * {@linkcode SSLEOFError}. Many TLS programs, Python's among them, close
   * that way.
   *
   * @default {true}
   */
  suppress_ragged_eofs?: boolean;
}

function checkMode(value: unknown): number {
  if (
    value !== CERT_NONE && value !== CERT_OPTIONAL && value !== CERT_REQUIRED
  ) {
    throw new ValueError(
      `verify_mode must be CERT_NONE, CERT_OPTIONAL or CERT_REQUIRED, got ${
        String(value)
      }`,
    );
  }
  return value;
}

/**
 * TLS settings shared by many connections, like Python's `ssl.SSLContext`:
 * which CAs to trust, this side's certificate, and how strictly to check
 * the peer. Make one with {@linkcode create_default_context}, or
 * `new SSLContext(PROTOCOL_TLS_CLIENT)` / `new SSLContext(PROTOCOL_TLS_SERVER)`,
 * then turn sockets into TLS sockets with {@linkcode SSLContext.wrap_socket}.
 *
 * Client contexts trust Deno's root store (Mozilla's roots, or the system's
 * with `DENO_TLS_CA_STORE=system`) plus what `load_verify_locations` loads,
 * so `load_default_certs()` has nothing to do. Settings are read when a
 * socket is wrapped.
 *
 * @example A client context for a private CA
 * ```ts ignore
 * import { PROTOCOL_TLS_CLIENT, SSLContext } from "@pysocket/pysocket/ssl";
 * const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
 * ctx.load_verify_locations("ca.pem");
 * ```
 *
 * @example Defaults of the two kinds
 * ```ts
 * import assert from "node:assert/strict";
 * import {
 *   CERT_NONE,
 *   CERT_REQUIRED,
 *   PROTOCOL_TLS_CLIENT,
 *   PROTOCOL_TLS_SERVER,
 *   SSLContext,
 * } from "@pysocket/pysocket/ssl";
 * const client = new SSLContext(PROTOCOL_TLS_CLIENT);
 * const server = new SSLContext(PROTOCOL_TLS_SERVER);
 * assert.equal(client.check_hostname, true);
 * assert.equal(client.verify_mode, CERT_REQUIRED);
 * assert.equal(server.check_hostname, false);
 * assert.equal(server.verify_mode, CERT_NONE);
 * ```
 */
export class SSLContext {
  #state: ContextState;

  /**
   * Creates a context.
   *
   * @param protocol {@linkcode PROTOCOL_TLS_CLIENT} or {@linkcode PROTOCOL_TLS_SERVER}.
   * @throws {RangeError} For any other protocol: Deno picks TLS 1.2 or 1.3 itself.
   */
  constructor(protocol: number) {
    if (protocol !== PROTOCOL_TLS_CLIENT && protocol !== PROTOCOL_TLS_SERVER) {
      throw new ValueError(
        `SSLContext(): protocol must be PROTOCOL_TLS_CLIENT or PROTOCOL_TLS_SERVER, got ${
          String(protocol)
        }; Deno negotiates TLS 1.2 or 1.3 itself`,
      );
    }
    const client = protocol === PROTOCOL_TLS_CLIENT;
    this.#state = register(this, {
      protocol,
      verifyMode: client ? CERT_REQUIRED : CERT_NONE,
      checkHostname: client,
      caCerts: [],
      chain: null,
      alpn: null,
    });
  }

  /**
   * {@linkcode PROTOCOL_TLS_CLIENT} or {@linkcode PROTOCOL_TLS_SERVER}.
   *
   * @returns The protocol the context was made with.
   */
  get protocol(): number {
    return this.#state.protocol;
  }

  /**
   * How the peer's certificate is checked: {@linkcode CERT_REQUIRED} (the
   * client default), {@linkcode CERT_OPTIONAL} (the same, on a client) or
   * {@linkcode CERT_NONE} (the server default).
   *
   * Deno cannot skip certificate verification for one connection: only
   * the run flag `--unsafely-ignore-certificate-errors[=host]` does, for the
   * whole program. So setting `CERT_NONE` on a client context throws an
   * `OSError` that says so; to reach a server with a self-signed or private
   * certificate, load it with `load_verify_locations` instead. And Deno
   * servers cannot ask clients for certificates, so a server context
   * refuses `CERT_OPTIONAL` and `CERT_REQUIRED`.
   *
   * @returns The mode.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { OSError } from "@pysocket/pysocket";
   * import { CERT_NONE, create_default_context } from "@pysocket/pysocket/ssl";
   * const ctx = create_default_context();
   * ctx.check_hostname = false;
   * assert.throws(() => {
   *   ctx.verify_mode = CERT_NONE;
   * }, (err) => err instanceof OSError && /--unsafely-ignore-certificate-errors/.test(err.message));
   * ```
   */
  get verify_mode(): number {
    return this.#state.verifyMode;
  }

  /**
   * Sets the verify mode; see the getter.
   *
   * @param value `CERT_NONE`, `CERT_OPTIONAL` or `CERT_REQUIRED`.
   * @throws {RangeError} For other values.
   * @throws {OSError} For a mode Deno cannot honour on this kind of context.
   */
  set verify_mode(value: number) {
    const mode = checkMode(value);
    const state = this.#state;
    if (state.protocol === PROTOCOL_TLS_CLIENT && mode === CERT_NONE) {
      throw oserror(
        "EOPNOTSUPP",
        "cannot set verify_mode = CERT_NONE: Deno cannot turn off certificate " +
          "verification for one connection; trust the server's certificate " +
          'instead with context.load_verify_locations("ca.pem") (a self-signed ' +
          "certificate can be loaded as its own CA), or run the program with " +
          "--unsafely-ignore-certificate-errors=<host>, which turns " +
          "verification off for every connection to that host; to skip only " +
          "the host name check, set check_hostname = false",
      );
    }
    if (state.protocol === PROTOCOL_TLS_SERVER && mode !== CERT_NONE) {
      throw oserror(
        "EOPNOTSUPP",
        "cannot set verify_mode on a server context: Deno.listenTls cannot " +
          "ask clients for certificates or verify them " +
          "(denoland/deno#26825), so servers keep CERT_NONE; authenticate " +
          "clients inside the protocol instead",
      );
    }
    state.verifyMode = mode;
  }

  /**
   * Whether the server's certificate must name `server_hostname` (client
   * contexts; on by default). Turning it on sets `verify_mode` to
   * `CERT_REQUIRED`, as in Python. Turning it off keeps the certificate
   * check but skips the name (Deno's `unsafelyDisableHostnameVerification`).
   *
   * @returns Whether host names are checked.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { create_default_context } from "@pysocket/pysocket/ssl";
   * const ctx = create_default_context();
   * ctx.check_hostname = false;
   * assert.equal(ctx.check_hostname, false);
   * ```
   */
  get check_hostname(): boolean {
    return this.#state.checkHostname;
  }

  /**
   * Sets the host name check; see the getter.
   *
   * @param value Whether to check.
   */
  set check_hostname(value: boolean) {
    const on = Boolean(value);
    if (on && this.#state.verifyMode === CERT_NONE) {
      if (this.#state.protocol === PROTOCOL_TLS_CLIENT) {
        this.#state.verifyMode = CERT_REQUIRED;
      }
    }
    this.#state.checkHostname = on;
  }

  /**
   * Loads this side's certificate chain and private key from PEM files,
   * like Python's `load_cert_chain`: a server needs one; a client needs one
   * only for servers that ask for client certificates (and then must
   * connect with {@linkcode create_tls_connection}). `certfile` holds the
   * certificate first, then any intermediates; the key may be in
   * `certfile` too, or in `keyfile`. Deno takes unencrypted RSA, EC and
   * PKCS#8 keys, so a password cannot be used.
   *
   * Requires `allow-read` for the files.
   *
   * @param certfile The certificate chain file.
   * @param keyfile The private key file; `certfile` when left out.
   * @param password Not supported: throws if the key is encrypted.
   * @throws {OSError} If a file cannot be read (`FileNotFoundError`, `PermissionError`).
   * @throws {SSLError} If the files hold no certificate or no usable key.
   *
   * @tags allow-read
   *
   * @example
   * ```ts ignore
   * import { create_default_context, Purpose } from "@pysocket/pysocket/ssl";
   * const ctx = create_default_context(Purpose.CLIENT_AUTH);
   * ctx.load_cert_chain("server.pem", "server.key");
   * ```
   */
  load_cert_chain(
    certfile: string,
    keyfile?: string | null,
    password?: unknown,
  ): void {
    const certText = readText(certfile, "certfile");
    const keyText = keyfile ? readText(keyfile, "keyfile") : certText;
    const certs = certificatesIn(certText);
    if (certs.length === 0) {
      throw new SSLError("no certificate found", {
        reason: "PEM_LIB",
        detail:
          `load_cert_chain(): ${certfile} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
      });
    }
    const keys = pemBlocks(keyText).filter((b) => /PRIVATE KEY$/.test(b.label));
    const keyPlace = keyfile ?? certfile;
    if (keys.length === 0) {
      throw new SSLError("no private key found", {
        reason: "PEM_LIB",
        detail: `load_cert_chain(): ${keyPlace} holds no PEM private key${
          keyfile ? "" : "; pass the key file as the second argument"
        }`,
      });
    }
    const key = keys[0].text;
    if (
      keys[0].label === "ENCRYPTED PRIVATE KEY" ||
      /Proc-Type:.*ENCRYPTED/.test(key)
    ) {
      throw new SSLError("encrypted private key", {
        reason: "PEM_LIB",
        detail: `load_cert_chain(): the key in ${keyPlace} is encrypted${
          password === undefined ? "" : " and Deno cannot use a password"
        }; decrypt it once with \`openssl pkey -in ${keyPlace} -out plain.key\``,
      });
    }
    this.#state.chain = { cert: certs.join(""), key };
  }

  /**
   * Adds CA certificates to trust, like Python's `load_verify_locations`:
   * a client trusts servers whose certificates they signed, in addition to
   * Deno's root store. A self-signed certificate can be loaded as its own
   * CA. Give the positional `(cafile, capath, cadata)` of Python, or the
   * keywords as an object.
   *
   * Requires `allow-read` for `cafile` and `capath`.
   *
   * @param cafile A PEM file, or the keywords `{ cafile, capath, cadata }`.
   * @param capath A directory of PEM files.
   * @param cadata PEM text, or DER bytes.
   * @throws {TypeError} If all three are left out.
   * @throws {OSError} If a file cannot be read.
   * @throws {SSLError} If a source holds no certificate.
   *
   * @tags allow-read
   *
   * @example From a file, and from text
   * ```ts ignore
   * import { create_default_context } from "@pysocket/pysocket/ssl";
   * const ctx = create_default_context();
   * ctx.load_verify_locations("ca.pem");
   * ctx.load_verify_locations({ cadata: await Deno.readTextFile("other-ca.pem") });
   * ```
   */
  load_verify_locations(
    cafile?: string | null | VerifyLocations,
    capath?: string | null,
    cadata?: string | ArrayBufferView | null,
  ): void {
    let file: string | null | undefined;
    if (cafile !== null && typeof cafile === "object") {
      ({ cafile: file, capath, cadata } = cafile);
    } else {
      file = cafile;
    }
    if (file == null && capath == null && cadata == null) {
      throw new TypeError(
        "load_verify_locations(): cafile, capath and cadata cannot be all omitted",
      );
    }
    const found: string[] = [];
    const none = (where: string) =>
      new SSLError("no certificate or crl found", {
        library: "X509",
        reason: "NO_CERTIFICATE_OR_CRL_FOUND",
        detail: `load_verify_locations(): ${where} holds no PEM certificate`,
      });
    if (file != null) {
      const certs = certificatesIn(readText(file, "cafile"));
      if (certs.length === 0) throw none(file);
      found.push(...certs);
    }
    if (capath != null) {
      let entries: Deno.DirEntry[];
      try {
        entries = [...Deno.readDirSync(capath)];
      } catch (err) {
        throw translateError(err, `cannot read capath ${capath}`);
      }
      const before = found.length;
      for (const entry of entries.sort((a, b) => a.name < b.name ? -1 : 1)) {
        if (!entry.isFile) continue;
        found.push(
          ...certificatesIn(readText(`${capath}/${entry.name}`, "CA file")),
        );
      }
      if (found.length === before) throw none(`capath ${capath}`);
    }
    if (cadata != null) {
      let certs: string[];
      if (typeof cadata === "string") certs = certificatesIn(cadata);
      else if (ArrayBuffer.isView(cadata)) {
        certs = derToPem(
          new Uint8Array(cadata.buffer, cadata.byteOffset, cadata.byteLength),
        );
      } else {
        throw new TypeError(
          "load_verify_locations(): cadata must be PEM text or DER bytes",
        );
      }
      if (certs.length === 0) throw none("cadata");
      found.push(...certs);
    }
    this.#state.caCerts.push(...found);
  }

  /**
   * Python loads the system's CA certificates here. Deno always trusts its
   * root store (Mozilla's roots; the system's with
   * `DENO_TLS_CA_STORE=system`), so this does nothing; it exists so ported
   * code runs.
   *
   * @param _purpose Ignored.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { create_default_context } from "@pysocket/pysocket/ssl";
   * const ctx = create_default_context();
   * ctx.load_default_certs();
   * assert.deepEqual(ctx.cert_store_stats(), { x509: 0, crl: 0, x509_ca: 0 }); // nothing loaded
   * ```
   */
  load_default_certs(_purpose?: Purpose): void {}

  /**
   * Sets the ALPN protocols to offer (client) or accept (server), most
   * preferred first, like Python's `set_alpn_protocols`. The choice is read
   * with `SSLSocket.selected_alpn_protocol()`.
   *
   * @param protocols Protocol names, such as `["h2", "http/1.1"]`.
   * @throws {TypeError} If a name is not a non-empty string.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { create_default_context } from "@pysocket/pysocket/ssl";
   * const ctx = create_default_context();
   * ctx.set_alpn_protocols(["h2", "http/1.1"]);
   * assert.throws(() => ctx.set_alpn_protocols([""]), TypeError); // names must not be empty
   * ```
   */
  set_alpn_protocols(protocols: Iterable<string>): void {
    const list = [...protocols];
    for (const name of list) {
      if (typeof name !== "string" || name === "" || name.length > 255) {
        throw new TypeError(
          `set_alpn_protocols(): protocol names must be strings of 1 to 255 characters, got ${
            JSON.stringify(name)
          }`,
        );
      }
    }
    this.#state.alpn = list.length > 0 ? list : null;
  }

  /**
   * How many CA certificates `load_verify_locations` has loaded, in
   * Python's shape. pysocket does not parse certificates, so `x509` and
   * `x509_ca` both count every loaded certificate, and `crl` is 0.
   *
   * @returns The counts.
   *
   * @example
   * ```ts
   * import assert from "node:assert/strict";
   * import { create_default_context } from "@pysocket/pysocket/ssl";
   * assert.deepEqual(create_default_context().cert_store_stats(), { x509: 0, crl: 0, x509_ca: 0 });
   * ```
   */
  cert_store_stats(): { x509: number; crl: number; x509_ca: number } {
    const n = this.#state.caCerts.length;
    return { x509: n, crl: 0, x509_ca: n };
  }

  /**
   * Turns a socket into an {@linkcode SSLSocket}, like Python's
   * `wrap_socket`. The socket given is detached and left closed (its
   * `fileno()` is -1), as in Python; use the returned socket.
   *
   * Client side: the socket must be connected. Its connection is handed to
   * `Deno.startTls` with `server_hostname` for SNI and the name check, and
   * the handshake runs within the socket's timeout. Failures throw
   * {@linkcode SSLCertVerificationError} (untrusted certificate, host name
   * mismatch) or another {@linkcode SSLError}.
   *
   * Server side (`server_side: true`): Deno cannot start TLS on a
   * connection a server has accepted, so pass the bound, listening socket
   * instead. Its plain listener is closed and the same host and port are
   * reopened at once with `Deno.listenTls` and the context's certificate;
   * the returned socket listens, and its `accept()` returns TLS
   * connections, each after its handshake. Connections that were waiting
   * in the old listener's queue are dropped.
   *
   * Requires `allow-net` for the address, as for the plain socket.
   *
   * @param sock A connected TCP socket (client), or a listening one (server).
   * @param options Python's keywords: `server_side`, `server_hostname`,
   *   `do_handshake_on_connect`, `suppress_ragged_eofs`.
   * @returns The TLS socket.
   * @throws {TypeError} If the socket or options do not fit the context.
   * @throws {SSLCertVerificationError} If the server's certificate does not verify.
   * @throws {SSLError} If the handshake fails otherwise.
   * @throws {TimeoutError} If the handshake outlasts the socket's timeout.
   * @throws {OSError} If the socket is in a state TLS cannot start from.
   *
   * @tags allow-net
   *
   * @example Client
   * ```ts ignore
   * import { create_connection } from "@pysocket/pysocket";
   * import { create_default_context } from "@pysocket/pysocket/ssl";
   * const ctx = create_default_context();
   * ctx.load_verify_locations("ca.pem");
   * using ssock = await ctx.wrap_socket(
   *   await create_connection(["127.0.0.1", 8443], 5),
   *   { server_hostname: "localhost" },
   * );
   * ```
   *
   * @example Server
   * ```ts ignore
   * import { create_server } from "@pysocket/pysocket";
   * import { create_default_context, Purpose } from "@pysocket/pysocket/ssl";
   * const ctx = create_default_context(Purpose.CLIENT_AUTH);
   * ctx.load_cert_chain("server.pem", "server.key");
   * using server = await ctx.wrap_socket(create_server(["127.0.0.1", 8443]), {
   *   server_side: true,
   * });
   * const [conn] = await server.accept();
   * await conn.sendall(await conn.recv(1024));
   * conn.close();
   * ```
   *
   * @example An accepted connection cannot be wrapped
   * ```ts
   * import assert from "node:assert/strict";
   * import { create_connection, create_server, OSError } from "@pysocket/pysocket";
   * import { create_default_context, Purpose } from "@pysocket/pysocket/ssl";
   * using server = create_server(["127.0.0.1", 0]);
   * using client = await create_connection(server.getsockname() as [string, number]);
   * const [conn] = await server.accept();
   * const ctx = create_default_context(Purpose.CLIENT_AUTH);
   * // Wrap the listening socket instead.
   * await assert.rejects(ctx.wrap_socket(conn, { server_side: true }), OSError);
   * conn.close();
   * ```
   */
  async wrap_socket(
    sock: Socket,
    options: WrapSocketOptions = {},
  ): Promise<SSLSocket> {
    if (!(sock instanceof Socket)) {
      throw new TypeError("wrap_socket(): sock must be a pysocket Socket");
    }
    if (sock instanceof SSLSocket) {
      throw new TypeError("wrap_socket(): the socket already speaks TLS");
    }
    if (sock.closed) {
      throw oserror("EBADF", "cannot wrap_socket: the socket is closed");
    }
    if (
      sock.type !== SOCK_STREAM ||
      (sock.family !== AF_INET && sock.family !== AF_INET6)
    ) {
      throw oserror(
        "EOPNOTSUPP",
        "cannot wrap_socket: TLS needs a TCP socket (SOCK_STREAM with AF_INET " +
          "or AF_INET6); Deno has no TLS over UDP or Unix sockets",
      );
    }
    return options.server_side
      ? wrapServer(this, this.#state, sock, options)
      : await wrapClient(this, this.#state, sock, options);
  }
}
