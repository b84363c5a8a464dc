/**
 * The `many-clients` workload's raw Deno server: one task per connection,
 * `conn.read` and `conn.write`, on 127.0.0.1 port 0. Prints `{"port": N}`,
 * then echoes every connection until killed.
 *
 * @module
 */
const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
console.log(JSON.stringify({ port: (listener.addr as Deno.NetAddr).port }));

async function echo(conn: Deno.Conn) {
  const buf = new Uint8Array(1000);
  try {
    for (let n; (n = await conn.read(buf)) !== null;) {
      for (let at = 0; at < n;) at += await conn.write(buf.subarray(at, n));
    }
  } catch {
    // A client gone: its problem.
  } finally {
    conn.close();
  }
}

for await (const conn of listener) echo(conn);
