/**
 * The automatic bind of an unbound UDP socket's first `sendto`: the
 * wildcard address as in Python when the permission covers it, the
 * loopback address when only loopback is granted. Scripts run in a temp
 * dir with exact `--allow-net` grants; the one that binds the wildcard runs
 * in a private network namespace (tests never listen on the wildcard where
 * the network can reach it).
 *
 * @module
 */

import assert from "node:assert/strict";
import { MOD_URL } from "../_support/paths.ts";
import { run } from "../_support/process.ts";
import { isolatedArgv, isolatedNet } from "../_support/isolated_net.ts";
import { tempDir } from "../_support/temp_dir.ts";
import { needs } from "../_support/platform.ts";

const ipv6 = needs("ipv6");

const SEND = `
import * as socket from "${MOD_URL}";
const family = Deno.args[0] === "6" ? socket.AF_INET6 : socket.AF_INET;
const host = family === socket.AF_INET6 ? "::1" : "127.0.0.1";
using server = socket.socket(family, socket.SOCK_DGRAM);
server.bind([host, 0]);
using client = socket.socket(family, socket.SOCK_DGRAM);
const before = client.getsockname();
const sent = await client.sendto(socket.bytes("ping"), server.getsockname());
const [data, from] = await server.recvfrom(64);
await server.sendto(data, from);
const [reply, replyFrom] = await client.recvfrom(64);
const local = client.getsockname();
console.log(JSON.stringify({
  before: [before[0], before[1]],
  sent,
  host: local[0],
  portKnown: local[1] > 0 && from[1] === local[1],
  reply: socket.str(reply),
  replyFromServer: replyFrom[1] === server.getsockname()[1],
}));
`;

async function send(
  flags: string[],
  family = "4",
  isolated = false,
): Promise<unknown> {
  using dir = tempDir();
  const script = dir.join("send.ts");
  Deno.writeTextFileSync(script, SEND);
  const argv = [
    Deno.execPath(),
    "run",
    "--no-prompt",
    "--unstable-net",
    ...flags,
    script,
    family,
  ];
  const [cmd, ...args] = isolated ? isolatedArgv(argv) : argv;
  const { code, stdout, stderr } = await run(cmd, args, { cwd: dir.path });
  assert.equal(code, 0, stderr);
  return JSON.parse(stdout);
}

Deno.test("with only --allow-net=127.0.0.1 granted, the first sendto() to loopback binds 127.0.0.1 and the reply comes back", async () => {
  assert.deepEqual(await send(["--allow-net=127.0.0.1"]), {
    before: ["0.0.0.0", 0],
    sent: 4,
    host: "127.0.0.1",
    portKnown: true,
    reply: "ping",
    replyFromServer: true,
  });
});

Deno.test({
  name:
    `when the wildcard is granted too, the first sendto() binds 0.0.0.0 as Python does, and getsockname() says so${isolatedNet.why}`,
  ignore: isolatedNet.ignore,
  async fn() {
    assert.deepEqual(
      await send(["--allow-net=127.0.0.1,0.0.0.0:0"], "4", true),
      {
        before: ["0.0.0.0", 0],
        sent: 4,
        host: "0.0.0.0",
        portKnown: true,
        reply: "ping",
        replyFromServer: true,
      },
    );
  },
});

Deno.test({
  name:
    `an AF_INET6 socket's first sendto() binds :: as Python does when [::] is granted${
      ipv6.why || isolatedNet.why
    }`,
  ignore: ipv6.ignore || isolatedNet.ignore,
  async fn() {
    assert.deepEqual(await send(["--allow-net=[::1],[::]:0"], "6", true), {
      before: ["::", 0],
      sent: 4,
      host: "::",
      portKnown: true,
      reply: "ping",
      replyFromServer: true,
    });
  },
});
