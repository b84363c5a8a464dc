/**
 * The README's main command, `deno task demo`, runs a scripted TCP and UDP
 * chat between pysocket's own programs and shows both transcripts. The demo
 * stops its servers with SIGINT, so on Windows the test is ignored.
 *
 * @module
 */

import assert from "node:assert/strict";
import { ROOT } from "../_support/paths.ts";
import { needs, notOn } from "../_support/platform.ts";
import { run } from "../_support/process.ts";

const demo = needs(
  notOn(
    ["windows"],
    "needs POSIX signals: scripts/demo.ts stops its servers with SIGINT",
  ),
);

Deno.test(
  `deno task demo runs a TCP and a UDP chat on loopback and exits 0${demo.why}`,
  { ignore: demo.ignore },
  async () => {
    const { code, stdout: out, stderr } = await run(Deno.execPath(), [
      "run",
      "--no-prompt",
      "--allow-run",
      "--allow-read",
      `${ROOT}scripts/demo.ts`,
    ], { timeoutMs: 60_000 });
    assert.equal(code, 0, `${out}\n${stderr}`);
    for (const kind of ["TCP", "UDP"]) {
      const section = out.split(`== ${kind} chat ==`)[1].split("==")[0];
      assert.match(section, /client shows: {2}server>héllo 世界\n/);
      assert.match(section, /server shows: {2}client>hello from pysocket\n/);
      assert.match(section, /server status: listening on 127\.0\.0\.1:\d+\n/);
      assert.match(section, /client exit code: 0\n/);
    }
    assert.match(out, /demo finished: both chats worked/);
  },
);
