/**
 * Private: the settings behind each `SSLContext`, for the functions of the
 * ssl module that read them (wrapping, `create_tls_connection`), without
 * making them public API.
 *
 * @module
 */

/** A context's settings. */
export interface ContextState {
  /** `PROTOCOL_TLS_CLIENT` or `PROTOCOL_TLS_SERVER`. */
  protocol: number;
  /** `CERT_NONE`, `CERT_OPTIONAL` or `CERT_REQUIRED`. */
  verifyMode: number;
  /** Whether the server's name is checked. */
  checkHostname: boolean;
  /** CA certificates to trust besides Deno's roots, PEM. */
  caCerts: string[];
  /** This side's certificate chain and key, PEM. */
  chain: { cert: string; key: string } | null;
  /** ALPN protocols to offer. */
  alpn: string[] | null;
}

const states = new WeakMap<object, ContextState>();

/**
 * Records the settings of a new context.
 *
 * @param context The context.
 * @param state Its settings.
 * @returns The settings.
 */
export function register(context: object, state: ContextState): ContextState {
  states.set(context, state);
  return state;
}

/**
 * The settings of a context, or `undefined` for anything that is not one.
 *
 * @param context What claims to be a context.
 * @returns The settings.
 */
export function stateOf(context: unknown): ContextState | undefined {
  return typeof context === "object" && context !== null
    ? states.get(context)
    : undefined;
}
