/**
 * The README's main command, `deno task demo`, runs a scripted TCP and UDP
 * chat between pysocket's own programs and shows both transcripts.
 */

import assert from "node:assert/strict";

Deno.test("deno task demo runs a TCP and a UDP chat on loopback and exits 0", async () => {
  const demo = new URL("../../scripts/demo.ts", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", "--allow-run", "--allow-read", demo],
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(60_000),
  }).output();
  const out = new TextDecoder().decode(stdout);
  assert.equal(code, 0, `${out}\n${new TextDecoder().decode(stderr)}`);
  for (const kind of ["TCP", "UDP"]) {
    const section = out.split(`== ${kind} chat ==`)[1].split("==")[0];
    assert.match(section, /client shows: {2}server>héllo 世界\n/);
    assert.match(section, /server shows: {2}client>hello from pysocket\n/);
    assert.match(section, /server status: listening on 127\.0\.0\.1:\d+\n/);
    assert.match(section, /client exit code: 0\n/);
  }
  assert.match(out, /demo finished: both chats worked/);
});
