/**
 * The `select` and `selectors` examples (`examples/select_chat_server.ts`,
 * `examples/select_chat_client.ts`, `examples/selectors_echo_server.ts`)
 * against their Python twins in `tests/peers/`, in both directions: our
 * servers with python3 clients, python3 servers with our clients, and each
 * pairing held to the same transcript.
 *
 * @module
 */

import assert from "node:assert/strict";
import { needs } from "../_support/platform.ts";
import { Child } from "../_support/process.ts";
import { pythonPeer } from "../_support/python.ts";
import { listeningPort } from "../_support/pysocket.ts";

const HOST = "127.0.0.1";
const pythonBound = needs("python", "proc");

type Side = "deno" | "python";

/** How many times `pattern` (global) matches `text`. */
function count(text: string, pattern: RegExp): number {
  return text.match(pattern)?.length ?? 0;
}

/** Starts one example, ours (on exactly its permission) or python's. */
function start(side: Side, name: string, args: string[]): Child {
  if (side === "python") return pythonPeer(`${name}.py`, args);
  return new Child(Deno.execPath(), [
    "run",
    "--no-prompt",
    `--allow-net=${HOST}`,
    `examples/${name}.ts`,
    ...args,
  ]);
}

/** Starts a server example on port 0 and returns it with its port. */
async function startServer(
  side: Side,
  name: string,
): Promise<{ server: Child; port: number }> {
  const server = start(side, name, [HOST, "0"]);
  try {
    return { server, port: await listeningPort(server) };
  } catch (err) {
    await server[Symbol.asyncDispose]();
    throw err;
  }
}

/**
 * Three chat clients on one chat server: each sees the others enter, a
 * line from one reaches the two others, a client that leaves (end of its
 * input) leaves the room working, and the last client sees the server go.
 */
async function chat(serverSide: Side, clientSide: Side): Promise<void> {
  const { server, port } = await startServer(serverSide, "select_chat_server");
  await using _server = server;
  const clients: Child[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const client = start(clientSide, "select_chat_client", [
        HOST,
        String(port),
      ]);
      clients.push(client);
      await client.waitFor("stdout", "connected\n");
      // The clients already in the room hear of this one.
      for (const [k, other] of clients.slice(0, i).entries()) {
        await other.until(
          `${i - k} "entered the room" lines`,
          () =>
            count(other.stdout, /entered the room\n/g) >= i - k || undefined,
        );
      }
    }
    const [a, b, c] = clients;
    await a.write("héllo from a\n");
    await b.waitFor("stdout", "héllo from a\n");
    await c.waitFor("stdout", "héllo from a\n");
    if (clientSide === "deno") {
      // Two lines in one read of stdin: select.stdin holds the second for
      // the next select. (Python's client would sit on it: sys.stdin's
      // buffer took it, so select on fd 0 no longer sees it. Its lines go
      // one at a time.)
      await b.write("b here\nand again\n");
    } else {
      await b.write("b here\n");
      await a.waitFor("stdout", "b here\n");
      await b.write("and again\n");
    }
    await a.waitFor("stdout", "b here\nand again\n");
    await c.waitFor("stdout", "b here\nand again\n");
    assert.doesNotMatch(b.stdout, /b here/, "a client does not hear itself");
    // a leaves at the end of its input; the room goes on.
    await a.closeStdin();
    assert.equal((await a.finished()).code, 0, a.report());
    await c.write("still here\n");
    await b.waitFor("stdout", "still here\n");
    // The server goes: the clients say so and end.
    server.kill("SIGKILL");
    for (const client of [b, c]) {
      const done = await client.finished();
      assert.equal(done.code, 0, client.report());
      assert.match(done.stdout, /disconnected\n$/);
    }
  } finally {
    for (const client of clients) await client[Symbol.asyncDispose]();
  }
}

for (
  const [server, client] of [
    ["deno", "python"],
    ["python", "deno"],
    ["deno", "deno"],
    ["python", "python"],
  ] as [Side, Side][]
) {
  Deno.test({
    name:
      `select chat: ${server}'s server with three ${client} clients${pythonBound.why}`,
    ignore: pythonBound.ignore,
    fn: () => chat(server, client),
  });
}

for (const side of ["deno", "python"] as Side[]) {
  Deno.test({
    name:
      `selectors echo server (${side}) echoes 50 python3 clients connected at once${pythonBound.why}`,
    ignore: pythonBound.ignore,
    async fn() {
      const { server, port } = await startServer(side, "selectors_echo_server");
      await using _server = server;
      await using clients = pythonPeer("many_echo_clients.py", [
        HOST,
        String(port),
        "50",
      ]);
      const done = await clients.finished(30_000);
      assert.equal(done.code, 0, clients.report() + server.report());
      assert.equal(done.stdout, "ok 50\n");
      // Every connection was accepted and closed, none lost.
      await server.until(
        "50 closing lines",
        () => count(server.stdout, /^closing /gm) >= 50 || undefined,
      );
      assert.equal(count(server.stdout, /^accepted /gm), 50);
      assert.equal(server.exited, false, "the server keeps serving");
    },
  });
}
