/**
 * Not a test: the child of `stdin_test.ts`. Waits on `select.stdin` with
 * select and prints each line it reads, in turn with `stdin.readline()`
 * and the socket module's `input()`, then `EOF` at the end of input.
 *
 * @module
 */

import { input } from "../../mod.ts";
import * as select from "../../lib/select/mod.ts";

for (let i = 0;; i++) {
  const [r] = await select.select([select.stdin], [], [], 10);
  if (r.length === 0) {
    console.log("timeout");
    Deno.exit(1);
  }
  let line: string;
  if (i % 2 === 0) {
    line = await select.stdin.readline();
    if (line === "") break;
  } else {
    try {
      line = `${await input()}\n`;
    } catch {
      break;
    }
  }
  console.log(`got ${JSON.stringify(line)}`);
}
console.log("EOF");
Deno.exit(0);
