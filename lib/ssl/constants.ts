/**
 * The constants of Python's `ssl` module that Deno can honour: the two
 * context protocols, the verify modes, and `Purpose`.
 *
 * @module
 */

/**
 * The protocol of a client context, as `ssl.PROTOCOL_TLS_CLIENT`: it
 * verifies the server's certificate and host name by default. Deno
 * negotiates TLS 1.2 or 1.3.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { PROTOCOL_TLS_CLIENT, SSLContext } from "@pysocket/pysocket/ssl";
 * const ctx = new SSLContext(PROTOCOL_TLS_CLIENT);
 * assert.equal(ctx.check_hostname, true);
 * ```
 */
export const PROTOCOL_TLS_CLIENT = 16;

/**
 * The protocol of a server context, as `ssl.PROTOCOL_TLS_SERVER`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CERT_NONE, PROTOCOL_TLS_SERVER, SSLContext } from "@pysocket/pysocket/ssl";
 * const ctx = new SSLContext(PROTOCOL_TLS_SERVER);
 * assert.equal(ctx.verify_mode, CERT_NONE);
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
 * import assert from "node:assert/strict";
 * import { CERT_NONE, create_default_context, Purpose } from "@pysocket/pysocket/ssl";
 * const server = create_default_context(Purpose.CLIENT_AUTH);
 * assert.equal(server.verify_mode, CERT_NONE);
 * ```
 */
export const CERT_NONE = 0;

/**
 * `verify_mode`: verify a certificate if the peer sends one. On a client
 * context it means the same as {@linkcode CERT_REQUIRED}, as in Python.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CERT_OPTIONAL, create_default_context } from "@pysocket/pysocket/ssl";
 * const ctx = create_default_context();
 * ctx.verify_mode = CERT_OPTIONAL;
 * assert.equal(ctx.verify_mode, CERT_OPTIONAL);
 * ```
 */
export const CERT_OPTIONAL = 1;

/**
 * `verify_mode`: the peer must present a certificate that verifies. The
 * default, and the only real choice, of client contexts.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { CERT_REQUIRED, create_default_context } from "@pysocket/pysocket/ssl";
 * assert.equal(create_default_context().verify_mode, CERT_REQUIRED);
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
 * import assert from "node:assert/strict";
 * import { create_default_context, PROTOCOL_TLS_SERVER, Purpose } from "@pysocket/pysocket/ssl";
 * const ctx = create_default_context(Purpose.CLIENT_AUTH);
 * assert.equal(ctx.protocol, PROTOCOL_TLS_SERVER);
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
