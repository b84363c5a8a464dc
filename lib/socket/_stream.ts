/**
 * Private: the engine of a connected stream socket (TCP, Unix, TLS), under
 * the `Socket` facade.
 *
 * Reads go through one pending `conn.read()` at a time: a call that times
 * out leaves it running, and the next call picks up what it brings, so no
 * byte is lost. Python's `recv` returns new bytes each time: the engine
 * reads into a warm buffer of its own and copies out, which costs less than
 * a fresh buffer per read (page faults; see `bench/PROFILE.md`), or reads
 * straight into the caller's buffer for `recv_into`. A read started with a
 * larger size than the next call asks for keeps the rest as leftover bytes.
 *
 * Calls of one direction take turns (see `_turns.ts`); a write left running
 * by a timed-out call finishes before the next write starts, in order.
 *
 * `select` learns that the socket is readable by starting that same pending
 * read and watching it (`watchReadable`); `recv(n, MSG_PEEK)` finishes it
 * and keeps its bytes as leftover bytes: the next `recv` gets them.
 *
 * @module
 */

import { SHUT_RD, SHUT_WR } from "./constants.ts";
import { BlockingIOError, type OSError, TimeoutError } from "./errors.ts";
import { oserror, translateError } from "./_translate.ts";
import { Deadline, timedOne } from "./_deadline.ts";
import { Turns } from "./_turns.ts";
import { copyOut, POOL_MAX, reserve, take } from "./_pool.ts";
import { type Forget, type Readiness, Wakers } from "./_readiness.ts";

const EMPTY = new Uint8Array(0);
/** Largest receive buffer the engine keeps between calls. */
const MAX_SCRATCH = 256 * 1024;
/**
 * The most one read asks of Deno: a larger `recv(bufsize)` still returns
 * at most what one read brings, without allocating `bufsize` bytes first.
 */
const MAX_READ = 1024 * 1024;
const ignore = () => {};
/** What a read started by `select` asks for: the next recv takes part of it. */
const READY_SIZE = 65536;

/** Whether an error is a socket timeout, which leaves the operation running. */
function isTimeout(err: unknown): boolean {
  return err instanceof TimeoutError || err instanceof BlockingIOError;
}

/** A connected stream: reads, writes and shutdown on one `Deno.Conn`. */
export class StreamEngine implements Readiness {
  /** The Deno connection. */
  readonly conn: Deno.Conn;
  #closed = false;
  #reads = new Turns();
  #writes = new Turns();
  #readDeadline: Deadline | null = null;
  #writeDeadline: Deadline | null = null;
  #pending: Promise<number | null> | null = null;
  /** The pending read once it is known to be done (see `watchReadable`). */
  #done: Promise<number | null> | null = null;
  #readWakers: Wakers | null = null; // made on the first select, not per socket
  #writeWakers: Wakers | null = null; // made on the first select, not per socket
  #readBuf: Uint8Array = EMPTY;
  /** Whether the read in flight reads into the pool (see `_pool.ts`). */
  #pooled = false;
  #scratch: Uint8Array = EMPTY;
  #leftover: Uint8Array | null = null;
  #eof = false;
  #readShut = false;
  #writeShut = false;
  #pendingWrite: Promise<number> | null = null;

  /**
   * Adopts a connection.
   *
   * @param conn The open connection.
   */
  constructor(conn: Deno.Conn) {
    this.conn = conn;
  }

  /** Whether an operation is still in flight, or bytes wait unread. */
  get busy(): boolean {
    return this.#pending !== null || this.#pendingWrite !== null ||
      this.#leftover !== null;
  }

  /** Whether the sending side was shut down. */
  get writeShut(): boolean {
    return this.#writeShut;
  }

  /** The error for a failed operation: EBADF when close() interrupted it. */
  #fail(err: unknown, call: string): OSError {
    if (this.#closed) {
      return oserror("EBADF", `cannot ${call}: the socket was closed`, err);
    }
    return translateError(err, `cannot ${call}`);
  }

  /**
   * Receives up to `bufsize` bytes; empty at end of stream.
   *
   * @param bufsize The most bytes to return (checked by the caller).
   * @param timeout The socket's timeout.
   * @returns New bytes.
   */
  recv(bufsize: number, timeout: number | null): Promise<Uint8Array> {
    if (this.#reads.take()) return this.#recv(bufsize, timeout);
    return this.#afterTurn(
      this.#reads,
      timeout,
      (left) => this.#recv(bufsize, left),
    );
  }

  /** Waits for a turn, then runs `body` within what is left of the timeout. */
  async #afterTurn<T>(
    turns: Turns,
    timeout: number | null,
    body: (left: number | null) => Promise<T>,
  ): Promise<T> {
    const start = performance.now();
    const deadline = turns === this.#reads
      ? this.#readDeadline ??= new Deadline()
      : this.#writeDeadline ??= new Deadline();
    await turns.wait(timeout, deadline);
    if (timeout === null || timeout === 0) return body(timeout);
    const left = timeout - (performance.now() - start) / 1000;
    if (left <= 0) {
      turns.release();
      throw new TimeoutError("timed out");
    }
    return body(left);
  }

  /** The read, with the turn held; releases it unless `release` is false. */
  async #recv(
    bufsize: number,
    timeout: number | null,
    release = true,
  ): Promise<Uint8Array> {
    try {
      if (bufsize === 0 || this.#readShut) return new Uint8Array(0);
      const leftover = this.#leftover;
      if (leftover) {
        if (leftover.length <= bufsize) {
          this.#leftover = null;
          return leftover;
        }
        this.#leftover = leftover.subarray(bufsize);
        return leftover.subarray(0, bufsize);
      }
      if (this.#eof) return new Uint8Array(0);
      // The hot path awaits the read itself (no helper's extra promise).
      const pending = this.#pending ?? this.#startRead(bufsize);
      let n: number | null;
      try {
        n = timeout === null ? await pending : await timedOne(
          pending,
          timeout,
          this.#readDeadline ??= new Deadline(),
        );
      } catch (err) {
        if (isTimeout(err)) throw err;
        this.#pending = null;
        throw this.#fail(err, "recv");
      }
      const data = this.#took(n);
      if (data.length > bufsize) {
        // A read started by an earlier call (or by select) with a larger size.
        this.#leftover = data.subarray(bufsize);
        return data.subarray(0, bufsize);
      }
      return data;
    } finally {
      if (release) this.#reads.release();
    }
  }

  /**
   * Receives until `bufsize` bytes, the end of the stream, or the timeout
   * (`MSG_WAITALL`), holding the read turn throughout: what arrived by
   * then. A timeout before any byte throws, as `recv` does.
   *
   * @param bufsize The bytes wanted (checked by the caller).
   * @param timeout The socket's timeout.
   * @returns The bytes; fewer than `bufsize` only at the end or a timeout.
   */
  async recvWaitAll(
    bufsize: number,
    timeout: number | null,
  ): Promise<Uint8Array> {
    const start = performance.now();
    await this.#reads.wait(timeout, this.#readDeadline ??= new Deadline());
    const parts: Uint8Array[] = [];
    let got = 0;
    try {
      while (got < bufsize) {
        let left = timeout;
        if (timeout !== null && timeout > 0) {
          left = timeout - (performance.now() - start) / 1000;
          if (left <= 0) {
            if (got === 0) throw new TimeoutError("timed out");
            break;
          }
        }
        let data: Uint8Array;
        try {
          data = await this.#recv(bufsize - got, left, false);
        } catch (err) {
          if (got > 0 && isTimeout(err)) break;
          throw err;
        }
        if (data.length === 0) break;
        parts.push(data);
        got += data.length;
      }
    } finally {
      this.#reads.release();
    }
    if (parts.length === 1) return parts[0];
    const all = new Uint8Array(got);
    let at = 0;
    for (const part of parts) {
      all.set(part, at);
      at += part.length;
    }
    return all;
  }

  /**
   * Waits for the pending read (starting one for `bufsize` if none runs)
   * and takes its bytes: empty at end of stream. A timeout leaves the read
   * running for the next call.
   */
  async #finishRead(
    bufsize: number,
    timeout: number | null,
    call: string,
  ): Promise<Uint8Array> {
    const pending = this.#pending ?? this.#startRead(bufsize);
    let n: number | null;
    try {
      n = timeout === null ? await pending : await timedOne(
        pending,
        timeout,
        this.#readDeadline ??= new Deadline(),
      );
    } catch (err) {
      if (isTimeout(err)) throw err;
      this.#pending = null;
      throw this.#fail(err, call);
    }
    return this.#took(n);
  }

  /** The bytes of the read just done (`n`, or `null` at end of stream). */
  #took(n: number | null): Uint8Array {
    this.#pending = null;
    const buf = this.#readBuf;
    this.#readBuf = EMPTY;
    if (n === null) {
      this.#eof = true;
      if (this.#pooled) take(buf, 0);
      return new Uint8Array(0);
    }
    // Python returns new bytes each time. A small read went into room of
    // its own in the pool: its bytes are new already, without a copy or
    // an allocation. A larger one went into the warm buffer, kept for
    // the next read: copy them out, a small result (recv(65536) answered
    // with one line) into the pool too. recv_into() skips both.
    if (this.#pooled) return take(buf, n);
    return n <= POOL_MAX ? copyOut(buf.subarray(0, n)) : buf.slice(0, n);
  }

  /**
   * Returns up to `bufsize` bytes without taking them: Python's
   * `recv(bufsize, MSG_PEEK)`. It waits as `recv` does; the bytes stay for
   * the next call. Empty at end of stream.
   *
   * @param bufsize The most bytes to return (checked by the caller).
   * @param timeout The socket's timeout.
   * @returns New bytes, a copy of those held.
   */
  peek(bufsize: number, timeout: number | null): Promise<Uint8Array> {
    if (this.#reads.take()) return this.#peek(bufsize, timeout);
    return this.#afterTurn(
      this.#reads,
      timeout,
      (left) => this.#peek(bufsize, left),
    );
  }

  /** The peek, with the turn held; releases it. */
  async #peek(bufsize: number, timeout: number | null): Promise<Uint8Array> {
    try {
      if (bufsize === 0 || this.#readShut) return new Uint8Array(0);
      if (!this.#leftover && !this.#eof) {
        // As much as one read brings, as the kernel's peek sees all it has.
        const size = Math.max(bufsize, READY_SIZE);
        const data = await this.#finishRead(size, timeout, "recv");
        if (data.length > 0) this.#leftover = data;
      }
      return this.#leftover?.slice(0, bufsize) ?? new Uint8Array(0);
    } finally {
      this.#reads.release();
    }
  }

  /**
   * Whether `recv` would return at once: bytes or the end of stream held,
   * the pending read done (with bytes, the end or an error), or the
   * socket shut for reading or closed.
   *
   * @returns Whether the socket is readable.
   */
  readable(): boolean {
    return this.#leftover !== null || this.#eof || this.#readShut ||
      this.#closed || (this.#pending !== null && this.#pending === this.#done);
  }

  /**
   * Calls `wake` when `readable()` may have changed: starts the read the
   * next `recv` finishes (if none runs) and watches it, taking nothing.
   *
   * @param wake The wake-up call.
   * @returns A function that forgets it.
   */
  watchReadable(wake: () => void): Forget {
    // recv_into() may be reading straight into its caller's buffer, with
    // no pending read of ours: let it finish first.
    if (!this.#pending && this.#reads.busy) {
      return (this.#readWakers ??= new Wakers()).add(this.#reads.idle(), wake);
    }
    const pending = this.#pending ?? this.#startRead(READY_SIZE);
    return (this.#readWakers ??= new Wakers()).add(pending, wake, () => {
      if (this.#pending === pending) this.#done = pending;
    });
  }

  /**
   * Whether `send` would start at once: no write of ours is running. (How
   * much room the kernel has left Deno does not say: a send may still
   * wait for the peer to read.)
   *
   * @returns Whether the socket is writable.
   */
  writable(): boolean {
    return this.#closed ||
      (!this.#writes.busy && this.#pendingWrite === null);
  }

  /**
   * Calls `wake` when `writable()` may have changed.
   *
   * @param wake The wake-up call.
   * @returns A function that forgets it.
   */
  watchWritable(wake: () => void): Forget {
    if (this.#writes.busy) {
      return (this.#writeWakers ??= new Wakers()).add(
        this.#writes.idle(),
        wake,
      );
    }
    const pending = this.#pendingWrite!;
    // A write left running by a timeout is done: nothing waits any more
    // (its error, if any, comes again from the next write).
    return (this.#writeWakers ??= new Wakers()).add(pending, wake, () => {
      if (this.#pendingWrite === pending) this.#pendingWrite = null;
    });
  }

  /** Starts a read into the warm buffer, kept for the call that finishes it. */
  #startRead(bufsize: number): Promise<number | null> {
    bufsize = Math.min(bufsize, MAX_READ);
    this.#pooled = bufsize <= POOL_MAX;
    if (this.#pooled) {
      this.#readBuf = reserve(bufsize);
      return this.#read();
    }
    let scratch = this.#scratch;
    // A buffer too small is replaced; one far too large is too, so a
    // connection that went quiet after a burst does not keep its memory.
    if (
      scratch.length < bufsize ||
      (scratch.length > 4 * bufsize && scratch.length > 4096)
    ) {
      scratch = new Uint8Array(bufsize);
      if (bufsize <= MAX_SCRATCH) this.#scratch = scratch;
    }
    this.#readBuf = scratch.length === bufsize
      ? scratch
      : scratch.subarray(0, bufsize);
    return this.#read();
  }

  #read(): Promise<number | null> {
    // A read left running by a timeout is still observed: the timed wait
    // attached its handlers to it.
    const pending = this.conn.read(this.#readBuf);
    this.#pending = pending;
    return pending;
  }

  /**
   * Puts bytes back in front of the unread ones, for the next read: what a
   * file from `makefile()` held when it timed out or was closed.
   *
   * @param data The bytes, received before any still unread.
   */
  unread(data: Uint8Array): void {
    if (data.length === 0 || this.#closed) return;
    const leftover = this.#leftover;
    if (!leftover) {
      this.#leftover = data;
      return;
    }
    const joined = new Uint8Array(data.length + leftover.length);
    joined.set(data);
    joined.set(leftover, data.length);
    this.#leftover = joined;
  }

  /**
   * Receives into `target`; 0 at end of stream.
   *
   * @param target Where to put the bytes (its whole length is wanted).
   * @param timeout The socket's timeout.
   * @returns How many bytes were received.
   */
  async recvInto(target: Uint8Array, timeout: number | null): Promise<number> {
    if (
      timeout === null && !this.#pending && !this.#leftover && !this.#eof &&
      !this.#readShut && target.length > 0 && this.#reads.take()
    ) {
      // Straight into the caller's buffer: no allocation, no copy.
      try {
        const n = await this.conn.read(target);
        if (n === null) this.#eof = true;
        return n ?? 0;
      } catch (err) {
        throw this.#fail(err, "recv_into");
      } finally {
        this.#reads.release();
      }
    }
    const data = await this.recv(target.length, timeout);
    target.set(data);
    return data.length;
  }

  /**
   * Sends once; returns how many bytes the OS took.
   *
   * @param data The bytes.
   * @param timeout The socket's timeout.
   * @returns The count sent.
   */
  send(data: Uint8Array, timeout: number | null): Promise<number> {
    if (this.#writes.take()) return this.#send(data, timeout);
    return this.#afterTurn(
      this.#writes,
      timeout,
      (left) => this.#send(data, left),
    );
  }

  /** One write, with the turn held; releases it. */
  async #send(data: Uint8Array, timeout: number | null): Promise<number> {
    try {
      this.#checkWritable("send");
      if (timeout === null && !this.#pendingWrite) {
        // The common case, straight to Deno: no timeout, nothing in flight.
        try {
          return await this.conn.write(data);
        } catch (err) {
          throw this.#fail(err, "send");
        }
      }
      return await this.#write(data, timeout, "send");
    } finally {
      this.#writes.release();
    }
  }

  /**
   * Sends all of `data`.
   *
   * @param data The bytes.
   * @param timeout The socket's timeout.
   */
  sendall(data: Uint8Array, timeout: number | null): Promise<void> {
    if (this.#writes.take()) return this.#sendall(data, timeout);
    return this.#afterTurn(
      this.#writes,
      timeout,
      (left) => this.#sendall(data, left),
    );
  }

  /** Every byte, with the turn held; releases it. */
  async #sendall(data: Uint8Array, timeout: number | null): Promise<void> {
    try {
      this.#checkWritable("sendall");
      if (timeout === null && !this.#pendingWrite) {
        // The common case, straight to Deno: no timeout, nothing in flight.
        try {
          do {
            const n = await this.conn.write(data);
            if (n === data.length) return;
            data = data.subarray(n);
          } while (data.length > 0);
        } catch (err) {
          throw this.#fail(err, "sendall");
        }
        return;
      }
      if (timeout !== 0 && !this.#pendingWrite) {
        // With a timeout: each write raced against the deadline, inline (a
        // frame of #write less per call). A write the timeout leaves
        // running stays pending, and the next write waits for it.
        const deadline = this.#writeDeadline ??= new Deadline();
        while (true) {
          const pending = this.conn.write(data);
          this.#pendingWrite = pending;
          let n: number;
          try {
            n = await timedOne(pending, timeout, deadline);
          } catch (err) {
            if (err instanceof TimeoutError) throw err;
            this.#pendingWrite = null;
            throw this.#fail(err, "sendall");
          }
          this.#pendingWrite = null;
          if (n === data.length) return;
          data = data.subarray(n);
        }
      }
      while (data.length > 0) {
        data = data.subarray(await this.#write(data, timeout, "sendall"));
      }
    } finally {
      this.#writes.release();
    }
  }

  #checkWritable(call: string): void {
    if (this.#writeShut) {
      throw oserror(
        "EPIPE",
        `cannot ${call}: the socket was shut down for writing`,
      );
    }
  }

  async #write(
    data: Uint8Array,
    timeout: number | null,
    call: string,
  ): Promise<number> {
    // A write left running by a timed-out call finishes first, in order.
    if (this.#pendingWrite) {
      try {
        await this.#pendingWrite;
      } catch {
        // Its error is reported by the write below.
      }
      this.#pendingWrite = null;
    }
    try {
      if (timeout === null || timeout === 0) return await this.conn.write(data);
      const pending = this.conn.write(data);
      this.#pendingWrite = pending;
      const n = await timedOne(
        pending,
        timeout,
        this.#writeDeadline ??= new Deadline(),
      );
      this.#pendingWrite = null;
      return n;
    } catch (err) {
      if (err instanceof TimeoutError) throw err;
      this.#pendingWrite = null;
      throw this.#fail(err, call);
    }
  }

  /**
   * Shuts down a direction: `SHUT_WR` (or `SHUT_RDWR`) after the writes in
   * flight; `SHUT_RD` only makes later reads return end of stream.
   *
   * @param how `SHUT_RD`, `SHUT_WR` or `SHUT_RDWR`.
   */
  async shutdown(how: number): Promise<void> {
    if (how !== SHUT_WR) this.#readShut = true;
    if (how === SHUT_RD || this.#writeShut) return;
    await this.#writes.wait(null, this.#writeDeadline ??= new Deadline());
    try {
      if (this.#writeShut) return;
      if (this.#pendingWrite) await this.#pendingWrite.catch(ignore);
      this.#writeShut = true;
      await this.conn.closeWrite();
    } catch (err) {
      throw this.#fail(err, "shutdown");
    } finally {
      this.#writes.release();
    }
  }

  /** Closes the connection; operations still waiting fail with EBADF. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#readDeadline?.clear();
    this.#writeDeadline?.clear();
    this.#leftover = null;
    try {
      this.conn.close();
    } catch {
      // Already closed by Deno (for example after a reset).
    }
  }
}
