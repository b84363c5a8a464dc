/**
 * Private: builds Python's errors from an errno name, and translates every
 * error Deno raises into one of Python's classes, so no raw Deno error
 * reaches a pysocket user.
 *
 * @module
 */

import { errno as ERRNO, type ErrnoName, strerror } from "./constants.ts";
import {
  BlockingIOError,
  BrokenPipeError,
  ConnectionAbortedError,
  ConnectionRefusedError,
  ConnectionResetError,
  FileNotFoundError,
  gaierror,
  InterruptedError,
  OSError,
  PermissionError,
  TimeoutError,
} from "./errors.ts";

type OSErrorClass = new (
  errno?: number | string | null,
  strerror?: string | null,
  options?: { detail?: string; cause?: unknown },
) => OSError;

const CLASS_BY_NAME: Partial<Record<ErrnoName, OSErrorClass>> = {
  ECONNREFUSED: ConnectionRefusedError,
  ECONNRESET: ConnectionResetError,
  ECONNABORTED: ConnectionAbortedError,
  EPIPE: BrokenPipeError,
  ESHUTDOWN: BrokenPipeError,
  EAGAIN: BlockingIOError,
  EWOULDBLOCK: BlockingIOError,
  EINPROGRESS: BlockingIOError,
  EALREADY: BlockingIOError,
  EACCES: PermissionError,
  EPERM: PermissionError,
  ENOENT: FileNotFoundError,
  EINTR: InterruptedError,
  ETIMEDOUT: TimeoutError,
};

/**
 * Builds the Python-style error for an error name, with the host's number,
 * the standard text, and the class Python would raise.
 *
 * @param name The error name, such as `"EBADF"`.
 * @param detail What was being done and what to do about it.
 * @param cause The underlying error, kept as `cause`.
 * @returns An {@linkcode OSError} or the subclass Python uses for `name`.
 */
export function oserror(
  name: ErrnoName,
  detail?: string,
  cause?: unknown,
): OSError {
  const Class = CLASS_BY_NAME[name] ?? OSError;
  return new Class(ERRNO[name], strerror(name), { detail, cause });
}

/** `EAI_NONAME` as Python reports it on the host. */
const EAI_NONAME = Deno.build.os === "windows"
  ? 11001
  : Deno.build.os === "linux"
  ? -2
  : 8;

// Deno's error classes that carry no errno code of their own.
const NAME_BY_DENO_CLASS: Record<string, ErrnoName> = {
  ConnectionRefused: "ECONNREFUSED",
  ConnectionReset: "ECONNRESET",
  ConnectionAborted: "ECONNABORTED",
  BrokenPipe: "EPIPE",
  AddrInUse: "EADDRINUSE",
  AddrNotAvailable: "EADDRNOTAVAIL",
  NotConnected: "ENOTCONN",
  TimedOut: "ETIMEDOUT",
  BadResource: "EBADF",
  Interrupted: "EINTR",
  NotFound: "ENOENT",
  WouldBlock: "EWOULDBLOCK",
  AlreadyExists: "EADDRINUSE",
  InvalidData: "EINVAL",
  NetworkUnreachable: "ENETUNREACH",
  PermissionDenied: "EACCES",
};

/**
 * Turns a sandbox refusal into a {@linkcode PermissionError} whose message
 * names the exact flag to add.
 */
function permissionError(err: Error): PermissionError {
  // Deno: Requires net access to "127.0.0.1:0", run again with the --allow-net flag
  const match = /Requires (\w+) access to "([^"]*)"/.exec(err.message);
  const detail = match
    ? `Requires ${match[1]} access to "${match[2]}": run again with --allow-${
      match[1]
    }=${match[2]}`
    : err.message;
  return new PermissionError(ERRNO.EACCES, "Permission denied", {
    detail,
    cause: err,
  });
}

/**
 * Translates any error Deno raises into the Python-style error, so no raw
 * Deno error reaches a pysocket user. Errors that already are
 * {@linkcode OSError}s pass through unchanged.
 *
 * @param err What was thrown.
 * @param detail What was being done, such as `"cannot connect to 127.0.0.1:80"`.
 * @returns The translated error.
 */
export function translateError(err: unknown, detail?: string): OSError {
  if (err instanceof OSError) return err;
  if (!(err instanceof Error)) {
    return new OSError(String(err), null, { detail });
  }
  if (err instanceof Deno.errors.NotCapable) return permissionError(err);
  if (
    err instanceof Deno.errors.PermissionDenied &&
    /Requires \w+ access/.test(err.message)
  ) {
    return permissionError(err);
  }
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string" && code in ERRNO) {
    if (code === "EPERM" && /getaddrinfo/.test(err.message)) {
      // node:dns reports a sandbox refusal as EPERM, naming the host.
      const host = (err as { hostname?: unknown }).hostname;
      return new PermissionError(ERRNO.EACCES, "Permission denied", {
        detail: `${detail ?? "name lookup"}: the sandbox refused it; ` +
          `run again with --allow-net=${
            typeof host === "string" ? host : "<host>"
          }`,
        cause: err,
      });
    }
    return oserror(code as ErrnoName, detail, err);
  }
  if (
    (typeof code === "string" &&
      /^(ENOTFOUND|EAI_NONAME|EAI_AGAIN|EAI_FAIL|EAI_NODATA)$/.test(code)) ||
    /failed to lookup address|Name or service not known|No such host|nodename nor servname/i
      .test(err.message)
  ) {
    return new gaierror(EAI_NONAME, "Name or service not known", {
      detail,
      cause: err,
    });
  }
  const name = NAME_BY_DENO_CLASS[err.name];
  if (name) return oserror(name, detail, err);
  const osCode = /\(os error (\d+)\)/.exec(err.message);
  if (osCode) {
    return new OSError(
      Number(osCode[1]),
      err.message.replace(/ \(os error \d+\)$/, ""),
      {
        detail,
        cause: err,
      },
    );
  }
  return new OSError(err.message, null, { detail, cause: err });
}

/**
 * The error for a failed bind (or an automatic one): translated, with the
 * fix named when the address is in use.
 *
 * @param err What Deno threw.
 * @param call The method, such as `"bind"`.
 * @param where The address, as messages show it.
 * @param path The path, for an `AF_UNIX` socket.
 * @returns The error to throw.
 */
export function bindError(
  err: unknown,
  call: string,
  where: string,
  path?: string,
): OSError {
  const e = translateError(err, `cannot ${call} ${where}`);
  if (e.errno === ERRNO.EADDRINUSE && path !== undefined) {
    let directory = false;
    try {
      directory = Deno.statSync(path).isDirectory;
    } catch {
      // Gone meanwhile, or not ours to look at: say what is likely.
    }
    return oserror(
      "EADDRINUSE",
      directory
        ? `cannot ${call} ${where}: it is a directory; give the socket a file path inside it, such as ${
          path.replace(/\/$/, "")
        }/chat.sock`
        : `cannot ${call} ${where}: the file exists; remove it if no program is listening on it, or choose another path`,
      err,
    );
  }
  if (e.errno === ERRNO.EADDRINUSE) {
    return oserror(
      "EADDRINUSE",
      `cannot ${call} ${where}: another socket is using it; choose another port or stop the program that holds it`,
      err,
    );
  }
  return e;
}
