/**
 * The `pysocket` command: the Python socket tutorial's four chat programs,
 * `pysocket tcp-server|tcp-client|udp-server|udp-client [options]`.
 * `pysocket --help` lists them; `pysocket <command> --help` shows a
 * command's options, examples and the permission flags it needs.
 *
 * Exit codes: 0 on success, 1 when something fails at run time (one line
 * on stderr names the cause and the fix), 2 for a bad command line, 130
 * after Ctrl-C.
 *
 * @example Chat with a server on this machine
 * ```sh
 * deno run --allow-net=127.0.0.1:8888 jsr:@pysocket/pysocket/cli tcp-client
 * ```
 *
 * @module
 */

import { main as tcpServer } from "./lib/cli/tcp_server.ts";
import { main as tcpClient } from "./lib/cli/tcp_client.ts";
import { main as udpServer } from "./lib/cli/udp_server.ts";
import { main as udpClient } from "./lib/cli/udp_client.ts";
import {
  type ChatIO,
  print,
  printError,
  reportUsage,
} from "./lib/cli/_chat.ts";
import { mainHelpText, VERSION } from "./lib/cli/_chat_args.ts";

export type {
  ChatEvent,
  ChatIO,
  DisconnectReason,
  TextSink,
} from "./lib/cli/_chat.ts";
export type { ByteReader } from "./lib/socket/_line_reader.ts";

const COMMANDS: Record<
  string,
  (args: string[], io?: ChatIO) => Promise<number>
> = {
  "tcp-server": tcpServer,
  "tcp-client": tcpClient,
  "udp-server": udpServer,
  "udp-client": udpClient,
};

/**
 * Runs the command line and returns the exit code.
 *
 * @param args The arguments, without the program name: a command and its options.
 * @param io Where to read and write; the process's own by default.
 * @returns The process exit code.
 *
 * @example
 * ```ts
 * import { main } from "@pysocket/pysocket/cli";
 * console.log(await main(["--version"])); // 0, after printing "pysocket 0.1.0"
 * ```
 *
 * @example A missing command is a usage error
 * ```ts
 * import { main } from "@pysocket/pysocket/cli";
 * let error = "";
 * console.log(await main([], { stderr: (text) => error += text })); // 2
 * ```
 */
export async function main(args: string[], io?: ChatIO): Promise<number> {
  try {
    const [command, ...rest] = args;
    const run = Object.hasOwn(COMMANDS, command ?? "")
      ? COMMANDS[command]
      : undefined;
    if (run) return await run(rest, io);
    if (command === "-h" || command === "--help") {
      print(mainHelpText(), io);
      return 0;
    }
    if (command === "--version") {
      print(`pysocket ${VERSION}\n`, io);
      return 0;
    }
    const choices = `give one of ${Object.keys(COMMANDS).join(", ")}`;
    reportUsage(
      command === undefined
        ? `missing command: ${choices}`
        : command.startsWith("-")
        ? `unknown option ${
          JSON.stringify(command)
        } before the command: ${choices}`
        : `unknown command ${JSON.stringify(command)}: ${choices}`,
      io,
    );
    return 2;
  } catch (err) {
    printError(
      `pysocket: unexpected failure: ${
        String(err instanceof Error ? err.message : err).replace(/\s+/g, " ")
      }\n`,
      io,
    );
    return 1;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
