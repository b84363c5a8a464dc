/**
 * TLS for pysocket sockets, in the spirit of Python's `ssl` module:
 * {@linkcode SSLContext}, {@linkcode create_default_context} and
 * {@linkcode SSLSocket}, built on `Deno.startTls`, `Deno.listenTls` and
 * `Deno.connectTls`.
 *
 * | Python | pysocket |
 * | --- | --- |
 * | `ctx = ssl.create_default_context()` | `const ctx = create_default_context()` |
 * | `ctx.load_verify_locations("ca.pem")` | `ctx.load_verify_locations("ca.pem")` |
 * | `ss = ctx.wrap_socket(sock, server_hostname="localhost")` | `const ss = await ctx.wrap_socket(sock, { server_hostname: "localhost" })` |
 * | `ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)` | `const ctx = create_default_context(Purpose.CLIENT_AUTH)` |
 * | `ctx.load_cert_chain("cert.pem", "key.pem")` | `ctx.load_cert_chain("cert.pem", "key.pem")` |
 * | `ls = ctx.wrap_socket(listening, server_side=True)` | `const ls = await ctx.wrap_socket(listening, { server_side: true })` |
 * | `except ssl.SSLCertVerificationError:` | `catch (e) { if (e instanceof SSLCertVerificationError) ... }` |
 *
 * What Deno 2.9 lets us do, and so what differs from Python:
 *
 * - The client side verifies the server's certificate against Deno's root
 *   store plus the CAs loaded with `load_verify_locations` (or Deno's
 *   `--cert=<ca.pem>` flag). Verification cannot be turned off for one
 *   connection: there is no per-connection option for it, only the run
 *   flag `--unsafely-ignore-certificate-errors[=host]`, which turns it off
 *   for the whole program. So `verify_mode = CERT_NONE` throws on a client
 *   context and names the flag. Turning off only the host name check
 *   (`check_hostname = false`) works per connection.
 * - A server cannot start TLS on a connection it has accepted
 *   (`Deno.startTls` is client-only). Wrapping a listening socket with
 *   `server_side: true` closes its plain listener and opens `Deno.listenTls`
 *   on the same address; its `accept()` returns TLS connections.
 * - Servers cannot ask for or verify client certificates, so a server
 *   context's `verify_mode` stays `CERT_NONE`. Clients can present one, but
 *   only through {@linkcode create_tls_connection} (`Deno.connectTls`):
 *   `Deno.startTls` does not send it.
 * - Deno reports only the negotiated ALPN protocol, so there is
 *   `selected_alpn_protocol()` but no `version()`, `cipher()` or
 *   `getpeercert()`. Deno speaks TLS 1.2 and 1.3 with its own cipher
 *   choice; there is no `minimum_version` or `set_ciphers`.
 *
 * Permissions: `allow-net` for the addresses, as for plain sockets, and
 * `allow-read` for the certificate and key files
 * (`--allow-read=cert.pem,key.pem`).
 *
 * @example A TLS client (needs the server's CA in ca.pem)
 * ```ts ignore
 * import { create_connection, create_default_context } from "@pysocket/pysocket";
 *
 * const ctx = create_default_context();
 * ctx.load_verify_locations("ca.pem");
 * const sock = await create_connection(["127.0.0.1", 8443], 5);
 * using ssock = await ctx.wrap_socket(sock, { server_hostname: "localhost" });
 * await ssock.sendall(new TextEncoder().encode("hello"));
 * console.log(new TextDecoder().decode(await ssock.recv(1024)));
 * ```
 *
 * @module
 */

import {
  AF_INET,
  AF_INET6,
  errno as ERRNO,
  IPPROTO_TCP,
  SO_KEEPALIVE,
  SOCK_STREAM,
  SOL_SOCKET,
  TCP_NODELAY,
} from "../socket/constants.ts";
import { type Address, formatHostPort, isIPv6 } from "../socket/address.ts";
import {
  BlockingIOError,
  OSError,
  oserror,
  TimeoutError,
  translateError,
} from "../socket/errors.ts";
import {
  create_connection,
  getdefaulttimeout,
  Socket,
} from "../socket/socket.ts";
import { checkTimeout, nextTurn } from "../socket/_deadline.ts";

// Python's ssl module imports these from socket too (`ssl.socket` exists);
// re-exported so this module's own documentation is complete.
export type { Address, IPv4Address, IPv6Address } from "../socket/address.ts";
export { OSError } from "../socket/errors.ts";
export { type Buffer, Socket, type SocketHandle } from "../socket/socket.ts";

/**
 * The protocol of a client context, as `ssl.PROTOCOL_TLS_CLIENT`: it
 * verifies the server's certificate and host name by default. Deno
 * negotiates TLS 1.2 or 1.3.
 *
 * @example
 * ```ts
 * import { PROTOCOL_TLS_CLIENT, SSLContext } from "@pysocket/pysocket";
 * const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
 * console.log(ctx.check_hostname); // true
 * ```
 */
export const PROTOCOL_TLS_CLIENT = 16;

/**
 * The protocol of a server context, as `ssl.PROTOCOL_TLS_SERVER`.
 *
 * @example
 * ```ts
 * import { CERT_NONE, PROTOCOL_TLS_SERVER, SSLContext } from "@pysocket/pysocket";
 * const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
 * console.log(ctx.verify_mode === CERT_NONE); // true
 * ```
 */
export const PROTOCOL_TLS_SERVER = 17;

/**
 * `verify_mode`: do not verify the peer's certificate. The default of
 * server contexts (Deno servers never ask clients for certificates). On a
 * client context Deno cannot honour it per connection, so setting it
 * throws; see {@linkcode SSLContext.verify_mode}.
 *
 * @example
 * ```ts
 * import { CERT_NONE, create_default_context, Purpose } from "@pysocket/pysocket";
 * const server = create_default_context(Purpose.CLIENT_AUTH);
 * console.log(server.verify_mode === CERT_NONE); // true
 * ```
 */
export const CERT_NONE = 0;

/**
 * `verify_mode`: verify a certificate if the peer sends one. On a client
 * context it means the same as {@linkcode CERT_REQUIRED}, as in Python.
 *
 * @example
 * ```ts
 * import { CERT_OPTIONAL, create_default_context } from "@pysocket/pysocket";
 * const ctx = create_default_context();
 * ctx.verify_mode = CERT_OPTIONAL;
 * console.log(ctx.verify_mode); // 1
 * ```
 */
export const CERT_OPTIONAL = 1;

/**
 * `verify_mode`: the peer must present a certificate that verifies. The
 * default, and the only real choice, of client contexts.
 *
 * @example
 * ```ts
 * import { CERT_REQUIRED, create_default_context } from "@pysocket/pysocket";
 * console.log(create_default_context().verify_mode === CERT_REQUIRED); // true
 * ```
 */
export const CERT_REQUIRED = 2;

/**
 * What a context from {@linkcode create_default_context} is for, as
 * Python's `ssl.Purpose`: `SERVER_AUTH` (the default) makes a client
 * context that authenticates servers; `CLIENT_AUTH` makes a server context.
 *
 * @example
 * ```ts
 * import { create_default_context, PROTOCOL_TLS_SERVER, Purpose } from "@pysocket/pysocket";
 * const ctx = create_default_context(Purpose.CLIENT_AUTH);
 * console.log(ctx.protocol === PROTOCOL_TLS_SERVER); // true
 * ```
 */
export const Purpose: Readonly<{
  SERVER_AUTH: "SERVER_AUTH";
  CLIENT_AUTH: "CLIENT_AUTH";
}> = Object.freeze({
  SERVER_AUTH: "SERVER_AUTH",
  CLIENT_AUTH: "CLIENT_AUTH",
});

/** One of the {@linkcode Purpose} values. */
export type Purpose = typeof Purpose[keyof typeof Purpose];

/** Options of {@linkcode SSLError}. */
export interface SSLErrorOptions {
  /**
   * The OpenSSL-style reason, such as `"WRONG_VERSION_NUMBER"`.
   *
   * @default {null}
   */
  reason?: string | null;
  /**
   * The library that reported it, such as `"SSL"`.
   *
   * @default {"SSL" when there is a reason, else null}
   */
  library?: string | null;
  /**
   * What was being done and what to do about it; appended to the message.
   *
   * @default {undefined}
   */
  detail?: string;
  /**
   * The underlying error.
   *
   * @default {undefined}
   */
  cause?: unknown;
}

/**
 * A TLS failure, like Python's `ssl.SSLError`; an {@linkcode OSError}, so
 * `catch (e) { if (e instanceof OSError) ... }` catches it too. The message
 * reads `[SSL: REASON] what happened: what to do`. `errno` is `null`:
 * Deno's TLS errors carry no OpenSSL error numbers.
 *
 * @example
 * ```ts
 * import { OSError, SSLError } from "@pysocket/pysocket";
 * const err = new SSLError("wrong version number", { reason: "WRONG_VERSION_NUMBER" });
 * console.log(err.message, err instanceof OSError); // "[SSL: WRONG_VERSION_NUMBER] wrong version number" true
 * ```
 */
export class SSLError extends OSError {
  /** The OpenSSL-style reason, such as `"CERTIFICATE_VERIFY_FAILED"`. */
  readonly reason: string | null;
  /** The library that reported it, such as `"SSL"`. */
  readonly library: string | null;

  /**
   * Creates the error.
   *
   * @param message What happened.
   * @param options Reason, library, detail and cause.
   */
  constructor(message = "", options: SSLErrorOptions = {}) {
    const reason = options.reason ?? null;
    const library = options.library ?? (reason ? "SSL" : null);
    const head = reason ? `[${library}: ${reason}] ${message}` : message;
    super(head.trimEnd(), null, {
      detail: options.detail,
      cause: options.cause,
    });
    this.reason = reason;
    this.library = library;
  }
}

/** Options of {@linkcode SSLCertVerificationError}. */
export interface SSLCertVerificationErrorOptions {
  /**
   * OpenSSL's verify code: 20 for an unknown issuer, 62 for a host name
   * mismatch, 10 for an expired certificate.
   *
   * @default {null}
   */
  verify_code?: number | null;
  /**
   * What to do about it; appended to the message.
   *
   * @default {undefined}
   */
  detail?: string;
  /**
   * The underlying error.
   *
   * @default {undefined}
   */
  cause?: unknown;
}

/**
 * The peer's certificate did not verify, like Python's
 * `ssl.SSLCertVerificationError` (also exported as
 * {@linkcode CertificateError}). `verify_message` says why in OpenSSL's
 * words and `verify_code` gives OpenSSL's number where one exists; the
 * message also says what to do, such as loading the CA with
 * `load_verify_locations`.
 *
 * @example
 * ```ts
 * import { SSLCertVerificationError, SSLError } from "@pysocket/pysocket";
 * const err = new SSLCertVerificationError("unable to get local issuer certificate", { verify_code: 20 });
 * console.log(err instanceof SSLError, err.reason); // true "CERTIFICATE_VERIFY_FAILED"
 * ```
 */
export class SSLCertVerificationError extends SSLError {
  /** OpenSSL's verify code, or `null` when it has none for this failure. */
  readonly verify_code: number | null;
  /** Why verification failed, such as `"unable to get local issuer certificate"`. */
  readonly verify_message: string;

  /**
   * Creates the error.
   *
   * @param verify_message Why verification failed.
   * @param options Verify code, detail and cause.
   */
  constructor(
    verify_message: string,
    options: SSLCertVerificationErrorOptions = {},
  ) {
    super(`certificate verify failed: ${verify_message.replace(/\.$/, "")}`, {
      reason: "CERTIFICATE_VERIFY_FAILED",
      detail: options.detail,
      cause: options.cause,
    });
    this.verify_code = options.verify_code ?? null;
    this.verify_message = verify_message;
  }
}

/**
 * Alias of {@linkcode SSLCertVerificationError}, as `ssl.CertificateError`
 * is in Python.
 *
 * @example
 * ```ts
 * import { CertificateError, SSLCertVerificationError } from "@pysocket/pysocket";
 * console.log(CertificateError === SSLCertVerificationError); // true
 * ```
 */
export const CertificateError: typeof SSLCertVerificationError =
  SSLCertVerificationError;

/**
 * The peer closed the connection without ending TLS properly (no
 * `close_notify`), like Python's `ssl.SSLEOFError`. By default `recv`
 * treats that as end of stream and returns empty bytes, as Python's
 * `suppress_ragged_eofs=True` does; it is thrown during a handshake, or
 * with `suppress_ragged_eofs: false`.
 *
 * @example
 * ```ts
 * import { SSLEOFError, SSLError } from "@pysocket/pysocket";
 * const err = new SSLEOFError("EOF occurred in violation of protocol");
 * console.log(err instanceof SSLError); // true
 * ```
 */
export class SSLEOFError extends SSLError {}

/**
 * A non-blocking socket's handshake has not finished yet, like Python's
 * `ssl.SSLWantReadError`: call `do_handshake()` again. The handshake goes on
 * meanwhile.
 *
 * @example
 * ```ts
 * import { SSLError, SSLWantReadError } from "@pysocket/pysocket";
 * console.log(new SSLWantReadError() instanceof SSLError); // true
 * ```
 */
export class SSLWantReadError extends SSLError {}

// ---------------------------------------------------------------------------
// Translating Deno's TLS errors

/** Where an error happened, for messages. */
interface Scene {
  /** The operation, such as `"handshake with localhost (127.0.0.1:8443)"`. */
  what: string;
  /** Which end this program is. */
  side: "client" | "server";
  /** The name the server's certificate is checked against. */
  hostname?: string | null;
}

/** Whether a Deno error is a TLS failure rather than a network one. */
function isTlsFailure(err: unknown): err is Error {
  return err instanceof Error &&
    (err.name === "InvalidData" || err.name === "UnexpectedEof" ||
      /KeyMismatch|private key|No keys found|No certificates found/.test(
        err.message,
      ));
}

/** Deno's alert names, with Python's reason and what it means here. */
const ALERTS: Record<string, [reason: string, meaning: string]> = {
  UnknownCA: [
    "TLSV1_ALERT_UNKNOWN_CA",
    "the peer does not trust this side's certificate: the peer needs the CA that signed it (load_verify_locations() on its side)",
  ],
  BadCertificate: [
    "SSLV3_ALERT_BAD_CERTIFICATE",
    "the peer rejected this side's certificate, often because it does not name the host the peer asked for",
  ],
  CertificateUnknown: [
    "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
    "the peer could not verify this side's certificate",
  ],
  CertificateExpired: [
    "SSLV3_ALERT_CERTIFICATE_EXPIRED",
    "the peer says this side's certificate has expired",
  ],
  CertificateRequired: [
    "TLSV13_ALERT_CERTIFICATE_REQUIRED",
    "the server requires a client certificate: load_cert_chain() on the client context and connect with create_tls_connection()",
  ],
  HandshakeFailure: [
    "SSLV3_ALERT_HANDSHAKE_FAILURE",
    "the peer found no protocol version or cipher in common",
  ],
  ProtocolVersion: [
    "TLSV1_ALERT_PROTOCOL_VERSION",
    "the peer speaks neither TLS 1.2 nor 1.3, the versions Deno speaks",
  ],
  NoApplicationProtocol: [
    "TLSV1_ALERT_NO_APPLICATION_PROTOCOL",
    "no ALPN protocol in common: compare set_alpn_protocols() on both sides",
  ],
  UnrecognisedName: [
    "TLSV1_UNRECOGNIZED_NAME",
    "the server has no certificate for the server_hostname sent",
  ],
};

/** `CamelCase` to `CAMEL_CASE`, for alerts without a known reason. */
function screaming(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
}

/** Builds the certificate verification error for Deno's message. */
function verificationError(
  problem: string,
  scene: Scene,
  cause: Error,
): SSLCertVerificationError {
  const name = scene.hostname ?? "the server";
  let code: number | null = null;
  let message = problem;
  let hint: string;
  if (/UnknownIssuer/.test(problem)) {
    code = 20;
    message = "unable to get local issuer certificate";
    hint =
      `${name}'s certificate is not signed by any CA this context trusts: ` +
      `load that CA with context.load_verify_locations("ca.pem") (a ` +
      `self-signed certificate is its own CA), or run Deno with --cert=ca.pem`;
  } else if (/not valid for name|NotValidForName/.test(problem)) {
    code = 62;
    message = `Hostname mismatch, certificate is not valid for '${name}'.`;
    const names = /certificate is only valid for (.*)$/s.exec(problem)?.[1];
    hint = `the certificate ${
      names ? `names only ${names}` : "names other hosts"
    }: pass one of those as server_hostname, or set context.check_hostname = false to skip the name check`;
  } else if (/NotValidYet/.test(problem)) {
    code = 9;
    message = "certificate is not yet valid";
    hint = "check the clocks of both machines and the certificate's dates";
  } else if (/Expired/.test(problem)) {
    code = 10;
    message = "certificate has expired";
    hint = "the server must renew its certificate";
  } else if (/Revoked/.test(problem)) {
    code = 23;
    message = "certificate revoked";
    hint = "the server must get a new certificate";
  } else if (/CaUsedAsEndEntity/.test(problem)) {
    message = "CA certificate used as a server certificate";
    hint =
      "the server's certificate is marked as a CA (basicConstraints CA:TRUE), " +
      "which Deno refuses as a server's own even when trusted; `openssl req " +
      "-x509` makes such certificates unless given -addext " +
      "basicConstraints=critical,CA:FALSE: issue one without it, or sign it " +
      "with a separate CA";
  } else if (/InvalidPurpose/.test(problem)) {
    code = 26;
    message = "unsupported certificate purpose";
    hint = "the certificate's extended key usage does not allow this use";
  } else if (/Signature/.test(problem)) {
    code = 7;
    message = "certificate signature failure";
    hint = "the certificate or its chain is damaged or uses an unsupported " +
      "signature algorithm";
  } else {
    hint = problem;
  }
  return new SSLCertVerificationError(message, {
    verify_code: code,
    detail: `${scene.what}: ${hint}`,
    cause,
  });
}

/**
 * Translates an error from a TLS operation: TLS failures become
 * {@linkcode SSLError}s that say what to do; the rest go through
 * `translateError`.
 */
function tlsError(err: unknown, scene: Scene): OSError {
  if (err instanceof OSError) {
    return isTlsFailure(err.cause) ? tlsError(err.cause, scene) : err;
  }
  if (!isTlsFailure(err)) return translateError(err, scene.what);
  const text = err.message;
  const problem = /invalid peer certificate: (.*)$/s.exec(text)?.[1];
  if (problem !== undefined) return verificationError(problem, scene, err);
  const alert = /received fatal alert: (\w+)/.exec(text)?.[1];
  if (alert !== undefined) {
    const [reason, meaning] = ALERTS[alert] ??
      [`ALERT_${screaming(alert)}`, `the peer ended the handshake`];
    return new SSLError(`the peer sent the alert ${alert}`, {
      reason,
      detail: `${scene.what}: ${meaning}`,
      cause: err,
    });
  }
  if (err.name === "UnexpectedEof") {
    return new SSLEOFError("EOF occurred in violation of protocol", {
      reason: "UNEXPECTED_EOF_WHILE_READING",
      detail: `${scene.what}: the peer closed the connection without ending ` +
        "TLS (no close_notify)",
      cause: err,
    });
  }
  if (/corrupt message|InvalidContentType|InvalidMessage/.test(text)) {
    return new SSLError("wrong version number", {
      reason: "WRONG_VERSION_NUMBER",
      detail: `${scene.what}: ${
        scene.side === "client"
          ? "the server did not answer in TLS; is it a plain TCP service, or the wrong port?"
          : "the client did not speak TLS (a plain TCP client, or plain HTTP to a TLS port)"
      }`,
      cause: err,
    });
  }
  if (/KeyMismatch/.test(text)) {
    return new SSLError("key values mismatch", {
      reason: "KEY_VALUES_MISMATCH",
      detail: `${scene.what}: the private key does not belong to the ` +
        "certificate; check the files given to load_cert_chain()",
      cause: err,
    });
  }
  if (/private key|No keys found/.test(text)) {
    return new SSLError("bad private key", {
      reason: "PEM_LIB",
      detail: `${scene.what}: Deno could not use the private key (${text}); ` +
        "it takes unencrypted RSA, EC or PKCS#8 keys in PEM",
      cause: err,
    });
  }
  if (/No certificates found/.test(text)) {
    return new SSLError("no certificate", {
      reason: "PEM_LIB",
      detail: `${scene.what}: the certificate chain holds no certificate`,
      cause: err,
    });
  }
  return new SSLError(text, { detail: scene.what, cause: err });
}

// ---------------------------------------------------------------------------
// PEM files

interface PemBlock {
  label: string;
  text: string;
}

function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
  for (const match of text.matchAll(re)) {
    blocks.push({ label: match[1], text: `${match[0]}\n` });
  }
  return blocks;
}

function certificatesIn(text: string): string[] {
  return pemBlocks(text).filter((b) => b.label === "CERTIFICATE").map((b) =>
    b.text
  );
}

function readText(path: string, what: string): string {
  if (typeof path !== "string" || path === "") {
    throw new TypeError(`${what} must be a file path, got ${String(path)}`);
  }
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    throw translateError(err, `cannot read ${what} ${path}`);
  }
}

/** Splits concatenated DER certificates and turns each into PEM. */
function derToPem(der: Uint8Array): string[] {
  const out: string[] = [];
  let at = 0;
  while (at < der.length) {
    let len = 0;
    let head = 2;
    const first = der[at + 1];
    if (der[at] !== 0x30 || first === undefined) at = -1;
    else if (first < 0x80) len = first;
    else {
      const n = first & 0x7f;
      head = 2 + n;
      for (let i = 0; i < n; i++) len = len * 256 + (der[at + 2 + i] ?? NaN);
    }
    if (at < 0 || !(len > 0) || at + head + len > der.length) {
      throw new SSLError("not enough data", {
        library: "ASN1",
        reason: "NESTED_ASN1_ERROR",
        detail: "cadata bytes are not DER certificates; pass PEM text as a " +
          "string, or DER bytes",
      });
    }
    const one = der.subarray(at, at + head + len);
    let binary = "";
    for (const byte of one) binary += String.fromCharCode(byte);
    const b64 = btoa(binary).replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
    out.push(
      `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`,
    );
    at += head + len;
  }
  return out;
}

// ---------------------------------------------------------------------------
// SSLContext

/** A context's settings, read by the functions of this module. */
interface ContextState {
  protocol: number;
  verifyMode: number;
  checkHostname: boolean;
  caCerts: string[];
  chain: { cert: string; key: string } | null;
  alpn: string[] | null;
}

let stateOf: (context: SSLContext) => ContextState;

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
    throw new RangeError(
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
 * import { PROTOCOL_TLS_CLIENT, SSLContext } from "@pysocket/pysocket";
 * const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
 * ctx.load_verify_locations("ca.pem");
 * ```
 *
 * @example Defaults of the two kinds
 * ```ts
 * import { PROTOCOL_TLS_CLIENT, PROTOCOL_TLS_SERVER, SSLContext } from "@pysocket/pysocket";
 * const client = new SSLContext(PROTOCOL_TLS_CLIENT);
 * const server = new SSLContext(PROTOCOL_TLS_SERVER);
 * console.log(client.check_hostname, client.verify_mode); // true 2
 * console.log(server.check_hostname, server.verify_mode); // false 0
 * ```
 */
export class SSLContext {
  #state: ContextState;

  static {
    stateOf = (context) => context.#state;
  }

  /**
   * Creates a context.
   *
   * @param protocol {@linkcode PROTOCOL_TLS_CLIENT} or {@linkcode PROTOCOL_TLS_SERVER}.
   * @throws {RangeError} For any other protocol: Deno picks TLS 1.2 or 1.3 itself.
   */
  constructor(protocol: number) {
    if (protocol !== PROTOCOL_TLS_CLIENT && protocol !== PROTOCOL_TLS_SERVER) {
      throw new RangeError(
        `SSLContext(): protocol must be PROTOCOL_TLS_CLIENT or PROTOCOL_TLS_SERVER, got ${
          String(protocol)
        }; Deno negotiates TLS 1.2 or 1.3 itself`,
      );
    }
    const client = protocol === PROTOCOL_TLS_CLIENT;
    this.#state = {
      protocol,
      verifyMode: client ? CERT_REQUIRED : CERT_NONE,
      checkHostname: client,
      caCerts: [],
      chain: null,
      alpn: null,
    };
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
   * import { CERT_NONE, create_default_context, OSError } from "@pysocket/pysocket";
   * const ctx = create_default_context();
   * ctx.check_hostname = false;
   * try {
   *   ctx.verify_mode = CERT_NONE;
   * } catch (err) {
   *   console.log(err instanceof OSError); // true: names --unsafely-ignore-certificate-errors
   * }
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
   * import { create_default_context } from "@pysocket/pysocket";
   * const ctx = create_default_context();
   * ctx.check_hostname = false;
   * console.log(ctx.check_hostname); // false
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
   * import { create_default_context, Purpose } from "@pysocket/pysocket";
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
   * import { create_default_context } from "@pysocket/pysocket";
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
   * import { create_default_context } from "@pysocket/pysocket";
   * create_default_context().load_default_certs();
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
   * import { create_default_context } from "@pysocket/pysocket";
   * create_default_context().set_alpn_protocols(["h2", "http/1.1"]);
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
   * import { create_default_context } from "@pysocket/pysocket";
   * console.log(create_default_context().cert_store_stats()); // { x509: 0, crl: 0, x509_ca: 0 }
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
   * import { create_connection, create_default_context } from "@pysocket/pysocket";
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
   * import { create_default_context, create_server, Purpose } from "@pysocket/pysocket";
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
   * import { create_connection, create_default_context, create_server, OSError, Purpose } from "@pysocket/pysocket";
   * using server = create_server(["127.0.0.1", 0]);
   * using client = await create_connection(server.getsockname() as [string, number]);
   * const [conn] = await server.accept();
   * try {
   *   await create_default_context(Purpose.CLIENT_AUTH).wrap_socket(conn, { server_side: true });
   * } catch (err) {
   *   console.log(err instanceof OSError); // true: wrap the listening socket instead
   * }
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
      ? this.#wrapServer(sock, options)
      : await this.#wrapClient(sock, options);
  }

  #wrapServer(sock: Socket, options: WrapSocketOptions): SSLSocket {
    const state = this.#state;
    if (state.protocol !== PROTOCOL_TLS_SERVER) {
      throw new TypeError(
        "wrap_socket(): cannot make a server socket with a PROTOCOL_TLS_CLIENT " +
          "context; use create_default_context(Purpose.CLIENT_AUTH)",
      );
    }
    if (options.server_hostname != null) {
      throw new TypeError(
        "wrap_socket(): server_hostname can only be given in client mode",
      );
    }
    if (isConnected(sock)) {
      throw oserror(
        "EINVAL",
        "cannot wrap_socket(server_side: true) an accepted connection: Deno " +
          "cannot start TLS on the server side of an open connection " +
          "(Deno.startTls is client-only); wrap the listening socket instead, " +
          "before accept(): its accept() then returns TLS connections",
      );
    }
    const [host, port] = sock.getsockname() as [string, number];
    if (port === 0) {
      throw oserror(
        "EINVAL",
        "cannot wrap_socket(server_side: true): bind() and listen() the socket " +
          "first; Deno opens a TLS listener at an address (Deno.listenTls)",
      );
    }
    if (!state.chain) {
      throw new SSLError("no certificate assigned", {
        reason: "NO_CERTIFICATE_ASSIGNED",
        detail:
          "wrap_socket(server_side: true): the context has no certificate; " +
          'call context.load_cert_chain("server.pem", "server.key") first',
      });
    }
    const timeout = sock.gettimeout();
    const where = formatHostPort(host, port);
    (sock.detach() as Deno.Listener).close();
    let listener: Deno.TlsListener;
    try {
      listener = Deno.listenTls({
        hostname: host,
        port,
        transport: "tcp",
        cert: state.chain.cert,
        key: state.chain.key,
        alpnProtocols: state.alpn ?? undefined,
      });
    } catch (err) {
      const e = tlsError(err, {
        what: `cannot reopen ${where} with TLS`,
        side: "server",
      });
      if (e.errno === ERRNO.EADDRINUSE) {
        throw oserror(
          "EADDRINUSE",
          `cannot reopen ${where} with TLS: another socket took the port ` +
            "between closing the plain listener and opening the TLS one",
          err,
        );
      }
      throw e;
    }
    const ssl = new SSLSocket(sock.family, listener, {
      context: this,
      server_side: true,
      do_handshake_on_connect: options.do_handshake_on_connect,
      suppress_ragged_eofs: options.suppress_ragged_eofs,
    });
    ssl.settimeout(timeout);
    return ssl;
  }

  async #wrapClient(
    sock: Socket,
    options: WrapSocketOptions,
  ): Promise<SSLSocket> {
    const state = this.#state;
    if (state.protocol !== PROTOCOL_TLS_CLIENT) {
      throw new TypeError(
        "wrap_socket(): a PROTOCOL_TLS_SERVER context cannot make client " +
          "connections; use create_default_context(), or pass server_side: true",
      );
    }
    if (!isConnected(sock)) {
      throw oserror(
        "ENOTCONN",
        "cannot wrap_socket: the socket is not connected; connect() it first " +
          "(Deno starts TLS on an open connection), or use " +
          "create_tls_connection()",
      );
    }
    const hostname = options.server_hostname ?? null;
    if (hostname !== null && typeof hostname !== "string") {
      throw new TypeError("wrap_socket(): server_hostname must be a string");
    }
    if (state.checkHostname && !hostname) {
      throw new TypeError(
        'wrap_socket(): check_hostname requires server_hostname; pass { server_hostname: "example.com" }, or set context.check_hostname = false',
      );
    }
    if (state.chain) {
      throw oserror(
        "EOPNOTSUPP",
        "cannot wrap_socket with a client certificate: Deno.startTls cannot " +
          "present one (denoland/deno#21496); connect with " +
          "create_tls_connection(), which uses Deno.connectTls",
      );
    }
    const handshake = options.do_handshake_on_connect ?? true;
    const timeout = sock.gettimeout();
    if (timeout === 0 && handshake) {
      throw new TypeError(
        "wrap_socket(): do_handshake_on_connect should not be specified for " +
          "non-blocking sockets; pass do_handshake_on_connect: false and call " +
          "do_handshake() until it stops throwing SSLWantReadError",
      );
    }
    const nodelay = sock.getsockopt(IPPROTO_TCP, TCP_NODELAY);
    const keepalive = sock.getsockopt(SOL_SOCKET, SO_KEEPALIVE);
    const [peerHost, peerPort] = sock.getpeername() as [string, number];
    const name = hostname ?? peerHost;
    const where = hostname && hostname !== peerHost
      ? `${hostname} (${formatHostPort(peerHost, peerPort)})`
      : formatHostPort(peerHost, peerPort);
    const conn = sock.detach() as Deno.TcpConn;
    let tls: Deno.TlsConn;
    try {
      tls = await Deno.startTls(conn, {
        hostname: name,
        caCerts: state.caCerts.length > 0 ? [...state.caCerts] : undefined,
        alpnProtocols: state.alpn ?? undefined,
        unsafelyDisableHostnameVerification: !state.checkHostname,
      });
    } catch (err) {
      try {
        conn.close();
      } catch {
        // Consumed by Deno.startTls.
      }
      if (err instanceof TypeError) {
        throw new TypeError(
          `wrap_socket(): server_hostname ${
            JSON.stringify(name)
          } is not a host name or IP address (no brackets or ports)`,
        );
      }
      throw tlsError(err, {
        what: `cannot start TLS with ${where}`,
        side: "client",
        hostname: name,
      });
    }
    const ssl = new SSLSocket(sock.family, tls, {
      context: this,
      server_hostname: hostname,
      do_handshake_on_connect: handshake,
      suppress_ragged_eofs: options.suppress_ragged_eofs,
    });
    ssl.settimeout(timeout);
    ssl.setsockopt(IPPROTO_TCP, TCP_NODELAY, nodelay);
    ssl.setsockopt(SOL_SOCKET, SO_KEEPALIVE, keepalive);
    if (handshake) {
      try {
        await ssl.do_handshake();
      } catch (err) {
        ssl.close();
        throw err;
      }
    }
    return ssl;
  }
}

function isConnected(sock: Socket): boolean {
  try {
    sock.getpeername();
    return true;
  } catch {
    return false;
  }
}

/** Waits for `operation` within a socket timeout (seconds; 0: at once). */
function within<T>(
  operation: Promise<T>,
  seconds: number | null,
  onTimeout: () => Error,
  onWouldBlock: () => Error,
): Promise<T> {
  if (seconds === null) return operation;
  if (seconds === 0) {
    return Promise.race([operation, nextTurn()]).then((value) => {
      if (value === "later") throw onWouldBlock();
      return value as T;
    });
  }
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(onTimeout()), seconds * 1000);
    operation.then((value) => {
      clearTimeout(timer);
      resolve(value);
    }, (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

// ---------------------------------------------------------------------------
// SSLSocket

/** What an {@linkcode SSLSocket} is made with. */
export interface SSLSocketOptions {
  /** The context whose settings it uses. */
  context: SSLContext;
  /**
   * Whether this is the server end.
   *
   * @default {false}
   */
  server_side?: boolean;
  /**
   * The server's name (client side).
   *
   * @default {null}
   */
  server_hostname?: string | null;
  /**
   * See {@linkcode WrapSocketOptions.do_handshake_on_connect}; used by a
   * listening socket's `accept()`.
   *
   * @default {true}
   */
  do_handshake_on_connect?: boolean;
  /**
   * See {@linkcode WrapSocketOptions.suppress_ragged_eofs}.
   *
   * @default {true}
   */
  suppress_ragged_eofs?: boolean;
}

const EMPTY = new Uint8Array(0);

/**
 * A TLS socket, like Python's `ssl.SSLSocket`: a {@linkcode Socket}, so
 * `recv`, `sendall`, `settimeout`, `shutdown`, `using` and the rest work
 * unchanged, with TLS failures raised as {@linkcode SSLError}s. Get one
 * from {@linkcode SSLContext.wrap_socket} or
 * {@linkcode create_tls_connection}; the constructor adopts an open
 * `Deno.TlsConn` or `Deno.TlsListener`, as `Socket`'s fourth argument does.
 *
 * A listening SSLSocket's `accept()` returns SSLSockets whose handshake is
 * done (within the listening socket's timeout), as in Python. A failed
 * handshake makes that `accept()` throw, so a server loop should catch
 * {@linkcode OSError} around it.
 *
 * Deno tells only the negotiated ALPN protocol after a handshake, so there
 * is `selected_alpn_protocol()` but no `version()`, `cipher()` or
 * `getpeercert()`. TLS connections from `Deno.listenTls` cannot set
 * `TCP_NODELAY`: `setsockopt` records it but Deno has no way to apply it.
 *
 * @example An echo over TLS (needs a certificate for localhost signed by ca.pem)
 * ```ts ignore
 * import { create_connection, create_default_context, create_server, Purpose } from "@pysocket/pysocket";
 *
 * const serverCtx = create_default_context(Purpose.CLIENT_AUTH);
 * serverCtx.load_cert_chain("server.pem", "server.key");
 * using server = await serverCtx.wrap_socket(create_server(["127.0.0.1", 0]), { server_side: true });
 *
 * const clientCtx = create_default_context();
 * clientCtx.load_verify_locations("ca.pem");
 * const plain = await create_connection(server.getsockname() as [string, number]);
 * const [[conn], client] = await Promise.all([
 *   server.accept(),
 *   clientCtx.wrap_socket(plain, { server_hostname: "localhost" }),
 * ]);
 * await client.sendall(new TextEncoder().encode("ping"));
 * await conn.sendall(await conn.recv(1024));
 * console.log(new TextDecoder().decode(await client.recv(1024))); // "ping"
 * conn.close();
 * client.close();
 * ```
 */
export class SSLSocket extends Socket {
  /** The context the socket was made with. */
  readonly context: SSLContext;
  /** Whether this is the server end (or a listening server socket). */
  readonly server_side: boolean;
  /** The server name given on the client side, else `null`. */
  readonly server_hostname: string | null;
  #tls: Deno.TlsConn | null;
  #where: string;
  #handshake: Promise<Deno.TlsHandshakeInfo> | null = null;
  #handshaken = false;
  #alpn: string | null = null;
  #doHandshakeOnConnect: boolean;
  #suppressRaggedEofs: boolean;
  #raggedEof = false;

  /**
   * Adopts an open TLS connection or listener.
   *
   * @param family `AF_INET` or `AF_INET6`.
   * @param handle A `Deno.TlsConn` or a `Deno.TlsListener`.
   * @param options The context, the side, and the wrap options.
   */
  constructor(
    family: number,
    handle: Deno.TlsConn | Deno.TlsListener,
    options: SSLSocketOptions,
  ) {
    super(family, SOCK_STREAM, 0, handle as Deno.Conn | Deno.Listener);
    if (!(options?.context instanceof SSLContext)) {
      throw new TypeError("SSLSocket: options.context must be an SSLContext");
    }
    this.context = options.context;
    this.server_side = options.server_side ?? false;
    this.server_hostname = options.server_hostname ?? null;
    this.#doHandshakeOnConnect = options.do_handshake_on_connect ?? true;
    this.#suppressRaggedEofs = options.suppress_ragged_eofs ?? true;
    if ("accept" in handle) {
      this.#tls = null;
      const addr = handle.addr;
      this.#where = formatHostPort(addr.hostname, addr.port);
    } else {
      this.#tls = handle;
      const peer = formatHostPort(
        handle.remoteAddr.hostname,
        handle.remoteAddr.port,
      );
      this.#where = this.server_hostname &&
          this.server_hostname !== handle.remoteAddr.hostname
        ? `${this.server_hostname} (${peer})`
        : peer;
    }
  }

  #scene(call: string): Scene {
    return {
      what: `${call} ${this.server_side ? "from" : "with"} ${this.#where}`,
      side: this.server_side ? "server" : "client",
      hostname: this.server_hostname,
    };
  }

  /** Turns an error from a `Socket` method into the TLS one it stands for. */
  #error(err: unknown, call: string): unknown {
    if (
      this.closed || !(err instanceof OSError) ||
      err instanceof TimeoutError || err instanceof BlockingIOError
    ) {
      return err;
    }
    return tlsError(err, this.#scene(`cannot ${call}`));
  }

  /**
   * Runs the TLS handshake if it has not run yet, like Python's
   * `do_handshake()`, within the socket's timeout. `wrap_socket` and
   * `accept` call it unless `do_handshake_on_connect` is `false`. On a
   * non-blocking socket it throws {@linkcode SSLWantReadError} until the
   * handshake is done.
   *
   * @throws {SSLCertVerificationError} If the server's certificate does not verify.
   * @throws {SSLError} If the handshake fails otherwise.
   * @throws {TimeoutError} If it outlasts the timeout.
   *
   * @example
   * ```ts ignore
   * const ssock = await ctx.wrap_socket(sock, { server_hostname: "localhost", do_handshake_on_connect: false });
   * await ssock.do_handshake();
   * ```
   */
  async do_handshake(): Promise<void> {
    if (this.closed) {
      throw oserror("EBADF", "cannot do_handshake: the socket is closed");
    }
    const tls = this.#tls;
    if (!tls) {
      throw oserror(
        "ENOTCONN",
        "cannot do_handshake: the socket listens; accept() a connection",
      );
    }
    if (this.#handshaken) return;
    if (!this.#handshake) {
      this.#handshake = tls.handshake();
      this.#handshake.catch(() => {});
    }
    let info: Deno.TlsHandshakeInfo;
    try {
      info = await within(
        this.#handshake,
        this.gettimeout(),
        () => new TimeoutError("The handshake operation timed out"),
        () =>
          new SSLWantReadError("The operation did not complete (read)", {
            reason: "WANT_READ",
          }),
      );
    } catch (err) {
      if (err instanceof TimeoutError || err instanceof SSLWantReadError) {
        throw err;
      }
      if (this.closed) {
        throw oserror(
          "EBADF",
          "cannot do_handshake: the socket was closed",
          err,
        );
      }
      throw tlsError(err, this.#scene("handshake"));
    }
    this.#alpn = info.alpnProtocol;
    this.#handshaken = true;
  }

  /**
   * The ALPN protocol both sides chose, like Python's
   * `selected_alpn_protocol()`; `null` when none was agreed, or before the
   * handshake (it is known after `do_handshake()`, which `wrap_socket` and
   * `accept` run by default).
   *
   * @returns The protocol name, or `null`.
   *
   * @example
   * ```ts ignore
   * ctx.set_alpn_protocols(["h2", "http/1.1"]);
   * const ssock = await ctx.wrap_socket(sock, { server_hostname: "example.com" });
   * console.log(ssock.selected_alpn_protocol()); // "h2"
   * ```
   */
  selected_alpn_protocol(): string | null {
    return this.#alpn;
  }

  /**
   * Waits for a TLS connection and returns it with the peer's address, its
   * handshake done (unless `do_handshake_on_connect` was `false`). The
   * socket's timeout bounds the wait, then the handshake.
   *
   * @returns `[connection, address]`.
   * @throws {SSLError} If the client's handshake fails; the connection is closed.
   * @throws {TimeoutError} If the timeout passes.
   *
   * @example
   * ```ts ignore
   * const [conn, addr] = await server.accept();
   * ```
   */
  override async accept(): Promise<[SSLSocket, Address]> {
    const [plain, address] = await super.accept();
    const conn = plain.detach() as Deno.TlsConn;
    const sock = new SSLSocket(this.family, conn, {
      context: this.context,
      server_side: true,
      do_handshake_on_connect: this.#doHandshakeOnConnect,
      suppress_ragged_eofs: this.#suppressRaggedEofs,
    });
    sock.settimeout(this.gettimeout());
    sock.setsockopt(
      IPPROTO_TCP,
      TCP_NODELAY,
      this.getsockopt(IPPROTO_TCP, TCP_NODELAY),
    );
    if (this.#doHandshakeOnConnect) {
      try {
        await sock.do_handshake();
      } catch (err) {
        sock.close();
        throw err;
      }
    }
    return [sock, address];
  }

  /**
   * Receives up to `bufsize` decrypted bytes, as `Socket.recv`. Returns
   * empty bytes at end of stream, including when the peer closes without
   * ending TLS (unless `suppress_ragged_eofs` is `false`).
   *
   * @param bufsize The most bytes to return.
   * @returns The bytes; empty at end of stream.
   * @throws {SSLError} If the TLS stream is broken.
   *
   * @example
   * ```ts ignore
   * const data = await ssock.recv(1024);
   * ```
   */
  override async recv(bufsize: number): Promise<Uint8Array> {
    if (this.#raggedEof && Number.isInteger(bufsize) && bufsize >= 0) {
      await super.recv(0);
      return EMPTY;
    }
    try {
      return await super.recv(bufsize);
    } catch (err) {
      const e = this.#error(err, "recv");
      if (e instanceof SSLEOFError && this.#suppressRaggedEofs) {
        this.#raggedEof = true;
        return new Uint8Array(0);
      }
      throw e;
    }
  }

  /**
   * Sends data, encrypted, as `Socket.send`.
   *
   * @param data The bytes.
   * @returns How many bytes were taken.
   * @throws {SSLError} If the TLS stream is broken.
   *
   * @example
   * ```ts ignore
   * await ssock.send(new TextEncoder().encode("hi"));
   * ```
   */
  override async send(data: ArrayBufferView): Promise<number> {
    try {
      return await super.send(data);
    } catch (err) {
      throw this.#error(err, "send");
    }
  }

  /**
   * Sends all of the data, encrypted, as `Socket.sendall`.
   *
   * @param data The bytes.
   * @throws {SSLError} If the TLS stream is broken.
   *
   * @example
   * ```ts ignore
   * await ssock.sendall(new Uint8Array(1 << 20));
   * ```
   */
  override async sendall(data: ArrayBufferView): Promise<void> {
    try {
      await super.sendall(data);
    } catch (err) {
      throw this.#error(err, "sendall");
    }
  }

  /**
   * Shuts down a direction, as `Socket.shutdown`. `SHUT_WR` ends TLS for
   * writing (`close_notify`), so the peer reads end of stream and can
   * still reply.
   *
   * @param how `SHUT_RD`, `SHUT_WR` or `SHUT_RDWR`.
   *
   * @example
   * ```ts ignore
   * await ssock.shutdown(SHUT_WR);
   * ```
   */
  override async shutdown(how: number): Promise<void> {
    try {
      await super.shutdown(how);
    } catch (err) {
      throw this.#error(err, "shutdown");
    }
  }

  /**
   * Python's `repr`, as `Socket`'s but naming `ssl.SSLSocket`.
   *
   * @returns The description.
   *
   * @example
   * ```ts ignore
   * console.log(String(ssock)); // "<ssl.SSLSocket fd=4, family=2, type=1, proto=0, laddr=..., raddr=...>"
   * ```
   */
  override toString(): string {
    return super.toString().replace("<socket.socket", "<ssl.SSLSocket");
  }
}

// ---------------------------------------------------------------------------
// Module functions

/** Keywords of {@linkcode create_default_context}, as in Python. */
export type CreateDefaultContextOptions = VerifyLocations;

/**
 * Makes a context with secure defaults, like Python's
 * `ssl.create_default_context`: for `Purpose.SERVER_AUTH` (the default) a
 * client context that verifies certificates and host names; for
 * `Purpose.CLIENT_AUTH` a server context (load its certificate with
 * `load_cert_chain`). CAs given as `cafile`/`capath`/`cadata` are loaded
 * with `load_verify_locations`.
 *
 * @param purpose `Purpose.SERVER_AUTH` or `Purpose.CLIENT_AUTH`.
 * @param options `cafile`, `capath`, `cadata`.
 * @returns The context.
 * @throws {TypeError} For an unknown purpose.
 *
 * @example
 * ```ts
 * import { create_default_context, PROTOCOL_TLS_CLIENT } from "@pysocket/pysocket";
 * const ctx = create_default_context();
 * console.log(ctx.protocol === PROTOCOL_TLS_CLIENT, ctx.check_hostname); // true true
 * ```
 *
 * @example With a private CA
 * ```ts ignore
 * import { create_default_context } from "@pysocket/pysocket";
 * const ctx = create_default_context(undefined, { cafile: "ca.pem" });
 * ```
 */
export function create_default_context(
  purpose: Purpose = Purpose.SERVER_AUTH,
  options: CreateDefaultContextOptions = {},
): SSLContext {
  if (purpose !== Purpose.SERVER_AUTH && purpose !== Purpose.CLIENT_AUTH) {
    throw new TypeError(
      `create_default_context(): purpose must be Purpose.SERVER_AUTH or Purpose.CLIENT_AUTH, got ${
        String(purpose)
      }`,
    );
  }
  const context = new SSLContext(
    purpose === Purpose.SERVER_AUTH ? PROTOCOL_TLS_CLIENT : PROTOCOL_TLS_SERVER,
  );
  const { cafile, capath, cadata } = options;
  if (cafile != null || capath != null || cadata != null) {
    context.load_verify_locations({ cafile, capath, cadata });
  }
  return context;
}

/** Options of {@linkcode create_tls_connection}. */
export interface CreateTlsConnectionOptions {
  /**
   * The client context.
   *
   * @default {create_default_context()}
   */
  context?: SSLContext;
  /**
   * The name checked against the server's certificate.
   *
   * @default {the host of `address`}
   */
  server_hostname?: string | null;
  /**
   * Seconds for connecting and for the handshake, then the socket's
   * timeout; `null` for none.
   *
   * @default {getdefaulttimeout()}
   */
  timeout?: number | null;
}

/**
 * Connects to a TLS service and returns the {@linkcode SSLSocket}, its
 * handshake done: Python's `create_connection` followed by `wrap_socket`.
 * `server_hostname` defaults to the host of `address`.
 *
 * When the context holds a client certificate (`load_cert_chain` on a
 * client context), it connects with `Deno.connectTls` instead, the only
 * Deno call that presents one; that call checks the certificate against
 * the name it connects to, so `server_hostname` must then be that host.
 *
 * Requires `allow-net` for the host and port as written, and `allow-read`
 * for certificate files loaded into the context.
 *
 * @param address `[host, port]`.
 * @param options `context`, `server_hostname`, `timeout`.
 * @returns The connected TLS socket.
 * @throws {SSLCertVerificationError} If the server's certificate does not verify.
 * @throws {SSLError} If the handshake fails otherwise.
 * @throws {OSError} If the connection fails (`ConnectionRefusedError`, `TimeoutError`...).
 *
 * @tags allow-net
 *
 * @example
 * ```ts ignore
 * import { create_default_context, create_tls_connection } from "@pysocket/pysocket";
 * using ssock = await create_tls_connection(["localhost", 8443], {
 *   context: create_default_context(undefined, { cafile: "ca.pem" }),
 *   timeout: 5,
 * });
 * ```
 */
export async function create_tls_connection(
  address: [string, number] | [string, number, number, number],
  options: CreateTlsConnectionOptions = {},
): Promise<SSLSocket> {
  const context = options.context ?? create_default_context();
  if (!(context instanceof SSLContext)) {
    throw new TypeError(
      "create_tls_connection(): context must be an SSLContext",
    );
  }
  if (!Array.isArray(address) || typeof address[0] !== "string") {
    throw new TypeError(
      "create_tls_connection(): address must be a [host, port] tuple",
    );
  }
  const host = address[0];
  const hostname = options.server_hostname ?? host;
  const seconds = options.timeout === undefined
    ? getdefaulttimeout()
    : checkTimeout(options.timeout, "create_tls_connection()");
  const state = stateOf(context);
  if (!state.chain || state.protocol !== PROTOCOL_TLS_CLIENT) {
    const sock = await create_connection(address, seconds);
    try {
      return await context.wrap_socket(sock, { server_hostname: hostname });
    } finally {
      sock.close();
    }
  }
  if (hostname !== host) {
    throw new TypeError(
      "create_tls_connection(): with a client certificate, Deno.connectTls " +
        "checks the certificate against the host it connects to, so " +
        `server_hostname ${JSON.stringify(hostname)} must equal ${
          JSON.stringify(host)
        }; connect to the name instead`,
    );
  }
  const port = address[1];
  const where = formatHostPort(host, port);
  let attempt: Promise<Deno.TlsConn>;
  try {
    attempt = Deno.connectTls({
      hostname: host,
      port,
      caCerts: state.caCerts.length > 0 ? [...state.caCerts] : undefined,
      alpnProtocols: state.alpn ?? undefined,
      unsafelyDisableHostnameVerification: !state.checkHostname,
      cert: state.chain.cert,
      key: state.chain.key,
    });
  } catch (err) {
    throw tlsError(err, { what: `cannot connect to ${where}`, side: "client" });
  }
  attempt.catch(() => {});
  let tls: Deno.TlsConn;
  let gaveUp = false;
  try {
    tls = await within(attempt, seconds, () => {
      gaveUp = true;
      return new TimeoutError("timed out");
    }, () => {
      gaveUp = true;
      return oserror(
        "EINPROGRESS",
        `connecting to ${where} did not finish at once`,
      );
    });
  } catch (err) {
    if (gaveUp) {
      attempt.then((conn) => conn.close(), () => {});
      throw err;
    }
    throw tlsError(err, {
      what: `cannot connect to ${where}`,
      side: "client",
      hostname,
    });
  }
  const family = isIPv6(tls.remoteAddr.hostname) ? AF_INET6 : AF_INET;
  const ssl = new SSLSocket(family, tls, {
    context,
    server_hostname: hostname,
  });
  ssl.settimeout(seconds);
  try {
    await ssl.do_handshake();
  } catch (err) {
    ssl.close();
    throw err;
  }
  return ssl;
}
