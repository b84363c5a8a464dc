/**
 * A chat client that waits on the keyboard and the socket at once with
 * `select`: what you type goes to the server, what the server sends is
 * printed. Ported from the classic chat client of Python networking
 * tutorials (`select.select([sys.stdin, sock], [], [])`, as in Python's
 * "Socket Programming HOWTO" pattern); its Python twin is
 * `tests/peers/select_chat_client.py`. Talk to
 * `examples/select_chat_server.ts`.
 *
 *     deno run --allow-net=127.0.0.1 examples/select_chat_client.ts 127.0.0.1 8888
 *
 * `select.stdin` stands for Python's `sys.stdin`. A select on it leaves a
 * read of stdin running, so the client ends with `Deno.exit()`, as the
 * Python one ends with `sys.exit()`.
 */
import * as socket from "@pysocket/pysocket";
import * as select from "@pysocket/pysocket/select";

const HOST = Deno.args[0] ?? "127.0.0.1";
const PORT = Number(Deno.args[1] ?? 8888);

const sock = await socket.create_connection([HOST, PORT]);
console.log("connected");
while (true) {
  const [readable] = await select.select([select.stdin, sock], [], []);
  for (const s of readable) {
    if (s === sock) {
      const data = await sock.recv(4096);
      if (data.length === 0) {
        console.log("disconnected");
        Deno.exit(0);
      }
      await Deno.stdout.write(data);
    } else {
      const line = await select.stdin.readline();
      if (line === "") {
        sock.close();
        Deno.exit(0);
      }
      await sock.sendall(socket.bytes(line, "utf-8"));
    }
  }
}
