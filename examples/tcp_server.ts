import * as socket from "@pysocket/pysocket";

const ip = Deno.args[0] ?? "0.0.0.0";
const port = Number(Deno.args[1] ?? 8888);
const sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
sk.bind([ip, port]);
sk.listen(5);
while (true) {
  const [conn, addr] = await sk.accept();
  console.log(`${addr[0]} connected`);
  await conn.sendall(socket.bytes("hello", "utf-8"));
  while (true) {
    const recv_data = socket.str(await conn.recv(1024), "utf-8");
    if (recv_data === "exit") {
      conn.close();
      console.log(`${addr[0]} disconnected`);
      break;
    } else {
      console.log(`client>${recv_data}`);
      const send_data = await socket.input("server>");
      await conn.sendall(socket.bytes(send_data, "utf-8"));
    }
  }
}
