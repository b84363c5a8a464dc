/**
 * `Socket.makefile()` on real loopback sockets: lines and characters
 * split across receives, text and binary modes, newline modes, write
 * buffering, timeouts that lose nothing, the socket staying open while a
 * file is, and python3 peers that use `makefile` too, in both directions.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socket from "../../mod.ts";
import { rejectsWith, throwsWith } from "../_support/assert.ts";
import { text } from "../_support/data.ts";
import { recvAll, recvExactly, tcpPair } from "../_support/net.ts";
import { needs } from "../_support/platform.ts";
import { pythonChild } from "../_support/python.ts";

const { bytes } = socket;
const python = needs("python");

Deno.test("readline() puts back together a character split across receives", async () => {
  using pair = await tcpPair();
  // A buffer of one byte makes every receive one byte: each é and 😀 is
  // split across receives.
  const rfile = pair.client.makefile("r", { buffering: 1 });
  await pair.conn.sendall(bytes("héllo 😀\nnext\n"));
  assert.equal(await rfile.readline(), "héllo 😀\n");
  assert.equal(await rfile.readline(), "next\n");
  await rfile.close();
});

Deno.test("readline() over a character whose bytes arrive in two sends", async () => {
  using pair = await tcpPair();
  const rfile = pair.client.makefile("r");
  // "café\n" with the é cut in two: the line waits for its second half.
  await pair.conn.sendall(bytes("café\n").subarray(0, 4));
  const line = rfile.readline();
  await new Promise((r) => setTimeout(r, 50));
  await pair.conn.sendall(bytes("café\n").subarray(4));
  assert.equal(await line, "café\n");
  await rfile.close();
});

Deno.test("read(n) and readline(limit) count characters (code points), not bytes or UTF-16 units", async () => {
  using pair = await tcpPair();
  const rfile = pair.client.makefile("r", { buffering: 3 });
  await pair.conn.sendall(bytes("😀é-abc\nxyz"));
  pair.conn.close();
  assert.equal(await rfile.readline(0), "");
  assert.equal(await rfile.read(0), "");
  assert.equal(await rfile.read(2), "😀é");
  assert.equal(await rfile.readline(2), "-a");
  assert.equal(await rfile.readline(), "bc\n");
  assert.equal(await rfile.read(), "xyz");
  assert.equal(await rfile.read(), "");
  assert.equal(await rfile.readline(), "");
  await rfile.close();
});

Deno.test("a large read(n) of multi-byte text returns exactly n characters", async () => {
  using pair = await tcpPair();
  const rfile = pair.client.makefile("r");
  const sent = "é€😀a".repeat(50_000); // 200 000 characters, 500 000 bytes
  const writing = pair.conn.sendall(bytes(sent + "tail"));
  const got = await rfile.read(200_000);
  assert.equal([...got].length, 200_000);
  assert.equal(got, sent);
  assert.equal(await rfile.read(4), "tail");
  await writing;
  await rfile.close();
});

Deno.test("binary mode gives bytes: read(n) waits for n bytes, readline(limit) stops at the limit", async () => {
  using pair = await tcpPair();
  const rfile = pair.client.makefile("rb");
  await pair.conn.sendall(bytes("ab"));
  const four = rfile.read(4);
  await new Promise((r) => setTimeout(r, 50));
  await pair.conn.sendall(bytes("cdef\nghij\n"));
  pair.conn.close();
  assert.deepEqual(await four, bytes("abcd"));
  assert.deepEqual(await rfile.readline(), bytes("ef\n"));
  assert.deepEqual(await rfile.readline(2), bytes("gh"));
  assert.deepEqual(await rfile.readlines(), [bytes("ij\n")]);
  assert.deepEqual(await rfile.read(), new Uint8Array(0));
  await rfile.close();
});

Deno.test("newline=null reads \\r\\n and \\r as \\n; newline='' keeps them; newline='\\r\\n' ends lines only there", async () => {
  const data = "a\r\nb\rc\nd\r";
  for (
    const [newline, want] of [
      [null, ["a\n", "b\n", "c\n", "d\n"]],
      ["", ["a\r\n", "b\r", "c\n", "d\r"]],
      ["\n", ["a\r\n", "b\rc\n", "d\r"]],
      ["\r\n", ["a\r\n", "b\rc\nd\r"]],
      ["\r", ["a\r", "\nb\r", "c\nd\r"]],
    ] as const
  ) {
    using pair = await tcpPair();
    const rfile = pair.client.makefile("r", { newline, buffering: 1 });
    await pair.conn.sendall(bytes(data));
    pair.conn.close();
    const lines: string[] = [];
    for await (const line of rfile) lines.push(line);
    assert.deepEqual(lines, want, `newline ${JSON.stringify(newline)}`);
    await rfile.close();
  }
});

Deno.test("newline='\\r\\n' writes each \\n as \\r\\n; write() returns the characters written", async () => {
  using pair = await tcpPair();
  const wfile = pair.client.makefile("w", { newline: "\r\n" });
  assert.equal(await wfile.write("😀 hi\n"), 5);
  await wfile.close();
  pair.client.close();
  assert.equal(text(await recvAll(pair.conn)), "😀 hi\r\n");
});

Deno.test("writes wait in the buffer until flush(), and close() flushes", async () => {
  using pair = await tcpPair();
  const wfile = pair.client.makefile("wb");
  await wfile.write(bytes("held"));
  pair.conn.settimeout(0.3);
  await rejectsWith(pair.conn.recv(16), socket.TimeoutError);
  await wfile.flush();
  assert.equal(text(await recvExactly(pair.conn, 4)), "held");
  await wfile.write(bytes("more"));
  await wfile.close();
  assert.equal(text(await recvExactly(pair.conn, 4)), "more");
});

Deno.test("a write larger than the buffer goes out at once", async () => {
  using pair = await tcpPair();
  const wfile = pair.client.makefile("wb", { buffering: 16 });
  await wfile.write(new Uint8Array(100).fill(7));
  assert.equal((await recvExactly(pair.conn, 100)).length, 100);
  await wfile.close();
});

Deno.test("an unbuffered binary file reads with one recv and writes with one send", async () => {
  using pair = await tcpPair();
  const file = pair.client.makefile("rwb", { buffering: 0 });
  await pair.conn.sendall(bytes("abc"));
  assert.deepEqual(await file.read(100), bytes("abc"));
  assert.equal(await file.write(bytes("xyz")), 3);
  assert.equal(text(await recvExactly(pair.conn, 3)), "xyz");
  await file.close();
});

Deno.test("closing the file leaves the socket open; the connection closes when both are closed", async () => {
  using pair = await tcpPair();
  const file = pair.client.makefile("rw");
  await file.close();
  await pair.client.sendall(bytes("socket still works"));
  assert.equal(text(await recvExactly(pair.conn, 18)), "socket still works");

  const file2 = pair.client.makefile("rw");
  pair.client.close();
  assert.equal(pair.client.closed, true);
  await file2.write("file still works\n");
  await file2.flush();
  assert.equal(text(await recvExactly(pair.conn, 17)), "file still works\n");
  await pair.conn.sendall(bytes("reply\n"));
  assert.equal(await file2.readline(), "reply\n");
  await file2.close();
  // Now both are closed: the peer sees end of stream.
  pair.conn.settimeout(5);
  assert.equal((await pair.conn.recv(16)).length, 0);
});

Deno.test("after a read times out the file refuses reads, and nothing received is lost", async () => {
  using pair = await tcpPair();
  pair.client.settimeout(0.2);
  const rfile = pair.client.makefile("r");
  await pair.conn.sendall(bytes("par"));
  await rejectsWith(rfile.readline(), socket.TimeoutError);
  await rejectsWith(
    rfile.readline(),
    socket.OSError,
    { message: /cannot read from timed out object/ },
  );
  // The late half of the line arrives; the bytes the file held went back
  // to the socket, ahead of them.
  await pair.conn.sendall(bytes("tial\nsecond\n"));
  pair.client.settimeout(5);
  const again = pair.client.makefile("r");
  assert.equal(await again.readline(), "partial\n");
  await again.close();
  await rfile.close();
  assert.equal(text(await recvExactly(pair.client, 7)), "second\n");
});

Deno.test("a timed-out read's late data goes to recv()", async () => {
  using pair = await tcpPair();
  pair.client.settimeout(0.2);
  const rfile = pair.client.makefile("rb");
  await rejectsWith(rfile.read(4), socket.TimeoutError);
  await pair.conn.sendall(bytes("late"));
  pair.client.settimeout(5);
  assert.equal(text(await recvExactly(pair.client, 4)), "late");
  await rfile.close();
});

Deno.test("bytes a file read ahead go back to the socket when it closes", async () => {
  using pair = await tcpPair();
  await pair.conn.sendall(bytes("one\ntwo\n"));
  const rfile = pair.client.makefile("rb");
  // The first line may bring the second with it into the file's buffer.
  assert.equal(text(await rfile.readline()), "one\n");
  await rfile.close();
  assert.equal(text(await recvExactly(pair.client, 4)), "two\n");
});

Deno.test("two reads in flight on one file get consecutive lines", async () => {
  using pair = await tcpPair();
  const rfile = pair.client.makefile("r");
  const first = rfile.readline();
  const second = rfile.readline();
  await pair.conn.sendall(bytes("1\n2\n"));
  assert.deepEqual(await Promise.all([first, second]), ["1\n", "2\n"]);
  await rfile.close();
});

Deno.test('an "rw" file writes while a read waits for the peer', async () => {
  using pair = await tcpPair();
  const file = pair.client.makefile("rw");
  const line = file.readline();
  const sent = file.write("question\n").then(() => file.flush());
  // Bounded: were the write stuck behind the read, this times out.
  pair.conn.settimeout(5);
  assert.equal(text(await recvExactly(pair.conn, 9)), "question\n");
  await sent;
  await pair.conn.sendall(bytes("answer\n"));
  assert.equal(await line, "answer\n");
  await file.close();
});

Deno.test("closing a file while a read waits: the read fails, and its bytes go back to the socket in order", async () => {
  using pair = await tcpPair();
  const rfile = pair.client.makefile("r");
  await pair.conn.sendall(bytes("first\nsec"));
  assert.equal(await rfile.readline(), "first\n");
  const waiting = rfile.readline();
  await new Promise((r) => setTimeout(r, 50));
  await rfile.close();
  await pair.conn.sendall(bytes("ond\n"));
  await rejectsWith(waiting, socket.ValueError, { message: /closed file/ });
  assert.equal(text(await recvExactly(pair.client, 7)), "second\n");
});

Deno.test("strict decoding throws UnicodeDecodeError; errors='replace' gives U+FFFD", async () => {
  using pair = await tcpPair();
  await pair.conn.sendall(new Uint8Array([0xff, 0x0a, 0x61, 0xff, 0x0a]));
  const strict = pair.client.makefile("r");
  await rejectsWith(strict.readline(), socket.UnicodeDecodeError);
  await strict.close();
  const lenient = pair.client.makefile("r", { errors: "replace" });
  assert.equal(await lenient.readline(), "a\ufffd\n");
  await lenient.close();
});

Deno.test("bad modes, options and calls throw Python's errors", async () => {
  using pair = await tcpPair();
  throwsWith(
    () => pair.client.makefile("rx"),
    socket.ValueError,
    { message: /invalid mode/ },
  );
  throwsWith(
    () => pair.client.makefile("r", { buffering: 0 }),
    socket.ValueError,
    { message: /unbuffered streams must be binary/ },
  );
  throwsWith(
    // @ts-expect-error: not a newline Python accepts
    () => pair.client.makefile("r", { newline: "x" }),
    socket.ValueError,
    { message: /illegal newline value/ },
  );
  const rfile = pair.client.makefile("r");
  await rejectsWith(rfile.write("no"), socket.OSError, {
    message: /not writable/,
  });
  const wfile = pair.client.makefile("w");
  await rejectsWith(wfile.read(), socket.OSError, { message: /not readable/ });
  await wfile.close();
  await wfile.close();
  await rejectsWith(wfile.write("x"), socket.ValueError, {
    message: /closed file/,
  });
  await rfile.close();
  using udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
  throwsWith(() => udp.makefile(), socket.OSError, { message: /SOCK_STREAM/ });
  pair.client.close();
  throwsWith(() => pair.client.makefile(), socket.OSError, {
    message: /closed/,
  });
});

Deno.test(
  `a python3 server with makefile talks to a pysocket client with makefile${python.why}`,
  { ignore: python.ignore },
  async () => {
    await using server = pythonChild(`
import socket
with socket.create_server(("127.0.0.1", 0)) as sk:
    print("port", sk.getsockname()[1])
    conn, addr = sk.accept()
    with conn, conn.makefile("rw", encoding="utf-8") as f:
        for line in f:
            f.write(line.upper())
            f.flush()
`);
    await server.waitFor("stdout", /port \d+\n/);
    const port = Number(/port (\d+)/.exec(server.stdout)![1]);
    using client = await socket.create_connection(["127.0.0.1", port]);
    const f = client.makefile("rw", { encoding: "utf-8" });
    for (const word of ["grüße", "😀 smile", "end"]) {
      await f.write(`${word}\n`);
      await f.flush();
      assert.equal(await f.readline(), `${word.toUpperCase()}\n`);
    }
    await f.close();
    client.close();
    const done = await server.finished();
    assert.equal(done.code, 0, done.stderr);
  },
);

Deno.test(
  `a pysocket server with makefile talks to a python3 client with makefile${python.why}`,
  { ignore: python.ignore },
  async () => {
    using server = socket.create_server(["127.0.0.1", 0]);
    const [, port] = server.getsockname() as [string, number];
    await using client = pythonChild(
      `
import socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1]))) as sk:
    with sk.makefile("rwb") as f:
        f.write("héllo\\nwörld\\n".encode("utf-8"))
        f.flush()
        print(f.readline().decode("utf-8"), end="")
        print(f.read().decode("utf-8"), end="")
`,
      [String(port)],
    );
    const [conn] = await server.accept();
    const rfile = conn.makefile("r", { encoding: "utf-8" });
    const wfile = conn.makefile("wb");
    const lines = [await rfile.readline(), await rfile.readline()];
    assert.deepEqual(lines, ["héllo\n", "wörld\n"]);
    await wfile.write(bytes("got 2 lines\n"));
    await wfile.write(bytes("bye ✓"));
    await wfile.close();
    await rfile.close();
    conn.close();
    const done = await client.finished();
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, "got 2 lines\nbye ✓");
  },
);
