/**
 * Python's `ssl.create_default_context`: a context with secure defaults.
 *
 * @module
 */

import {
  PROTOCOL_TLS_CLIENT,
  PROTOCOL_TLS_SERVER,
  Purpose,
} from "./constants.ts";
import { SSLContext, type VerifyLocations } from "./ssl_context.ts";

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
 * import assert from "node:assert/strict";
 * import { create_default_context, PROTOCOL_TLS_CLIENT } from "@pysocket/pysocket/ssl";
 * const ctx = create_default_context();
 * assert.equal(ctx.protocol, PROTOCOL_TLS_CLIENT);
 * assert.equal(ctx.check_hostname, true);
 * ```
 *
 * @example With a private CA
 * ```ts ignore
 * import { create_default_context } from "@pysocket/pysocket/ssl";
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
