/**
 * Python's `ssl` exceptions: {@linkcode SSLError} and its kinds. Each is an
 * `OSError`, as in Python.
 *
 * @module
 */

import { OSError } from "../socket/errors.ts";

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
 * import assert from "node:assert/strict";
 * import { OSError } from "@pysocket/pysocket";
 * import { SSLError } from "@pysocket/pysocket/ssl";
 * const err = new SSLError("wrong version number", { reason: "WRONG_VERSION_NUMBER" });
 * assert.equal(err.message, "[SSL: WRONG_VERSION_NUMBER] wrong version number");
 * assert.equal(err.errno, null);
 * assert.ok(err instanceof OSError);
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
 * import assert from "node:assert/strict";
 * import { SSLCertVerificationError, SSLError } from "@pysocket/pysocket/ssl";
 * const err = new SSLCertVerificationError("unable to get local issuer certificate", { verify_code: 20 });
 * assert.ok(err instanceof SSLError);
 * assert.equal(err.reason, "CERTIFICATE_VERIFY_FAILED");
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
 * import assert from "node:assert/strict";
 * import { CertificateError, SSLCertVerificationError } from "@pysocket/pysocket/ssl";
 * assert.equal(CertificateError, SSLCertVerificationError);
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
 * import assert from "node:assert/strict";
 * import { SSLEOFError, SSLError } from "@pysocket/pysocket/ssl";
 * const err = new SSLEOFError("EOF occurred in violation of protocol");
 * assert.ok(err instanceof SSLError);
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
 * import assert from "node:assert/strict";
 * import { SSLError, SSLWantReadError } from "@pysocket/pysocket/ssl";
 * assert.ok(new SSLWantReadError() instanceof SSLError);
 * ```
 */
export class SSLWantReadError extends SSLError {}
