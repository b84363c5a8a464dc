/**
 * A multi-client chat server on `select`: every line a client sends goes to
 * all the others. Ported from the classic `select`-based chat server of
 * Python networking tutorials (the pattern of Python's "Socket Programming
 * HOWTO", section "Non-blocking Sockets", and of Doug Hellmann's "select —
 * Wait for I/O Efficiently" in Python Module of the Week); its Python twin
 * is `tests/peers/select_chat_server.py`.
 *
 *     deno run --allow-net=127.0.0.1 examples/select_chat_server.ts 127.0.0.1 8888
 *
 * Port 0 lets the system choose; the line `listening on HOST:PORT` on
 * stderr says which.
 */
import * as socket from "@pysocket/pysocket";
import * as select from "@pysocket/pysocket/select";

const HOST = Deno.args[0] ?? "127.0.0.1";
const PORT = Number(Deno.args[1] ?? 8888);

const server = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1);
server.bind([HOST, PORT]);
server.listen(10);
const [host, port] = server.getsockname() as [string, number];
console.error(`listening on ${host}:${port}`);

const sockets: socket.Socket[] = [server];

async function broadcast(sender: socket.Socket, data: Uint8Array) {
  for (const sock of [...sockets]) {
    if (sock === server || sock === sender) continue;
    try {
      await sock.sendall(data);
    } catch {
      sockets.splice(sockets.indexOf(sock), 1);
      sock.close();
    }
  }
}

while (true) {
  const [readable] = await select.select(sockets, [], []);
  for (const s of readable) {
    if (s === server) {
      const [conn, addr] = await server.accept();
      sockets.push(conn);
      const [ip, from] = addr as [string, number];
      await broadcast(
        conn,
        socket.bytes(`[${ip}:${from}] entered the room\n`, "utf-8"),
      );
    } else {
      let data: Uint8Array;
      try {
        data = await s.recv(4096);
      } catch {
        data = new Uint8Array(0);
      }
      if (data.length > 0) {
        await broadcast(s, data);
      } else {
        sockets.splice(sockets.indexOf(s), 1);
        s.close();
      }
    }
  }
}
