/**
 * `deno task demo`: a scripted TCP chat and UDP chat between pysocket's own
 * server and client on loopback, with the transcript of each side.
 *
 * Each program runs in its own process with only the network permission it
 * needs (`--allow-net=127.0.0.1`), as a user would run it.
 *
 * @module
 */

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const MESSAGES = ["hello from pysocket", "héllo 世界", "exit"];

/** Collects a stream's text, line by line, into `lines`. */
async function collect(
  stream: ReadableStream<Uint8Array>,
  lines: string[],
  onLine?: (line: string) => void,
): Promise<void> {
  const decoder = new TextDecoder();
  let rest = "";
  for await (const chunk of stream) {
    const parts = (rest + decoder.decode(chunk, { stream: true })).split("\n");
    rest = parts.pop()!;
    for (const line of parts) {
      lines.push(line);
      onLine?.(line);
    }
  }
  if (rest) lines.push(rest);
}

function spawn(args: string[]): Deno.ChildProcess {
  return new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--unstable-net",
      "--allow-net=127.0.0.1",
      CLI,
      ...args,
    ],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs one server and one scripted client, and prints both transcripts. */
async function chat(kind: "tcp" | "udp"): Promise<boolean> {
  console.log(`\n== ${kind.toUpperCase()} chat ==`);
  const server = spawn([
    `${kind}-server`,
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--echo",
  ]);
  server.stdin.close();
  const serverOut: string[] = [], serverErr: string[] = [];
  const { promise: port, resolve } = Promise.withResolvers<string | null>();
  const serverDone = Promise.all([
    collect(server.stdout, serverOut),
    collect(server.stderr, serverErr, (line) => {
      const match = /:(\d+)\b/.exec(line);
      if (match) resolve(match[1]);
    }),
  ]).then(() => resolve(null));
  const timer = setTimeout(() => resolve(null), 10_000);
  const found = await port;
  clearTimeout(timer);
  if (!found) {
    server.kill();
    await server.status;
    await serverDone;
    console.log(serverErr.join("\n"));
    return false;
  }
  const client = spawn([
    `${kind}-client`,
    "--host",
    "127.0.0.1",
    "--port",
    found,
  ]);
  const writer = client.stdin.getWriter();
  await writer.write(new TextEncoder().encode(MESSAGES.join("\n") + "\n"));
  await writer.close();
  const clientOut: string[] = [], clientErr: string[] = [];
  await Promise.all([
    collect(client.stdout, clientOut),
    collect(client.stderr, clientErr),
  ]);
  const { code } = await client.status;
  server.kill("SIGINT");
  await server.status;
  await serverDone;
  console.log(
    `client typed:  ${MESSAGES.map((m) => JSON.stringify(m)).join(", ")}`,
  );
  for (const line of clientOut) console.log(`client shows:  ${line}`);
  for (const line of clientErr) console.log(`client status: ${line}`);
  for (const line of serverOut) console.log(`server shows:  ${line}`);
  for (const line of serverErr) console.log(`server status: ${line}`);
  console.log(`client exit code: ${code}`);
  return code === 0;
}

if (import.meta.main) {
  const ok = (await chat("tcp")) && (await chat("udp"));
  console.log(ok ? "\ndemo finished: both chats worked" : "\ndemo failed");
  Deno.exit(ok ? 0 : 1);
}
