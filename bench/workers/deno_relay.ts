/**
 * A port forwarder on the raw Deno runtime APIs (`Deno.listen`,
 * `Deno.connect`, `conn.read`, `conn.write`, `closeWrite`): the baseline
 * `pysocket relay` is measured against in the `relay` workload.
 *
 * Run as `deno run --allow-net=127.0.0.1 bench/workers/deno_relay.ts
 * <target port>`; prints `{"port": N}` once it listens on 127.0.0.1.
 *
 * @module
 */
import { armLifetimeGuard, BULK_CHUNK, emit } from "./_common.ts";

const HOST = "127.0.0.1";

/** Copies `from` to `to` until its end, then shuts down `to`'s writing. */
async function copy(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(BULK_CHUNK);
  try {
    for (;;) {
      const n = await from.read(buf);
      if (n === null) break;
      for (let off = 0; off < n;) off += await to.write(buf.subarray(off, n));
    }
    await to.closeWrite();
  } catch {
    // A side went away: the session ends below.
  }
}

async function session(client: Deno.Conn, port: number): Promise<void> {
  let target: Deno.Conn | undefined;
  try {
    target = await Deno.connect({ hostname: HOST, port });
    await Promise.all([copy(client, target), copy(target, client)]);
  } catch {
    // The target refused.
  } finally {
    target?.close();
    client.close();
  }
}

async function main(): Promise<void> {
  armLifetimeGuard();
  const port = Number(Deno.args[0]);
  using listener = Deno.listen({ hostname: HOST, port: 0 });
  emit({ port: (listener.addr as Deno.NetAddr).port });
  for await (const client of listener) session(client, port);
}

if (import.meta.main) await main();
