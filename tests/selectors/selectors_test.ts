/**
 * `selectors` on real loopback sockets: the key table (`register`,
 * `unregister`, `modify`, `get_key`, `get_map`, `close`) with Python's
 * errors, `select` with events and timeouts, and a selectors echo server
 * serving 50 clients at once.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socket from "../../mod.ts";
import * as selectors from "../../lib/selectors/mod.ts";
import { tcpPair } from "../_support/net.ts";
import { throwsWith } from "../_support/assert.ts";

const { EVENT_READ, EVENT_WRITE } = selectors;
const HOST = "127.0.0.1";

Deno.test("register, get_key, get_map, modify and unregister keep Python's key table", async () => {
  using pair = await tcpPair();
  using sel = new selectors.DefaultSelector<socket.Socket, string>();
  const key = sel.register(pair.client, EVENT_READ, "client");
  assert.deepEqual(
    [key.fileobj, key.fd, key.events, key.data],
    [pair.client, pair.client.fileno(), EVENT_READ, "client"],
  );
  assert.throws(() => {
    (key as { events: number }).events = 3;
  }, TypeError);
  assert.equal(sel.get_key(pair.client), key);
  assert.equal(sel.get_key(pair.client.fileno() as never), key);
  const map = sel.get_map()!;
  assert.equal(map.size, 1);
  assert.equal(map.has(pair.client), true);
  assert.deepEqual([...map], [pair.client.fileno()]);
  // The same events with new data: a new key, same registration.
  const renamed = sel.modify(pair.client, EVENT_READ, "renamed");
  assert.equal(renamed.data, "renamed");
  assert.equal(sel.get_key(pair.client), renamed);
  const both = sel.modify(pair.client, EVENT_READ | EVENT_WRITE, "both");
  assert.equal(both.events, 3);
  assert.equal(sel.unregister(pair.client), both);
  assert.equal(map.size, 0);
});

Deno.test("Python's errors: registered twice, unknown, invalid events, closed socket, closed selector", async () => {
  using pair = await tcpPair();
  const sel = new selectors.DefaultSelector();
  sel.register(pair.client, EVENT_READ);
  throwsWith(
    () => sel.register(pair.client, EVENT_WRITE),
    selectors.KeyError,
    {
      message:
        `${pair.client} (FD ${pair.client.fileno()}) is already registered`,
    },
  );
  throwsWith(() => sel.unregister(pair.conn), selectors.KeyError, {
    message: `${pair.conn} is not registered`,
  });
  throwsWith(() => sel.get_key(pair.conn), selectors.KeyError);
  throwsWith(() => sel.modify(pair.conn, EVENT_READ), selectors.KeyError);
  for (const events of [0, 4, 1.5]) {
    throwsWith(() => sel.register(pair.conn, events), selectors.ValueError, {
      message: `Invalid events: ${events}`,
    });
  }
  const closed = socket.socket();
  closed.close();
  throwsWith(() => sel.register(closed, EVENT_READ), selectors.ValueError, {
    message: "Invalid file descriptor: -1",
  });
  throwsWith(
    () => sel.register({} as socket.Socket, EVENT_READ),
    selectors.ValueError,
    { message: "Invalid file object: [object Object]" },
  );
  // A registered socket closed since can still be unregistered.
  sel.register(pair.conn, EVENT_READ);
  pair.conn.close();
  assert.equal(sel.unregister(pair.conn).fileobj, pair.conn);
  sel.close();
  assert.equal(sel.get_map(), null);
  throwsWith(() => sel.get_key(pair.client), selectors.RuntimeError, {
    message: "Selector is closed",
  });
  await assert.rejects(sel.select(0), selectors.ValueError);
  // The sockets stay open.
  assert.notEqual(pair.client.fileno(), -1);
});

Deno.test("select gives [key, events] for the ready events a key asked for, and [] on timeout", async () => {
  using pair = await tcpPair();
  using sel = new selectors.DefaultSelector<socket.Socket>();
  sel.register(pair.client, EVENT_READ | EVENT_WRITE, "c");
  sel.register(pair.server, EVENT_READ, "s");
  const ready = await sel.select(5);
  assert.deepEqual(ready.map(([k, e]) => [k.data, e]), [["c", EVENT_WRITE]]);
  sel.modify(pair.client, EVENT_READ, "c");
  const start = performance.now();
  assert.deepEqual(await sel.select(0.2), []);
  assert.ok(performance.now() - start >= 190);
  assert.deepEqual(await sel.select(-1), []); // <= 0 polls, as in Python
  await pair.conn.sendall(new Uint8Array([1, 2]));
  const [[key, events]] = await sel.select();
  assert.deepEqual([key.data, events], ["c", EVENT_READ]);
  assert.deepEqual(await pair.client.recv(10), new Uint8Array([1, 2]));
});

Deno.test("a selectors echo server serves 50 clients at once, losing no byte and no connection", async () => {
  using server = socket.socket();
  server.bind([HOST, 0]);
  server.listen(100);
  server.setblocking(false);
  using sel = new selectors.DefaultSelector<socket.Socket, "accept" | "read">();
  sel.register(server, EVENT_READ, "accept");
  let served = 0;
  const serving = (async () => {
    while (served < 50) {
      for (const [key] of await sel.select(10)) {
        if (key.data === "accept") {
          const [conn] = await key.fileobj.accept();
          conn.setblocking(false);
          sel.register(conn, EVENT_READ, "read");
        } else {
          const data = await key.fileobj.recv(1000);
          if (data.length > 0) {
            await key.fileobj.sendall(data);
          } else {
            sel.unregister(key.fileobj);
            key.fileobj.close();
            served++;
          }
        }
      }
    }
  })();
  const [, port] = server.getsockname() as [string, number];
  const clients = await Promise.all(
    Array.from({ length: 50 }, () => Deno.connect({ hostname: HOST, port })),
  );
  await Promise.all(clients.map(async (conn, i) => {
    const message = new TextEncoder().encode(
      `client ${i} ${"x".repeat(i * 37)}`,
    );
    for (let at = 0; at < message.length; at += 100) {
      await conn.write(message.subarray(at, at + 100));
    }
    const got = new Uint8Array(message.length);
    for (let n = 0; n < got.length;) {
      const read = await conn.read(got.subarray(n));
      assert.notEqual(read, null, `client ${i} got ${n} bytes only`);
      n += read!;
    }
    assert.deepEqual(got, message);
    conn.close();
  }));
  await serving;
  assert.equal(served, 50);
  assert.equal(sel.get_map()!.size, 1);
});
