/**
 * Calls in flight at once on one socket, on real loopback sockets: two
 * calls of a kind take turns in call order, each with its own timeout, so
 * none loses, repeats or shares another's data (two `recv`, two `accept`,
 * two `recvfrom`, two `sendall`); an `accept` that timed out leaves its
 * connection to `close()`, which lets the client go at once.
 *
 * Every wait is bounded: a call that never settles fails the test with
 * what it was waiting for, instead of hanging it.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socket from "../../mod.ts";
import { rejectsWith } from "../_support/assert.ts";
import { random, text } from "../_support/data.ts";
import { recvExactly, tcpPair } from "../_support/net.ts";
import { sleep, within } from "../_support/wait.ts";

const { AF_INET, SOCK_DGRAM, bytes } = socket;

/** How long a call that should settle at once may take before the test fails. */
const SOON_MS = 1000;

/**
 * Settles `promise` as `Promise.allSettled` would, failing the test if it
 * has not settled within `ms`.
 */
function settled<T>(
  promise: Promise<T>,
  what: string,
  ms = SOON_MS,
): Promise<PromiseSettledResult<T>> {
  return within(
    promise.then(
      (value): PromiseSettledResult<T> => ({ status: "fulfilled", value }),
      (reason): PromiseSettledResult<T> => ({ status: "rejected", reason }),
    ),
    ms,
    what,
  );
}

/** Describes a settled call for a failure message. */
function describe(result: PromiseSettledResult<unknown>): string {
  if (result.status === "fulfilled") return `resolved with ${result.value}`;
  const err = result.reason;
  return err instanceof Error
    ? `rejected with ${err.constructor.name}: ${err.message}`
    : `rejected with ${err}`;
}

/** The offset of the first byte where `a` and `b` differ, or -1. */
function firstDifference(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

Deno.test("two recv() at once each get their own bytes, in call order, and neither reads a false end of stream", async () => {
  using pair = await tcpPair();
  const first = pair.conn.recv(1024);
  const second = pair.conn.recv(1024);
  await pair.client.sendall(bytes("a"));
  assert.equal(text(await within(first, SOON_MS, "the first recv()")), "a");
  await pair.client.sendall(bytes("b"));
  const got = await within(second, SOON_MS, "the second recv()");
  assert.notEqual(got.length, 0, "the second recv() read end of stream");
  assert.equal(text(got), "b");
});

Deno.test("two accept() at once return two distinct connections, one per client", async () => {
  using server = socket.socket();
  server.bind(["127.0.0.1", 0]);
  server.listen();
  const first = server.accept();
  const second = server.accept();
  using one = socket.socket();
  await one.connect(server.getsockname());
  using two = socket.socket();
  await two.connect(server.getsockname());
  const [conn1, addr1] = await within(first, SOON_MS, "the first accept()");
  using _conn1 = conn1;
  const [conn2, addr2] = await within(second, SOON_MS, "the second accept()");
  using _conn2 = conn2;
  assert.notDeepEqual(addr1, addr2, "both accept() calls got one client");
  assert.deepEqual(
    new Set([JSON.stringify(addr1), JSON.stringify(addr2)]),
    new Set(
      [one.getsockname(), two.getsockname()].map((a) => JSON.stringify(a)),
    ),
  );
  // Each accepted socket is the connection of the client it names.
  const clientOf = (addr: socket.Address) =>
    JSON.stringify(addr) === JSON.stringify(one.getsockname()) ? one : two;
  await clientOf(addr1).sendall(bytes("to conn1"));
  await clientOf(addr2).sendall(bytes("to conn2"));
  assert.equal(text(await recvExactly(conn1, 8)), "to conn1");
  assert.equal(text(await recvExactly(conn2, 8)), "to conn2");
});

Deno.test("two recvfrom() at once on a UDP socket each get their own datagram, in call order", async () => {
  using receiver = socket.socket(AF_INET, SOCK_DGRAM);
  receiver.bind(["127.0.0.1", 0]);
  using sender = socket.socket(AF_INET, SOCK_DGRAM);
  sender.bind(["127.0.0.1", 0]);
  const first = receiver.recvfrom(1024);
  const second = receiver.recvfrom(1024);
  await sender.sendto(bytes("one"), receiver.getsockname());
  await sender.sendto(bytes("two"), receiver.getsockname());
  const [data1, from1] = await within(first, SOON_MS, "the first recvfrom()");
  const [data2, from2] = await within(second, SOON_MS, "the second recvfrom()");
  assert.deepEqual([text(data1), text(data2)], ["one", "two"]);
  assert.deepEqual(from1, sender.getsockname());
  assert.deepEqual(from2, sender.getsockname());
});

Deno.test("two recv() at once with a 0.3 s timeout both throw TimeoutError on time, and bytes sent afterwards reach the next recv()", async () => {
  using pair = await tcpPair();
  pair.conn.settimeout(0.3);
  const started = performance.now();
  const results = await Promise.all([
    settled(pair.conn.recv(1024), "the first recv() with a timeout"),
    settled(pair.conn.recv(1024), "the second recv() with a timeout"),
  ]);
  const waited = performance.now() - started;
  for (const [i, result] of results.entries()) {
    assert.ok(
      result.status === "rejected" &&
        result.reason instanceof socket.TimeoutError,
      `recv() number ${i + 1} ${describe(result)}, not TimeoutError`,
    );
  }
  assert.ok(waited >= 280, `both timed out after ${waited} ms, before 0.3 s`);
  // Nothing was taken by the calls that timed out.
  await pair.client.sendall(bytes("late"));
  pair.conn.settimeout(2);
  assert.equal(text(await pair.conn.recv(1024)), "late");
});

Deno.test("two sendall() at once of large buffers arrive whole, one after the other, not interleaved", async () => {
  using pair = await tcpPair();
  // Far more than the socket buffers hold, so each sendall() takes many
  // writes; random bytes, so a lost, repeated or foreign chunk shows.
  const size = 8 * 1024 * 1024;
  const a = random(size);
  const b = random(size);
  const reading = recvExactly(pair.conn, 2 * size);
  await within(
    Promise.all([pair.client.sendall(a), pair.client.sendall(b)]),
    5000,
    "two sendall() of 8 MiB",
  );
  const got = await within(reading, 5000, "reading 16 MiB");
  assert.equal(got.length, 2 * size);
  const inA = firstDifference(got.subarray(0, size), a);
  assert.equal(
    inA,
    -1,
    `the first 8 MiB differ from the first buffer at ${inA}`,
  );
  const inB = firstDifference(got.subarray(size), b);
  assert.equal(
    inB,
    -1,
    `the next 8 MiB differ from the second buffer at ${inB}`,
  );
});

Deno.test("after an accept() timed out, close() lets a client that connected meanwhile go at once, with end of stream or a reset", async () => {
  using server = socket.socket();
  server.bind(["127.0.0.1", 0]);
  server.listen();
  server.settimeout(0.05);
  await rejectsWith(server.accept(), socket.TimeoutError);
  // The accept left running takes this connection in the background.
  using client = socket.socket();
  await client.connect(server.getsockname());
  await sleep(50);
  server.close();
  client.settimeout(1); // not forever: a client left hanging fails the test
  const started = performance.now();
  const result = await settled(client.recv(1024), "the client's recv()", 2000);
  const waited = performance.now() - started;
  const ended = result.status === "fulfilled" && result.value.length === 0;
  const reset = result.status === "rejected" &&
    result.reason instanceof socket.ConnectionResetError;
  assert.ok(
    ended || reset,
    `the client's recv() ${describe(result)}, not end of stream or a reset`,
  );
  assert.ok(waited < 1000, `the client waited ${waited} ms`);
});
