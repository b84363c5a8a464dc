/**
 * `sendfile`, the `flags` argument (`MSG_WAITALL`, and the clear error for
 * flags Deno lacks), `recvfrom_into` and `sendto(data, flags, address)`,
 * on real loopback sockets, with a python3 receiver for `sendfile`.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socket from "../../mod.ts";
import { rejectsWith } from "../_support/assert.ts";
import { random, sha256, text } from "../_support/data.ts";
import { recvAll, recvExactly, tcpPair } from "../_support/net.ts";
import { needs } from "../_support/platform.ts";
import { pythonChild } from "../_support/python.ts";
import { tempDir } from "../_support/temp_dir.ts";

const { bytes, MSG_WAITALL } = socket;
const python = needs("python");

Deno.test("sendfile() sends a whole file and leaves its position at the end", async () => {
  using dir = tempDir();
  const data = random(300_000);
  Deno.writeFileSync(dir.join("f"), data);
  using file = await Deno.open(dir.join("f"));
  using pair = await tcpPair();
  const received = recvAll(pair.conn);
  assert.equal(await pair.client.sendfile(file), data.length);
  assert.equal(await file.seek(0, Deno.SeekMode.Current), data.length);
  pair.client.close();
  assert.equal(await sha256(await received), await sha256(data));
});

Deno.test("sendfile(file, offset, count) sends count bytes from offset; the position ends after them", async () => {
  using dir = tempDir();
  Deno.writeTextFileSync(dir.join("f"), "0123456789");
  using file = await Deno.open(dir.join("f"));
  await file.seek(8, Deno.SeekMode.Start);
  using pair = await tcpPair();
  assert.equal(await pair.client.sendfile(file, 3, 4), 4);
  assert.equal(text(await recvExactly(pair.conn, 4)), "3456");
  assert.equal(await file.seek(0, Deno.SeekMode.Current), 7);
  // Past the end there is nothing to send.
  assert.equal(await pair.client.sendfile(file, 10), 0);
});

Deno.test("sendfile() reads any source with read(p), from where it is", async () => {
  using pair = await tcpPair();
  const chunks = [bytes("ab"), bytes("cde")];
  const source = {
    read(p: Uint8Array): Promise<number | null> {
      const next = chunks.shift();
      if (!next) return Promise.resolve(null);
      p.set(next);
      return Promise.resolve(next.length);
    },
  };
  assert.equal(await pair.client.sendfile(source), 5);
  assert.equal(text(await recvExactly(pair.conn, 5)), "abcde");
  await rejectsWith(pair.client.sendfile(source, 1), TypeError, {
    message: /cannot seek/,
  });
});

Deno.test("sendfile() checks its arguments as Python does", async () => {
  using pair = await tcpPair();
  using dir = tempDir();
  Deno.writeTextFileSync(dir.join("f"), "x");
  using file = await Deno.open(dir.join("f"));
  await rejectsWith(pair.client.sendfile(file, 0, 0), socket.ValueError, {
    message: /count must be a positive integer \(got 0\)/,
  });
  await rejectsWith(pair.client.sendfile(file, 0, 1.5), TypeError);
  await rejectsWith(pair.client.sendfile(file, -1), socket.ValueError);
  pair.client.setblocking(false);
  await rejectsWith(pair.client.sendfile(file), socket.ValueError, {
    message: /non-blocking sockets are not supported/,
  });
  using udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
  await rejectsWith(udp.sendfile(file), socket.ValueError, {
    message: /only SOCK_STREAM/,
  });
});

Deno.test("sendfile() honours the socket's timeout when the peer does not read", async () => {
  using dir = tempDir();
  Deno.writeFileSync(dir.join("f"), new Uint8Array(64 * 1024 * 1024));
  using file = await Deno.open(dir.join("f"));
  using pair = await tcpPair();
  pair.client.settimeout(0.5);
  await rejectsWith(pair.client.sendfile(file), socket.TimeoutError);
  // The position says how much went out (whole blocks).
  const sent = await file.seek(0, Deno.SeekMode.Current);
  assert.ok(sent < 64 * 1024 * 1024);
  assert.equal(sent % (64 * 1024), 0);
});

Deno.test(
  `a python3 receiver gets every byte pysocket's sendfile() sends${python.why}`,
  { ignore: python.ignore },
  async () => {
    using dir = tempDir();
    const data = random(1_000_000);
    Deno.writeFileSync(dir.join("f"), data);
    using server = socket.create_server(["127.0.0.1", 0]);
    const [, port] = server.getsockname() as [string, number];
    await using peer = pythonChild(
      `
import hashlib, socket, sys
with socket.create_connection(("127.0.0.1", int(sys.argv[1]))) as sk:
    h = hashlib.sha256()
    while chunk := sk.recv(65536):
        h.update(chunk)
    print(h.hexdigest())
`,
      [String(port)],
    );
    const [conn] = await server.accept();
    using file = await Deno.open(dir.join("f"));
    assert.equal(await conn.sendfile(file), data.length);
    conn.close();
    const done = await peer.finished();
    assert.equal(done.code, 0, done.stderr);
    assert.equal(done.stdout, `${await sha256(data)}\n`);
  },
);

Deno.test("recv(n, MSG_WAITALL) waits for all n bytes across sends", async () => {
  using pair = await tcpPair();
  const all = pair.conn.recv(6, MSG_WAITALL);
  await pair.client.sendall(bytes("abc"));
  await new Promise((r) => setTimeout(r, 50));
  await pair.client.sendall(bytes("defgh"));
  assert.equal(text(await all), "abcdef");
  assert.equal(text(await recvExactly(pair.conn, 2)), "gh");
});

Deno.test("recv(n, MSG_WAITALL) returns what arrived at the end of the stream", async () => {
  using pair = await tcpPair();
  await pair.client.sendall(bytes("abc"));
  pair.client.close();
  assert.equal(text(await pair.conn.recv(100, MSG_WAITALL)), "abc");
  assert.equal((await pair.conn.recv(100, MSG_WAITALL)).length, 0);
});

Deno.test("recv(n, MSG_WAITALL) with a timeout returns what arrived when it passed, or times out with nothing", async () => {
  using pair = await tcpPair();
  pair.conn.settimeout(0.3);
  await rejectsWith(pair.conn.recv(10, MSG_WAITALL), socket.TimeoutError);
  await pair.client.sendall(bytes("abc"));
  assert.equal(text(await pair.conn.recv(10, MSG_WAITALL)), "abc");
  // Late bytes are kept for the next call.
  await pair.client.sendall(bytes("late"));
  assert.equal(text(await pair.conn.recv(4, MSG_WAITALL)), "late");
});

Deno.test("recv_into, recvfrom and recvfrom_into take MSG_WAITALL on a stream", async () => {
  using pair = await tcpPair();
  const buf = new Uint8Array(4);
  const into = pair.conn.recv_into(buf, 0, MSG_WAITALL);
  await pair.client.sendall(bytes("ab"));
  await new Promise((r) => setTimeout(r, 50));
  await pair.client.sendall(bytes("cdefghijkl"));
  assert.equal(await into, 4);
  assert.equal(text(buf), "abcd");
  const [data, addr] = await pair.conn.recvfrom(4, MSG_WAITALL);
  assert.equal(text(data), "efgh");
  assert.deepEqual(addr, pair.client.getsockname());
  const buf2 = new Uint8Array(10);
  const [n, addr2] = await pair.conn.recvfrom_into(buf2, 4, MSG_WAITALL);
  assert.equal(n, 4);
  assert.equal(text(buf2.subarray(0, 4)), "ijkl");
  assert.deepEqual(addr2, pair.client.getsockname());
});

Deno.test("recvfrom_into on UDP cuts the datagram to the buffer and names the sender", async () => {
  using a = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
  a.bind(["127.0.0.1", 0]);
  using b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
  b.bind(["127.0.0.1", 0]);
  assert.equal(await b.sendto(bytes("hello"), 0, a.getsockname()), 5);
  const buf = new Uint8Array(16);
  const [n, addr] = await a.recvfrom_into(buf, 3);
  assert.equal(n, 3);
  assert.equal(text(buf.subarray(0, 3)), "hel");
  assert.deepEqual(addr, b.getsockname());
  await rejectsWith(a.recvfrom_into(buf, 17), socket.ValueError, {
    message: /buffer too small/,
  });
});

Deno.test("flags Deno lacks are a clear OSError (EOPNOTSUPP) naming them", async () => {
  using pair = await tcpPair();
  const unsupported = { errno: socket.errno.EOPNOTSUPP };
  await rejectsWith(pair.conn.recv(4, socket.MSG_OOB), socket.OSError, {
    ...unsupported,
    message:
      /recv\(\): flag MSG_OOB is not supported.*supported: MSG_PEEK, MSG_WAITALL/,
  });
  await rejectsWith(
    pair.client.send(bytes("x"), socket.MSG_DONTROUTE),
    socket.OSError,
    { ...unsupported, message: /send\(\): flag MSG_DONTROUTE .*pass 0/ },
  );
  await rejectsWith(
    pair.client.sendall(bytes("x"), socket.MSG_WAITALL),
    socket.OSError,
    unsupported,
  );
  await rejectsWith(pair.conn.recv(4, 0x10000), socket.OSError, {
    message: /flag 0x10000/,
  });
  using udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
  await rejectsWith(
    udp.sendto(bytes("x"), socket.MSG_OOB, ["127.0.0.1", 9]),
    socket.OSError,
    unsupported,
  );
  await rejectsWith(
    udp.recvfrom(4, socket.MSG_OOB),
    socket.OSError,
    unsupported,
  );
  // Nothing was consumed by the refused calls.
  await pair.client.sendall(bytes("ok"));
  assert.equal(text(await recvExactly(pair.conn, 2)), "ok");
});
