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
 * import assert from "node:assert/strict";
 * import { errno, OSError } from "@pysocket/pysocket";
 * const err = new OSError(errno.EBADF, "Bad file descriptor");
 * assert.equal(err.message, `[Errno ${errno.EBADF}] Bad file descriptor`); // [Errno 9] on Linux
 * assert.equal(err.errno, errno.EBADF);
 * assert.equal(err.strerror, "Bad file descriptor");
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
 * import assert from "node:assert/strict";
 * import { ConnectionError, ConnectionResetError, errno } from "@pysocket/pysocket";
 * const err = new ConnectionResetError(errno.ECONNRESET, "Connection reset by peer");
 * assert.ok(err instanceof ConnectionError);
 * ```
 */
export class ConnectionError extends OSError {}

/**
 * The peer refused the connection: nothing listens at that address.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectionRefusedError, socket } from "@pysocket/pysocket";
 * using sock = socket();
 * // Port 1 on loopback has no listener on a normal machine.
 * await assert.rejects(sock.connect(["127.0.0.1", 1]), ConnectionRefusedError);
 * ```
 */
export class ConnectionRefusedError extends ConnectionError {}

/**
 * The peer reset the connection (it closed without reading everything, or
 * crashed).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectionResetError, errno } from "@pysocket/pysocket";
 * const err = new ConnectionResetError(errno.ECONNRESET, "Connection reset by peer");
 * assert.equal(err.name, "ConnectionResetError");
 * ```
 */
export class ConnectionResetError extends ConnectionError {}

/**
 * The connection was aborted on this side.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { ConnectionAbortedError, errno } from "@pysocket/pysocket";
 * const err = new ConnectionAbortedError(errno.ECONNABORTED, "Software caused connection abort");
 * assert.equal(err.errno, errno.ECONNABORTED);
 * ```
 */
export class ConnectionAbortedError extends ConnectionError {}

/**
 * Writing to a connection whose other end is closed (`EPIPE`, `ESHUTDOWN`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BrokenPipeError, errno } from "@pysocket/pysocket";
 * const err = new BrokenPipeError(errno.EPIPE, "Broken pipe");
 * assert.match(err.message, /Broken pipe/);
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
 * import assert from "node:assert/strict";
 * import { socket, TimeoutError } from "@pysocket/pysocket";
 * using server = socket();
 * server.bind(["127.0.0.1", 0]);
 * server.listen();
 * server.settimeout(0.05);
 * await assert.rejects(server.accept(), TimeoutError);
 * ```
 */
export class TimeoutError extends OSError {}

/**
 * A non-blocking socket (`setblocking(false)` or `settimeout(0)`) had nothing
 * to give at once (`EAGAIN`/`EWOULDBLOCK`). Nothing is lost: call again.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { BlockingIOError, socket } from "@pysocket/pysocket";
 * using server = socket();
 * server.bind(["127.0.0.1", 0]);
 * server.listen();
 * server.setblocking(false);
 * await assert.rejects(server.accept(), BlockingIOError); // no client is waiting
 * ```
 */
export class BlockingIOError extends OSError {}

/**
 * The Deno permission sandbox refused the operation. The message names the
 * exact flag to add, such as `--allow-net=127.0.0.1:8888`.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errno, PermissionError } from "@pysocket/pysocket";
 * const err = new PermissionError(errno.EACCES, "Permission denied");
 * assert.equal(err.errno, errno.EACCES);
 * ```
 */
export class PermissionError extends OSError {}

/**
 * A Unix socket path does not exist.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errno, FileNotFoundError } from "@pysocket/pysocket";
 * const err = new FileNotFoundError(errno.ENOENT, "No such file or directory");
 * assert.equal(err.name, "FileNotFoundError");
 * ```
 */
export class FileNotFoundError extends OSError {}

/**
 * An operation was interrupted (`EINTR`).
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { errno, InterruptedError } from "@pysocket/pysocket";
 * const err = new InterruptedError(errno.EINTR, "Interrupted system call");
 * assert.equal(err.name, "InterruptedError");
 * ```
 */
export class InterruptedError extends OSError {}

/**
 * Name resolution failed (Python's `socket.gaierror`), for example an
 * unknown host name. `errno` is the resolver's `EAI_*` code.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { gaierror } from "@pysocket/pysocket";
 * const err = new gaierror(-2, "Name or service not known");
 * assert.equal(err.message, "[Errno -2] Name or service not known");
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
 * import assert from "node:assert/strict";
 * import { EOFError, OSError } from "@pysocket/pysocket";
 * const err = new EOFError();
 * assert.equal(err.message, "EOF when reading a line");
 * assert.ok(!(err instanceof OSError));
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
 * A value of the right type but not an acceptable one, like Python's
 * `ValueError` (a host name with a NUL character, say). It is not an
 * {@linkcode OSError}; it is a JavaScript `RangeError`, the nearest kind.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { getaddrinfo, ValueError } from "@pysocket/pysocket";
 * await assert.rejects(getaddrinfo("local\0host", 80), ValueError);
 * ```
 */
export class ValueError extends RangeError {
  /**
   * Creates the error.
   *
   * @param message What is wrong.
   */
  constructor(message = "") {
    super(message);
    this.name = "ValueError";
  }
}

/**
 * A key not found, like Python's `KeyError`: a selector raises it when a
 * socket is registered twice, or an unknown one is asked for. It is not an
 * {@linkcode OSError}.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { socket } from "@pysocket/pysocket";
 * import { DefaultSelector, KeyError } from "@pysocket/pysocket/selectors";
 * using sel = new DefaultSelector();
 * using sock = socket();
 * assert.throws(() => sel.unregister(sock), KeyError);
 * ```
 */
export class KeyError extends Error {
  /**
   * Creates the error.
   *
   * @param message What was not found.
   */
  constructor(message = "") {
    super(message);
    this.name = "KeyError";
  }
}

/**
 * An error that fits no other kind, like Python's `RuntimeError`: a
 * selector raises it when asked for a key after it was closed.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { socket } from "@pysocket/pysocket";
 * import { DefaultSelector, RuntimeError } from "@pysocket/pysocket/selectors";
 * const sel = new DefaultSelector();
 * sel.close();
 * using sock = socket();
 * assert.throws(() => sel.get_key(sock), RuntimeError);
 * ```
 */
export class RuntimeError extends Error {
  /**
   * Creates the error.
   *
   * @param message What went wrong.
   */
  constructor(message = "") {
    super(message);
    this.name = "RuntimeError";
  }
}

/**
 * A number too large for what it sets, like Python's `OverflowError` (a
 * timeout of `Infinity`, say). It is not an {@linkcode OSError}; it is a
 * JavaScript `RangeError`, the nearest kind.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { OverflowError, socket } from "@pysocket/pysocket";
 * using sock = socket();
 * assert.throws(() => sock.settimeout(Infinity), OverflowError);
 * ```
 */
export class OverflowError extends RangeError {
  /**
   * Creates the error.
   *
   * @param message What is too large.
   */
  constructor(message = "") {
    super(message);
    this.name = "OverflowError";
  }
}

/**
 * Alias of {@linkcode OSError}, as `socket.error` is in Python.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { error, OSError } from "@pysocket/pysocket";
 * assert.equal(error, OSError);
 * ```
 */
export const error: typeof OSError = OSError;

/**
 * Alias of {@linkcode TimeoutError}, as `socket.timeout` is in Python.
 *
 * @example
 * ```ts
 * import assert from "node:assert/strict";
 * import { timeout, TimeoutError } from "@pysocket/pysocket";
 * assert.equal(timeout, TimeoutError);
 * ```
 */
export const timeout: typeof TimeoutError = TimeoutError;
