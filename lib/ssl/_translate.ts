/**
 * Private: Deno's TLS errors translated into Python's `ssl` exceptions,
 * with the alert names and what each means.
 *
 * @module
 */

import { OSError } from "../socket/errors.ts";
import { translateError } from "../socket/_translate.ts";
import { SSLCertVerificationError, SSLEOFError, SSLError } from "./errors.ts";

/** Where an error happened, for messages. */
export interface Scene {
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
export function tlsError(err: unknown, scene: Scene): OSError {
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
