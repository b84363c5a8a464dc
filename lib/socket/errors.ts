/**
 * Python's socket exception classes, and the translation of every error Deno
 * raises into one of them.
 *
 * The hierarchy is Python's: {@linkcode ConnectionRefusedError} is a
 * {@linkcode ConnectionError}, which is an {@linkcode OSError}, so
 * `catch (e) { if (e instanceof OSError) ... }` catches what
 * `except OSError:` does.
 *
 * @module
 */

/**
 * Base class of every socket error, like Python's `OSError` (alias
 * {@linkcode error}). Carries the host OS's error number in `errno` and its
 * text in `strerror`; both are `null` when the error has no number, as for
 * {@linkcode TimeoutError}'s `"timed out"`.
 *
 * @example Build one the way Python does, and read it back
 * ```ts
 * import { errno, OSError } from "@pysocket/pysocket";
 * const err = new OSError(errno.EBADF, "Bad file descriptor");
 * console.log(err.message); // "[Errno 9] Bad file descriptor" on Linux
 * console.log(err.errno === errno.EBADF); // true
 * ```
 */
export class OSError extends Error {
  /** The host OS's error number, or `null` when there is none. */
  readonly errno: number | null;
  /** The description of the error number, or `null` when there is none. */
  readonly strerror: string | null;

  /**
   * Creates an error. With a number, the message reads
   * `[Errno N] strerror`, followed by `: detail` when a detail is given;
   * with only a string, that string is the message.
   *
   * @param errnoOrMessage An error number, or a message.
   * @param strerror The description of the number.
   * @param options `detail` is appended to the message; `cause` is kept.
   */
  constructor(
    errnoOrMessage?: number | string | null,
    strerror?: string | null,
    options?: { detail?: string; cause?: unknown },
  ) {
    const hasNumber = typeof errnoOrMessage === "number";
    const base = hasNumber
      ? `[Errno ${errnoOrMessage}] ${strerror ?? ""}`.trimEnd()
      : (errnoOrMessage ?? strerror ?? "");
    const detail = options?.detail;
    super(detail ? (base ? `${base}: ${detail}` : detail) : base, {
      cause: options?.cause,
    });
    this.name = new.target.name;
    this.errno = hasNumber ? errnoOrMessage : null;
    this.strerror = hasNumber ? strerror ?? null : null;
  }
}

/**
 * Base class of connection errors, like Python's `ConnectionError`.
 *
 * @example
 * ```ts
 * import { ConnectionError, ConnectionResetError, errno } from "@pysocket/pysocket";
 * const err = new ConnectionResetError(errno.ECONNRESET, "Connection reset by peer");
 * console.log(err instanceof ConnectionError); // true
 * ```
 */
export class ConnectionError extends OSError {}

/**
 * The peer refused the connection: nothing listens at that address.
 *
 * @example
 * ```ts
 * import { ConnectionRefusedError, socket } from "@pysocket/pysocket";
 * using sock = socket();
 * try {
 *   await sock.connect(["127.0.0.1", 1]);
 * } catch (err) {
 *   console.log(err instanceof ConnectionRefusedError); // true
 * }
 * ```
 */
export class ConnectionRefusedError extends ConnectionError {}

/**
 * The peer reset the connection (it closed without reading everything, or
 * crashed).
 *
 * @example
 * ```ts
 * import { ConnectionResetError, errno } from "@pysocket/pysocket";
 * const err = new ConnectionResetError(errno.ECONNRESET, "Connection reset by peer");
 * console.log(err.name); // "ConnectionResetError"
 * ```
 */
export class ConnectionResetError extends ConnectionError {}

/**
 * The connection was aborted on this side.
 *
 * @example
 * ```ts
 * import { ConnectionAbortedError, errno } from "@pysocket/pysocket";
 * const err = new ConnectionAbortedError(errno.ECONNABORTED, "Software caused connection abort");
 * console.log(err.errno === errno.ECONNABORTED); // true
 * ```
 */
export class ConnectionAbortedError extends ConnectionError {}

/**
 * Writing to a connection whose other end is closed (`EPIPE`, `ESHUTDOWN`).
 *
 * @example
 * ```ts
 * import { BrokenPipeError, errno } from "@pysocket/pysocket";
 * const err = new BrokenPipeError(errno.EPIPE, "Broken pipe");
 * console.log(err.message.includes("Broken pipe")); // true
 * ```
 */
export class BrokenPipeError extends ConnectionError {}

/**
 * An operation ran past the socket's timeout (see `Socket.settimeout`). Its
 * message is `"timed out"` and `errno` is `null`, as in Python. Also
 * exported as {@linkcode timeout}.
 *
 * @example
 * ```ts
 * import { socket, TimeoutError } from "@pysocket/pysocket";
 * using server = socket();
 * server.bind(["127.0.0.1", 0]);
 * server.listen();
 * server.settimeout(0.05);
 * try {
 *   await server.accept();
 * } catch (err) {
 *   console.log(err instanceof TimeoutError); // true
 * }
 * ```
 */
export class TimeoutError extends OSError {}

/**
 * A non-blocking socket (`setblocking(false)` or `settimeout(0)`) had nothing
 * to give at once (`EAGAIN`/`EWOULDBLOCK`). Nothing is lost: call again.
 *
 * @example
 * ```ts
 * import { BlockingIOError, errno } from "@pysocket/pysocket";
 * const err = new BlockingIOError(errno.EWOULDBLOCK, "Resource temporarily unavailable");
 * console.log(err instanceof BlockingIOError); // true
 * ```
 */
export class BlockingIOError extends OSError {}

/**
 * The Deno permission sandbox refused the operation. The message names the
 * exact flag to add, such as `--allow-net=127.0.0.1:8888`.
 *
 * @example
 * ```ts
 * import { errno, PermissionError } from "@pysocket/pysocket";
 * const err = new PermissionError(errno.EACCES, "Permission denied");
 * console.log(err.errno === errno.EACCES); // true
 * ```
 */
export class PermissionError extends OSError {}

/**
 * A Unix socket path does not exist.
 *
 * @example
 * ```ts
 * import { errno, FileNotFoundError } from "@pysocket/pysocket";
 * const err = new FileNotFoundError(errno.ENOENT, "No such file or directory");
 * console.log(err.name); // "FileNotFoundError"
 * ```
 */
export class FileNotFoundError extends OSError {}

/**
 * An operation was interrupted (`EINTR`).
 *
 * @example
 * ```ts
 * import { errno, InterruptedError } from "@pysocket/pysocket";
 * const err = new InterruptedError(errno.EINTR, "Interrupted system call");
 * console.log(err.name); // "InterruptedError"
 * ```
 */
export class InterruptedError extends OSError {}

/**
 * Name resolution failed (Python's `socket.gaierror`), for example an
 * unknown host name. `errno` is the resolver's `EAI_*` code.
 *
 * @example
 * ```ts
 * import { gaierror } from "@pysocket/pysocket";
 * const err = new gaierror(-2, "Name or service not known");
 * console.log(err.message); // "[Errno -2] Name or service not known"
 * ```
 */
// deno-lint-ignore camelcase
export class gaierror extends OSError {}

/**
 * End of input reached by {@linkcode input}, like Python's `EOFError`. It is
 * not an {@linkcode OSError}.
 *
 * @example
 * ```ts
 * import { EOFError } from "@pysocket/pysocket";
 * const err = new EOFError();
 * console.log(err.message); // "EOF when reading a line"
 * ```
 */
export class EOFError extends Error {
  /**
   * Creates the error.
   *
   * @param message The message, Python's by default.
   */
  constructor(message = "EOF when reading a line") {
    super(message);
    this.name = "EOFError";
  }
}

/**
 * Alias of {@linkcode OSError}, as `socket.error` is in Python.
 *
 * @example
 * ```ts
 * import { error, OSError } from "@pysocket/pysocket";
 * console.log(error === OSError); // true
 * ```
 */
export const error: typeof OSError = OSError;

/**
 * Alias of {@linkcode TimeoutError}, as `socket.timeout` is in Python.
 *
 * @example
 * ```ts
 * import { timeout, TimeoutError } from "@pysocket/pysocket";
 * console.log(timeout === TimeoutError); // true
 * ```
 */
export const timeout: typeof TimeoutError = TimeoutError;
