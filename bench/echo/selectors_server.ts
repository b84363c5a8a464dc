/**
 * The `many-clients` workload's pysocket server: Python's selectors echo
 * server (as in `examples/selectors_echo_server.ts`, without its prints),
 * on 127.0.0.1 port 0. Prints `{"port": N}`, then echoes every connection
 * until killed.
 *
 * @module
 */
import * as socket from "../../mod.ts";
import * as selectors from "../../lib/selectors/mod.ts";

type Callback = (sock: socket.Socket) => Promise<void>;
const sel = new selectors.DefaultSelector<socket.Socket, Callback>();

async function accept(sock: socket.Socket) {
  const [conn] = await sock.accept();
  conn.setblocking(false);
  sel.register(conn, selectors.EVENT_READ, read);
}

async function read(conn: socket.Socket) {
  const data = await conn.recv(1000);
  if (data.length > 0) {
    await conn.sendall(data);
  } else {
    sel.unregister(conn);
    conn.close();
  }
}

const sock = socket.socket();
sock.bind(["127.0.0.1", 0]);
sock.listen(1024);
sock.setblocking(false);
sel.register(sock, selectors.EVENT_READ, accept);
console.log(
  JSON.stringify({ port: (sock.getsockname() as [string, number])[1] }),
);
while (true) {
  for (const [key] of await sel.select()) await key.data!(key.fileobj);
}
