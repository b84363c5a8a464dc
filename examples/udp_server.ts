import * as socket from "@pysocket/pysocket";

const ip = Deno.args[0] ?? "0.0.0.0";
const port = Number(Deno.args[1] ?? 8888);
const sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM);
sk.bind([ip, port]);
try {
  while (true) {
    const [recv_data, addr] = await sk.recvfrom(1024);
    console.log(`client>${socket.str(recv_data, "utf-8")}`);
    const send_data = await socket.input("server>");
    await sk.sendto(socket.bytes(send_data, "utf-8"), addr);
  }
} catch (err) {
  if (!(err instanceof socket.ConnectionResetError)) throw err;
}
sk.close();
