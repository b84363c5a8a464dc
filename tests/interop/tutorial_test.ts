/**
 * The tutorial's four programs, ported in `examples/`, run against each
 * other and against the tutorial's own python3 programs on loopback with
 * piped stdin. Every pairing must print exactly what the python pair
 * prints. Also checks that README.md shows each example verbatim.
 *
 * The tutorial's servers print nothing when they start listening, so a
 * client is started once `/proc/net` shows the port bound: the chats run
 * on Linux, and are ignored elsewhere with that reason in their names.
 *
 * The tutorial's UDP client never binds: its first `sendto` binds the
 * wildcard, 0.0.0.0. Its code stays verbatim, so the tests that run it run
 * in a private network namespace ({@linkcode isolatedTest}): tests never
 * listen on the wildcard where the network can reach.
 *
 * @module
 */

import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { freePort, waitUntilBound } from "../_support/net.ts";
import { ROOT } from "../_support/paths.ts";
import { needs } from "../_support/platform.ts";
import { isolatedTest } from "../_support/isolated_net.ts";
import { Child } from "../_support/process.ts";
import { pythonChild } from "../_support/python.ts";

const HOST = "127.0.0.1";
const EXAMPLES = ["tcp_server", "tcp_client", "udp_server", "udp_client"];

/**
 * The tutorial's servers cannot say when they listen, so a client starts
 * once /proc/net shows the port bound (waitUntilBound).
 */
const bound = needs("proc");
const pythonBound = needs("python", "proc");

/** The tutorial's programs, unchanged except that ip and port come from argv. */
const PYTHON: Record<string, string> = {
  tcp_server: `
import socket, sys
ip = sys.argv[1]
port = int(sys.argv[2])
sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sk.bind((ip, port))
sk.listen(5)
while True:
    conn, addr = sk.accept()
    print("%s connected" % addr[0])
    conn.sendall(bytes("hello", encoding="utf-8"))
    while True:
        recv_data = str(conn.recv(1024), encoding="utf-8")
        if recv_data == "exit":
            conn.close()
            print("%s disconnected" % addr[0])
            break
        else:
            print("client>%s" % recv_data)
            send_data = input("server>")
            conn.sendall(bytes(send_data, encoding="utf-8"))
sk.close()
`,
  tcp_client: `
import socket, sys
ip = sys.argv[1]
port = int(sys.argv[2])
sk = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
sk.connect((ip, port))
while True:
    recv_data = str(sk.recv(1024), encoding="utf-8")
    print("server>%s" % recv_data)
    send_data = input("client>")
    sk.sendall(bytes(send_data, encoding="utf-8"))
    if send_data == "exit":
        sk.close()
        break
`,
  udp_server: `
import socket, sys
ip = sys.argv[1]
port = int(sys.argv[2])
sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
sk.bind((ip, port))
try:
    while True:
        recv_data, addr = sk.recvfrom(1024)
        print("client>%s" % str(recv_data, encoding="utf-8"))
        send_data = input("server>")
        sk.sendto(bytes(send_data, encoding="utf-8"), addr)
except ConnectionResetError:
    pass
sk.close()
`,
  udp_client: `
import socket, sys
ip = sys.argv[1]
port = int(sys.argv[2])
ip_port = (ip, port)
sk = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
while True:
    send_data = input("client>")
    sk.sendto(bytes(send_data, encoding="utf-8"), ip_port)
    if send_data == "exit":
        break
    data, addr = sk.recvfrom(1024)
    print("server>%s" % str(data, encoding="utf-8"))
sk.close()
`,
};

/**
 * The exact grants each example needs. The UDP server replies to whatever
 * port the client has, so it needs the whole host; the UDP client binds
 * itself to port 0 on its first sendto.
 */
function grant(name: string, port: number): string {
  switch (name) {
    case "udp_server":
      return `--allow-net=${HOST}`;
    case "udp_client":
      return `--allow-net=${HOST}:${port},${HOST}:0`;
    default:
      return `--allow-net=${HOST}:${port}`;
  }
}

type Side = "deno" | "python";

/** Starts one program of the tutorial, ours or python's. */
function start(side: Side, name: string, port: number): Child {
  const address = [HOST, String(port)];
  if (side === "python") {
    return pythonChild(PYTHON[name], address);
  }
  return new Child(Deno.execPath(), [
    "run",
    "--no-prompt",
    grant(name, port),
    `examples/${name}.ts`,
    ...address,
  ]);
}

/**
 * One conversation over TCP: the client says "hi", the server answers
 * "yo", the client says "exit". Returns both transcripts.
 */
async function tcpChat(server: Side, client: Side) {
  const port = freePort(HOST);
  await using srv = start(server, "tcp_server", port);
  // Stdin stays open, as at a terminal: the server would wait for more.
  await srv.write("yo\n");
  await waitUntilBound(port, "tcp", srv);
  await using cli = start(client, "tcp_client", port);
  await cli.write("hi\nexit\n");
  const done = await cli.finished();
  assert.equal(done.code, 0, cli.report());
  await srv.waitFor("stdout", "disconnected\n");
  assert.equal(srv.exited, false, "the tutorial's server keeps serving");
  return { server: srv.stdout, client: done.stdout };
}

const TCP_SERVER_SAYS =
  `${HOST} connected\nclient>hi\nserver>${HOST} disconnected\n`;
const TCP_CLIENT_SAYS = "server>hello\nclient>server>yo\nclient>";

Deno.test(
  `examples/tcp_server.ts and examples/tcp_client.ts chat and print what the tutorial's python pair prints${bound.why}`,
  { ignore: bound.ignore },
  async () => {
    const transcript = await tcpChat("deno", "deno");
    assert.equal(transcript.server, TCP_SERVER_SAYS);
    assert.equal(transcript.client, TCP_CLIENT_SAYS);
  },
);

Deno.test(
  `examples/tcp_client.ts chats with the tutorial's python3 TCP server${pythonBound.why}`,
  { ignore: pythonBound.ignore },
  async () => {
    const transcript = await tcpChat("python", "deno");
    assert.equal(transcript.server, TCP_SERVER_SAYS);
    assert.equal(transcript.client, TCP_CLIENT_SAYS);
  },
);

Deno.test(
  `the tutorial's python3 TCP client chats with examples/tcp_server.ts${pythonBound.why}`,
  { ignore: pythonBound.ignore },
  async () => {
    const transcript = await tcpChat("deno", "python");
    assert.equal(transcript.server, TCP_SERVER_SAYS);
    assert.equal(transcript.client, TCP_CLIENT_SAYS);
  },
);

/**
 * One conversation over UDP: "hi", answer "yo", then "exit", after which
 * the client ends and the server waits at its prompt.
 */
async function udpChat(server: Side, client: Side) {
  const port = freePort(HOST);
  await using srv = start(server, "udp_server", port);
  await srv.write("yo\n");
  await waitUntilBound(port, "udp", srv);
  await using cli = start(client, "udp_client", port);
  await cli.write("hi\nexit\n");
  const done = await cli.finished();
  assert.equal(done.code, 0, cli.report());
  await srv.waitFor("stdout", "client>exit\nserver>");
  assert.equal(srv.exited, false, "the tutorial's UDP server never stops");
  return { server: srv.stdout, client: done.stdout };
}

const UDP_SERVER_SAYS = "client>hi\nserver>client>exit\nserver>";
const UDP_CLIENT_SAYS = "client>server>yo\nclient>";

Deno.test(
  `examples/udp_server.ts and examples/udp_client.ts chat and print what the tutorial's python pair prints${bound.why}`,
  { ignore: bound.ignore },
  async () => {
    const transcript = await udpChat("deno", "deno");
    assert.equal(transcript.server, UDP_SERVER_SAYS);
    assert.equal(transcript.client, UDP_CLIENT_SAYS);
  },
);

Deno.test(
  `examples/udp_client.ts chats with the tutorial's python3 UDP server${pythonBound.why}`,
  { ignore: pythonBound.ignore },
  async () => {
    const transcript = await udpChat("python", "deno");
    assert.equal(transcript.server, UDP_SERVER_SAYS);
    assert.equal(transcript.client, UDP_CLIENT_SAYS);
  },
);

// The tutorial's UDP client binds the wildcard: isolated (see the module doc).
isolatedTest(
  import.meta.url,
  `the tutorial's python3 UDP client chats with examples/udp_server.ts${pythonBound.why}`,
  async () => {
    const transcript = await udpChat("deno", "python");
    assert.equal(transcript.server, UDP_SERVER_SAYS);
    assert.equal(transcript.client, UDP_CLIENT_SAYS);
  },
  pythonBound.ignore,
);

isolatedTest(
  import.meta.url,
  `the tutorial's python pair prints the transcripts the examples are held to${pythonBound.why}`,
  async () => {
    // Guards the expected transcripts above: they are python's, not ours.
    for (
      const [chat, server, client] of [
        [tcpChat, TCP_SERVER_SAYS, TCP_CLIENT_SAYS],
        [udpChat, UDP_SERVER_SAYS, UDP_CLIENT_SAYS],
      ] as const
    ) {
      const transcript = await chat("python", "python");
      assert.equal(transcript.server, server);
      assert.equal(transcript.client, client);
    }
  },
  pythonBound.ignore,
);

// README.md shows the examples verbatim.

const README = fileURLToPath(new URL("../../README.md", import.meta.url));

/** The contents of every ```ts block in the README. */
function tsBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

function readReadme(): string {
  try {
    return Deno.readTextFileSync(README);
  } catch {
    return "";
  }
}

const readme = readReadme();
const readmeShowsExamples = readme.includes("examples/") ||
  tsBlocks(readme).some((block) => block.includes("Deno.args"));

Deno.test({
  name: readmeShowsExamples
    ? "README.md shows each example's code verbatim in a ```ts block"
    : "README.md shows each example's code verbatim in a ```ts block (ignored: README.md has no examples section yet)",
  ignore: !readmeShowsExamples,
  fn() {
    const blocks = tsBlocks(readme);
    for (const name of EXAMPLES) {
      const code = Deno.readTextFileSync(`${ROOT}examples/${name}.ts`);
      assert.ok(
        blocks.includes(code),
        `README.md has no \`\`\`ts block equal to examples/${name}.ts`,
      );
    }
  },
});
