/**
 * Failures of the chat programs, explained in one line that names the
 * cause and the fix, never a stack trace.
 *
 * @module
 */

import { errno as ERRNO } from "../socket/constants.ts";
import {
  ConnectionRefusedError,
  FileNotFoundError,
  gaierror,
  OSError,
  PermissionError,
  TimeoutError,
} from "../socket/errors.ts";
import { translateError } from "../socket/_translate.ts";
import { permissionFlags, type Plan } from "./_plan.ts";

/** A failure already explained in one line; the program exits with 1. */
export class ChatFailure extends Error {
  /**
   * Creates the failure.
   *
   * @param message The cause and the fix, in one line.
   */
  constructor(message: string) {
    super(message);
    this.name = "ChatFailure";
  }
}

/**
 * Turns any error into a one-line {@linkcode ChatFailure} that names the
 * cause and the fix: a missing permission names the complete flags to run
 * again with, a refused connection says to start the server, an address in
 * use says to stop the other program or choose another port, and so on.
 *
 * @param err What was thrown.
 * @param action What was being done, such as `cannot connect to 127.0.0.1:8888`.
 * @param plan The run's plan: the program, its endpoint and timeout.
 * @param bound The host a server bound, when known.
 * @returns The failure.
 */
export function explainError(
  err: unknown,
  action: string | undefined,
  plan: Plan,
  bound?: string,
): ChatFailure {
  if (err instanceof ChatFailure) return err;
  return new ChatFailure(oneLine(describe(err, action, plan, bound)));
}

/** Flattens text to one line. */
export function oneLine(text: string): string {
  return text.replace(/\s*[\r\n]+\s*/g, " ").trim();
}

function describe(
  err: unknown,
  action: string | undefined,
  plan: Plan,
  bound: string | undefined,
): string {
  const endpoint = plan.endpoint;
  const unix = endpoint?.path !== undefined;
  const prefix = action ? `${action}: ` : "";
  // relay and probe take their addresses as arguments, not options.
  const named = plan.program.name === "relay"
    ? "TARGET"
    : plan.program.name === "probe"
    ? "HOST"
    : null;
  const fixAddress = named
    ? `check ${named}`
    : unix
    ? "check --unix"
    : "check --host and --port";
  const fixHost = named ? `check ${named}` : "check --host";
  const listenFlag = named ? "LISTEN" : "--unix";
  if (!(err instanceof Error)) {
    return `${prefix}unexpected failure: ${String(err)}`;
  }
  if (!(err instanceof OSError) && Object.hasOwn(Deno.errors, err.name)) {
    // A Deno error from outside the socket library (a temporary folder).
    err = translateError(err);
  }
  if (!(err instanceof Error)) throw new TypeError("unreachable");
  const sandbox = /Requires (\w+) access to "([^"]*)"/.exec(err.message);
  if (
    err instanceof PermissionError && (sandbox || /sandbox/.test(err.message))
  ) {
    const flags = permissionFlags(plan, bound);
    const what = sandbox
      ? `Deno needs ${sandbox[1]} access to "${sandbox[2]}"`
      : "Deno refused network access";
    return `missing permission: ${what}; run again with ${flags}`;
  }
  // A certificate or key file of --tls that cannot be read.
  const tls = plan.tls;
  const file = tls &&
    ([["--cert", tls.cert], ["--key", tls.key], ["--ca", tls.ca]] as const)
      .find(([, path]) => path && err.message.includes(`${path}`));
  if (file && err instanceof FileNotFoundError) {
    return `cannot read ${file[0]} ${file[1]}: no such file (check ${file[0]})`;
  }
  if (file && err instanceof PermissionError) {
    return `cannot read ${file[0]} ${
      file[1]
    }: permission denied by the operating system (check the file's permissions)`;
  }
  if (file && err instanceof OSError && err.errno === ERRNO.EISDIR) {
    return `cannot read ${file[0]} ${
      file[1]
    }: it is a directory (give the PEM file)`;
  }
  if (err instanceof OSError && /--unstable-net/.test(err.message)) {
    return `${prefix}UDP ${
      err.message.slice(err.message.indexOf("datagram sockets"))
    }`;
  }
  if (err instanceof PermissionError) {
    const low = endpoint && !unix && endpoint.port > 0 && endpoint.port < 1024;
    return `${prefix}permission denied by the operating system${
      low && plan.program.server
        ? " (ports below 1024 need administrator rights: choose --port 1024 or above)"
        : unix
        ? " (check the permissions of the socket file and its folder)"
        : ""
    }`;
  }
  if (err instanceof ConnectionRefusedError) {
    return `${prefix}connection refused: nothing is listening there (start the server first, or ${fixAddress})`;
  }
  if (err instanceof OSError && err.errno === ERRNO.EADDRINUSE) {
    return unix
      ? `${prefix}address already in use: ${
        /is a directory/.test(err.message)
          ? `it is a directory (give ${listenFlag} a file path inside it)`
          : "the file exists (stop the server using it, or remove the file if none runs)"
      }`
      : `${prefix}address already in use: another program is listening there (stop it, or choose another ${
        named ? "LISTEN port" : "--port"
      })`;
  }
  if (err instanceof OSError && err.errno === ERRNO.EADDRNOTAVAIL) {
    return `${prefix}address not available: ${
      endpoint?.host ?? "the host"
    } is not an address of this machine (${named ? "check LISTEN" : fixHost})`;
  }
  if (err instanceof gaierror) {
    // A relay's name may be its TARGET's: the action names the address.
    return `${prefix}unknown host${
      plan.program.name === "relay"
        ? ""
        : ` ${JSON.stringify(endpoint?.host ?? "")}`
    }: the name could not be resolved (${fixHost})`;
  }
  if (err instanceof TimeoutError) {
    return `${prefix}timed out after ${plan.timeout} s (--timeout)`;
  }
  if (err instanceof FileNotFoundError) {
    return `${prefix}no such file or directory (start the server first, or ${fixAddress})`;
  }
  if (
    err instanceof OSError &&
    (err.errno === ERRNO.ENETUNREACH || err.errno === ERRNO.EHOSTUNREACH)
  ) {
    return `${prefix}${err.strerror?.toLowerCase()} (${fixHost})`;
  }
  if (err instanceof OSError) {
    return `${prefix}${err.strerror?.toLowerCase() ?? err.message}`;
  }
  return `${prefix}unexpected ${err.name}: ${err.message}`;
}
