/**
 * Builds the `pysocket` command-line program into standalone executables with
 * `deno compile`.
 *
 * ```sh
 * deno task compile              # dist/pysocket (dist/pysocket.exe on Windows)
 * deno task compile:all          # dist/pysocket-<target>[.exe] for all five targets
 * deno run -A scripts/compile.ts --all --print   # show the commands, run nothing
 * ```
 *
 * What the executable is granted, and why:
 *
 * - `--allow-net`, unscoped: the chat programs connect to and bind whatever
 *   host and port the user names at run time, so no list can be fixed here.
 * - `--unstable-net`: `Deno.listenDatagram` (UDP) is still unstable.
 * - `--no-prompt`: permissions are baked in at compile time, so the
 *   executable never asks; anything else is refused with an error.
 * - Nothing else: no file, environment, subprocess or system access. Unix
 *   domain sockets are left out on purpose. On Deno 2.9.6, `Deno.listen` and
 *   `Deno.connect` with `transport: "unix"` and `Deno.listenDatagram` with
 *   `transport: "unixpacket"` each need read and write access to the socket
 *   path as well as net access (`--allow-net` or `--allow-net=unix:<path>`).
 *   The path is only known at run time, so the narrowest grant that would work
 *   for every user is `--allow-read --allow-write` on the whole file system,
 *   which the four TCP and UDP chat programs do not need.
 *
 * `deno compile` embeds the program in `denort`, a runtime without the
 * tooling, which it downloads once per Deno version and target into
 * `$DENO_DIR/dl/release/v<version>/denort-<target>.zip`. Where that download
 * is impossible, set `DENORT_BIN` to a `denort` executable (Deno honours this
 * variable and then uses that runtime for every target, so it only makes
 * sense for the host target) or place the zip at that path.
 *
 * @module
 */

import { isAbsolute, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** The five targets `deno task compile:all` builds for. */
export const TARGETS: readonly string[] = [
  "x86_64-unknown-linux-gnu",
  "aarch64-unknown-linux-gnu",
  "x86_64-apple-darwin",
  "aarch64-apple-darwin",
  "x86_64-pc-windows-msvc",
];

/** The runtime flags baked into every executable; see the module doc. */
export const PERMISSION_FLAGS: readonly string[] = [
  "--allow-net",
  "--unstable-net",
  "--no-prompt",
];

/** Options for {@linkcode compileCommands}. */
export interface CompileOptions {
  /**
   * Build for every target in {@linkcode TARGETS}, each named
   * `pysocket-<target>[.exe]`, instead of one `pysocket` for the host.
   * @default {false}
   */
  all?: boolean;
  /**
   * Folder the executables are written to, relative to the repository root
   * or absolute.
   * @default {"dist"}
   */
  outDir?: string;
  /**
   * The target of the host build.
   * @default {Deno.build.target}
   */
  hostTarget?: string;
}

/** One `deno compile` run: its target, output path and arguments. */
export interface CompileCommand {
  /** The target triple passed to `--target`. */
  target: string;
  /** The executable written, as passed to `--output`. */
  output: string;
  /** Arguments after the `deno` executable, starting with `compile`. */
  args: string[];
}

/**
 * Lists the `deno compile` runs that build the executables.
 *
 * @param options Which targets to build and where to write them.
 * @returns One command per target, in the order of {@linkcode TARGETS}.
 */
export function compileCommands(
  options: CompileOptions = {},
): CompileCommand[] {
  const outDir = (options.outDir ?? "dist").replace(/[\\/]+$/, "");
  const hostTarget = options.hostTarget ?? Deno.build.target;
  const builds = options.all
    ? TARGETS.map((target) => ({ target, name: `pysocket-${target}` }))
    : [{ target: hostTarget, name: "pysocket" }];
  return builds.map(({ target, name }) => {
    const exe = target.includes("windows") ? ".exe" : "";
    const output = `${outDir}/${name}${exe}`;
    return {
      target,
      output,
      args: [
        "compile",
        ...PERMISSION_FLAGS,
        "--target",
        target,
        "--output",
        output,
        "cli.ts",
      ],
    };
  });
}

/**
 * Quotes one word for a POSIX shell, leaving plain words as they are.
 *
 * @param word The word to quote.
 * @returns The word, single-quoted when it holds anything but safe characters.
 */
export function shellQuote(word: string): string {
  return /^[\w@%+=:,./\\-]+$/.test(word)
    ? word
    : `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Where `deno compile` looks for, and caches, the runtime of one target.
 *
 * @param denoDir Deno's cache folder, as `deno info --json` reports it.
 * @param target A target triple such as `x86_64-unknown-linux-gnu`.
 * @returns The path of `denort-<target>.zip` for this Deno version.
 */
export function denortCachePath(denoDir: string, target: string): string {
  return `${denoDir}/dl/release/v${Deno.version.deno}/denort-${target}.zip`;
}

const USAGE = `Usage: deno task compile [--all] [--print] [--out-dir DIR]

Builds the pysocket executable from cli.ts with deno compile.

  --all          build for ${TARGETS.join(", ")}
  --print        print the deno compile commands without running them
  --out-dir DIR  write executables to DIR (default: dist)
  -h, --help     show this help`;

const DENORT_DOWNLOAD_FAILED =
  /denort-[\w-]+\.zip|Setting up base binary|Download could not be found/;

/** Tells whether a file exists, without throwing. */
async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `deno compile` once, streaming its output and remembering its stderr.
 *
 * @param command The command to run from the repository root.
 * @param env The environment for deno, replacing this process's.
 * @returns The exit code and everything deno wrote to stderr.
 */
async function runDeno(
  command: CompileCommand,
  env: Record<string, string>,
): Promise<{ code: number; stderr: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: command.args,
    cwd: ROOT,
    clearEnv: true,
    env,
    stdin: "null",
    stdout: "inherit",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  const decoder = new TextDecoder();
  for await (const chunk of child.stderr) {
    await Deno.stderr.write(chunk);
    stderr += decoder.decode(chunk, { stream: true });
  }
  const { code } = await child.status;
  return { code, stderr };
}

/**
 * Runs the compile script.
 *
 * @param args Command-line arguments, as in `Deno.args`.
 * @returns The exit code: 0 on success, 1 when a build failed, 2 on bad usage.
 */
export async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      strict: true,
      allowPositionals: false,
      options: {
        all: { type: "boolean", default: false },
        print: { type: "boolean", default: false },
        "out-dir": { type: "string", default: "dist" },
        help: { type: "boolean", short: "h", default: false },
      },
    }));
  } catch (error) {
    console.error(`error: ${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }

  // An empty DENORT_BIN counts as unset; deno itself would try to read "".
  const env = Deno.env.toObject();
  const denortBin = env.DENORT_BIN || undefined;
  if (!denortBin) delete env.DENORT_BIN;
  const commands = compileCommands({
    all: values.all,
    outDir: values["out-dir"],
  });
  const prefix = denortBin ? `DENORT_BIN=${shellQuote(denortBin)} ` : "";
  const lines = commands.map((command) =>
    prefix + [Deno.execPath(), ...command.args].map(shellQuote).join(" ")
  );

  if (values.print) {
    for (const line of lines) console.log(line);
    return 0;
  }
  if (denortBin && values.all) {
    console.error(
      "error: DENORT_BIN replaces the runtime for every target, so it can " +
        "only build for the host: unset it to build all targets",
    );
    return 1;
  }

  if (denortBin && !(await exists(denortBin))) {
    console.error(
      `error: DENORT_BIN is set to ${denortBin}, which does not exist`,
    );
    return 1;
  }

  const outDir = values["out-dir"];
  await Deno.mkdir(isAbsolute(outDir) ? outDir : join(ROOT, outDir), {
    recursive: true,
  });
  for (const [index, command] of commands.entries()) {
    console.log(lines[index]);
    const { code, stderr } = await runDeno(command, env);
    if (code === 0) continue;
    if (!denortBin && DENORT_DOWNLOAD_FAILED.test(stderr)) {
      console.error(
        `error: could not download the denort runtime for ${command.target} ` +
          "(deno compile needs it and cannot reach Deno's download server); " +
          "supply it with DENORT_BIN=/path/to/denort (host target only) or " +
          `put denort-${command.target}.zip in $DENO_DIR/dl/release/` +
          `v${Deno.version.deno}/`,
      );
    } else {
      console.error(
        `error: deno compile failed for ${command.target} with exit code ${code}`,
      );
    }
    return 1;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
