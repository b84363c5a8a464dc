/**
 * Python's `ssl` module for pysocket sockets: {@linkcode SSLContext},
 * {@linkcode create_default_context} and {@linkcode SSLSocket}, built on
 * `Deno.startTls`, `Deno.listenTls` and `Deno.connectTls`. Python code does
 * `import ssl`; pysocket code does
 * `import * as ssl from "jsr:@pysocket/pysocket/ssl"`.
 *
 * | Python | pysocket |
 * | --- | --- |
 * | `import ssl` | `import * as ssl from "jsr:@pysocket/pysocket/ssl"` |
 * | `ctx = ssl.create_default_context()` | `const ctx = ssl.create_default_context()` |
 * | `ctx.load_verify_locations("ca.pem")` | `ctx.load_verify_locations("ca.pem")` |
 * | `ss = ctx.wrap_socket(sock, server_hostname="localhost")` | `const ss = await ctx.wrap_socket(sock, { server_hostname: "localhost" })` |
 * | `ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)` | `const ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)` |
 * | `ctx.load_cert_chain("cert.pem", "key.pem")` | `ctx.load_cert_chain("cert.pem", "key.pem")` |
 * | `ls = ctx.wrap_socket(listening, server_side=True)` | `const ls = await ctx.wrap_socket(listening, { server_side: true })` |
 * | `except ssl.SSLCertVerificationError:` | `catch (e) { if (e instanceof ssl.SSLCertVerificationError) ... }` |
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
 * import * as socket from "@pysocket/pysocket";
 * import * as ssl from "@pysocket/pysocket/ssl";
 *
 * const ctx = ssl.create_default_context();
 * ctx.load_verify_locations("ca.pem");
 * const sock = await socket.create_connection(["127.0.0.1", 8443], 5);
 * using ssock = await ctx.wrap_socket(sock, { server_hostname: "localhost" });
 * await ssock.sendall(new TextEncoder().encode("hello"));
 * console.log(new TextDecoder().decode(await ssock.recv(1024)));
 * ```
 *
 * @module
 */

export {
  CERT_NONE,
  CERT_OPTIONAL,
  CERT_REQUIRED,
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  Purpose,
} from "./constants.ts";
export {
  CertificateError,
  SSLCertVerificationError,
  type SSLCertVerificationErrorOptions,
  SSLEOFError,
  SSLError,
  type SSLErrorOptions,
  SSLWantReadError,
} from "./errors.ts";
export {
  SSLContext,
  type VerifyLocations,
  type WrapSocketOptions,
} from "./ssl_context.ts";
export { SSLSocket, type SSLSocketOptions } from "./ssl_socket.ts";
export {
  create_default_context,
  type CreateDefaultContextOptions,
} from "./create_default_context.ts";
export {
  create_tls_connection,
  type CreateTlsConnectionOptions,
} from "./create_tls_connection.ts";
