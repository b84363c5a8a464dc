/**
 * The `many-clients` workload's clients, the same for every server: N raw
 * Deno connections at once (100 by default), each sending a small message
 * (64 bytes) and waiting for its echo, again and again, for the given
 * seconds (the first tenth unmeasured). Prints `{"value": R}`, the round
 * trips per second of all clients together.
 *
 *     deno run --allow-net=127.0.0.1 bench/echo/clients.ts PORT SECONDS [CLIENTS]
 *
 * @module
 */
const [portText, secondsText, clientsText = "100"] = Deno.args;
const port = Number(portText);
const seconds = Number(secondsText);
const clients = Number(clientsText);
const MESSAGE = 64;

const conns = await Promise.all(
  Array.from(
    { length: clients },
    () => Deno.connect({ hostname: "127.0.0.1", port }),
  ),
);
const warmupEnd = performance.now() + seconds * 100;
const end = performance.now() + seconds * 1000;
let counted = 0;

async function drive(conn: Deno.Conn, id: number) {
  const out = new Uint8Array(MESSAGE).fill(id % 251);
  const back = new Uint8Array(MESSAGE);
  while (performance.now() < end) {
    await conn.write(out);
    for (let n = 0; n < MESSAGE;) {
      const got = await conn.read(back.subarray(n));
      if (got === null) throw new Error(`client ${id}: the server closed`);
      n += got;
    }
    if (back[MESSAGE - 1] !== id % 251) {
      throw new Error(`client ${id}: another client's echo`);
    }
    if (performance.now() >= warmupEnd) counted++;
  }
  conn.close();
}

await Promise.all(conns.map(drive));
console.log(JSON.stringify({ value: counted / (seconds * 0.9) }));
