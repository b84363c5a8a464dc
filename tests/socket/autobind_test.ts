/**
 * The automatic bind of an unbound UDP socket's first `sendto`: the
 * wildcard address as in Python when the permission covers it, the
 * loopback address when only loopback is granted. Scripts run in a temp
 * dir with exact `--allow-net` grants.
 *
 * @module
 */

import assert from "node:assert/strict";
import { MOD_URL } from "../_support/paths.ts";
import { run } from "../_support/process.ts";
import { tempDir } from "../_support/temp_dir.ts";

const SEND = `
import * as socket from "${MOD_URL}";
const family = Deno.args[0] === "6" ? socket.AF_INET6 : socket.AF_INET;
const host = family === socket.AF_INET6 ? "::1" : "127.0.0.1";
using server = socket.socket(family, socket.SOCK_DGRAM);
server.bind([host, 0]);
using client = socket.socket(family, socket.SOCK_DGRAM);
await client.sendto(socket.bytes("ping"), server.getsockname());
const [data, from] = await server.recvfrom(64);
await server.sendto(data, from);
const [reply] = await client.recvfrom(64);
console.log(JSON.stringify([client.getsockname()[0], socket.str(reply), from[1] === client.getsockname()[1]]));
`;

async function send(flags: string[], family = "4"): Promise<unknown> {
  using dir = tempDir();
  const script = dir.join("send.ts");
  Deno.writeTextFileSync(script, SEND);
  const { code, stdout, stderr } = await run(
    Deno.execPath(),
    ["run", "--no-prompt", "--unstable-net", ...flags, script, family],
    { cwd: dir.path },
  );
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout);
}

Deno.test("with only --allow-net=127.0.0.1 granted, the first sendto() to loopback binds 127.0.0.1 and the reply comes back", async () => {
  assert.deepEqual(await send(["--allow-net=127.0.0.1"]), [
    "127.0.0.1",
    "ping",
    true,
  ]);
});

Deno.test("when the wildcard is granted too, the first sendto() binds 0.0.0.0 as Python does, and getsockname() says so", async () => {
  assert.deepEqual(await send(["--allow-net=127.0.0.1,0.0.0.0:0"]), [
    "0.0.0.0",
    "ping",
    true,
  ]);
});
