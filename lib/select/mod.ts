/**
 * Python's `select` module for Deno: wait on many sockets (and the
 * keyboard) at once, so the classic `select` servers and chat clients port
 * line by line.
 *
 * | Python | pysocket |
 * | --- | --- |
 * | `import select` | `import * as select from "jsr:@pysocket/pysocket/select"` |
 * | `r, w, x = select.select(inputs, outputs, inputs)` | `const [r, w, x] = await select.select(inputs, outputs, inputs)` |
 * | `select.select(inputs, [], [], 0.5)` | `await select.select(inputs, [], [], 0.5)` |
 * | `select.select([sys.stdin, sock], [], [])` | `await select.select([select.stdin, sock], [], [])` |
 * | `sys.stdin.readline()` | `await select.stdin.readline()` |
 * | `except ValueError:` | `catch (e) { if (e instanceof select.ValueError) ... }` |
 *
 * Nothing is lost by asking: to learn that a socket is readable, pysocket
 * starts the very read (or accept) the next `recv` (or `accept`) finishes,
 * and that call returns what it brought. See {@linkcode select} for what
 * readable and writable mean in Deno.
 *
 * Permissions: none of its own; the sockets need theirs.
 *
 * @example A select loop that echoes one client
 * ```ts
 * import assert from "node:assert/strict";
 * import * as socket from "@pysocket/pysocket";
 * import * as select from "@pysocket/pysocket/select";
 *
 * using server = socket.socket();
 * server.bind(["127.0.0.1", 0]);
 * server.listen();
 * using client = socket.socket();
 * await client.connect(server.getsockname());
 * await client.sendall(socket.bytes("hi", "utf-8"));
 *
 * const inputs: socket.Socket[] = [server];
 * let echoed = false;
 * while (!echoed) {
 *   const [readable] = await select.select(inputs, [], [], 5);
 *   for (const s of readable) {
 *     if (s === server) {
 *       inputs.push((await server.accept())[0]);
 *     } else {
 *       await s.sendall(await s.recv(1024));
 *       echoed = true;
 *     }
 *   }
 * }
 * assert.equal(socket.str(await client.recv(1024), "utf-8"), "hi");
 * for (const s of inputs) s.close();
 * ```
 *
 * @module
 */

export { select } from "./select.ts";
export { type Stdin, stdin } from "./stdin.ts";
export { ValueError } from "../socket/errors.ts";
