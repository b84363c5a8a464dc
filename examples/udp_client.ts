import * as socket from "@pysocket/pysocket";

const ip = Deno.args[0] ?? "127.0.0.1";
const port = Number(Deno.args[1] ?? 8888);
const ip_port: socket.Address = [ip, port];
const sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
while (true) {
  const send_data = await socket.input("client>");
  await sk.sendto(socket.bytes(send_data, "utf-8"), ip_port);
  if (send_data === "exit") {
    break;
  }
  const [data] = await sk.recvfrom(1024);
  console.log(`server>${socket.str(data, "utf-8")}`);
}
sk.close();
