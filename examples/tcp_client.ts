import * as socket from "@pysocket/pysocket";

const ip = Deno.args[0] ?? "127.0.0.1";
const port = Number(Deno.args[1] ?? 8888);
const sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM);
await sk.connect([ip, port]);
while (true) {
  const recv_data = socket.str(await sk.recv(1024), "utf-8");
  console.log(`server>${recv_data}`);
  const send_data = await socket.input("client>");
  await sk.sendall(socket.bytes(send_data, "utf-8"));
  if (send_data === "exit") {
    sk.close();
    break;
  }
}
