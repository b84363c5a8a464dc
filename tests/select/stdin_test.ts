/**
 * `select.stdin`: select reports it readable when a whole line waits, and
 * every line goes to the next `stdin.readline()` or `input()`, none lost,
 * however the lines arrive (several in one write, one in several writes).
 *
 * @module
 */

import assert from "node:assert/strict";
import { Child } from "../_support/process.ts";

Deno.test("select on select.stdin loses no line, to readline() or to input()", async () => {
  await using child = new Child(Deno.execPath(), [
    "run",
    "--no-prompt",
    "tests/select/stdin_child.ts",
  ]);
  await child.write("one\ntwo\nthree\n");
  await child.waitFor("stdout", 'got "three\\n"\n');
  // A line in pieces is reported once it is whole.
  await child.write("fo");
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.doesNotMatch(child.stdout, /fo/);
  await child.write("ur\n");
  await child.waitFor("stdout", 'got "four\\n"\n');
  await child.closeStdin();
  const done = await child.finished();
  assert.equal(done.code, 0, child.report());
  assert.equal(
    done.stdout,
    'got "one\\n"\ngot "two\\n"\ngot "three\\n"\ngot "four\\n"\nEOF\n',
  );
});
