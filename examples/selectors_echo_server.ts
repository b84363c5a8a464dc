/**
 * An echo server on `selectors`, ported from the example at the end of
 * Python's `selectors` documentation ("Examples": `sel =
 * selectors.DefaultSelector()`, `accept` and `read` callbacks). Its Python
 * twin is `tests/peers/selectors_echo_server.py`: the same program, with
 * the address taken from the command line instead of `localhost:1234`.
 *
 *     deno run --allow-net=127.0.0.1 examples/selectors_echo_server.ts 127.0.0.1 1234
 *
 * Port 0 lets the system choose; the line `listening on HOST:PORT` on
 * stderr says which.
 */
import * as socket from "@pysocket/pysocket";
import * as selectors from "@pysocket/pysocket/selectors";

type Callback = (sock: socket.Socket, mask: number) => Promise<void>;
const sel = new selectors.DefaultSelector<socket.Socket, Callback>();

async function accept(sock: socket.Socket, _mask: number) {
  const [conn, addr] = await sock.accept(); // Should be ready
  console.log("accepted", String(conn), "from", addr);
  conn.setblocking(false);
  sel.register(conn, selectors.EVENT_READ, read);
}

async function read(conn: socket.Socket, _mask: number) {
  const data = await conn.recv(1000); // Should be ready
  if (data.length > 0) {
    console.log("echoing", data.length, "bytes to", String(conn));
    await conn.sendall(data); // Hope it won't block
  } else {
    console.log("closing", String(conn));
    sel.unregister(conn);
    conn.close();
  }
}

const sock = socket.socket();
sock.bind([Deno.args[0] ?? "localhost", Number(Deno.args[1] ?? 1234)]);
sock.listen(100);
sock.setblocking(false);
sel.register(sock, selectors.EVENT_READ, accept);
const [host, port] = sock.getsockname() as [string, number];
console.error(`listening on ${host}:${port}`);

while (true) {
  const events = await sel.select();
  for (const [key, mask] of events) {
    const callback = key.data!;
    await callback(key.fileobj, mask);
  }
}
