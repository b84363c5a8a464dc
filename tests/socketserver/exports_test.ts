/**
 * The socketserver module exports Python's `socketserver.__all__`, less
 * the forking names (Deno cannot fork), and nothing else at run time.
 *
 * @module
 */

import assert from "node:assert/strict";
import * as socketserver from "../../lib/socketserver/mod.ts";
import { needs } from "../_support/platform.ts";
import { pythonJson } from "../_support/python.ts";

const python = needs("python");

Deno.test(
  `lib/socketserver/mod.ts exports Python's socketserver.__all__ without the Forking names${python.why}`,
  { ignore: python.ignore },
  async () => {
    const all = await pythonJson<string[]>(
      'sorted(n for n in socketserver.__all__ if "Forking" not in n)',
      "import socketserver",
    );
    assert.deepEqual(Object.keys(socketserver).sort(), all);
  },
);
