/**
 * Command-line options, declared once: each program lists the
 * {@linkcode OptionSpec}s it takes (see `_common_options.ts`), and from
 * that list come the `parseArgs` configuration, the checks of each value,
 * the rule of which modes an option applies to, and the Options section
 * of `--help`.
 *
 * @module
 */

import { parseArgs } from "node:util";

/** A bad command line or option value: reported in one line, exit code 2. */
export class UsageError extends Error {
  /**
   * Creates the error.
   *
   * @param message What is wrong and how to fix it.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/**
 * The ways a program runs, chosen by `--room`, `--stream` and `--echo`;
 * `relay` and `probe` are their programs' one mode.
 */
export type Mode =
  | "chat"
  | "echo"
  | "room"
  | "stream"
  | "stream-echo"
  | "relay"
  | "probe";

/** How each mode is named in messages. */
export const MODE_FLAGS: Record<Mode, string> = {
  chat: "the chat",
  echo: "--echo",
  room: "--room",
  stream: "--stream",
  "stream-echo": "--stream --echo",
  relay: "relay",
  probe: "probe",
};

/** One option of a program. */
export interface OptionSpec {
  /** The long name, `--name`. */
  name: string;
  /** A one-letter alias, `-x`. */
  short?: string;
  /**
   * A flag, a value, a value that may be repeated (`--allow a --allow b`),
   * or a positional argument (`pysocket relay LISTEN TARGET`), taken in
   * the order the program declares them, before or after the options.
   */
  kind: "flag" | "value" | "list" | "argument";
  /** The placeholder shown in `--help`, such as `SECONDS`. */
  value?: string;
  /** The `--help` text: a line, or several. */
  help: string;
  /** The field of the options object it sets (its camelCase name). */
  key: string;
  /** For a flag: the value it stores in `key` (`-4` stores `family: 4`). */
  set?: unknown;
  /** The left column of its `--help` row, when not `--name VALUE`. */
  label?: string;
  /**
   * Checks and converts a value, from the command line (a string) or from
   * code (already typed); throws {@linkcode UsageError} naming `--name`.
   */
  check?: (value: unknown, flag: string) => unknown;
  /** The modes it applies to; all when left out. */
  modes?: readonly Mode[];
  /** What to say when it is given in another mode. */
  elsewhere?: string;
}

/** What {@linkcode parseOptions} found. */
export type Parsed =
  | { kind: "run"; options: Record<string, unknown> }
  | { kind: "help" }
  | { kind: "version" };

/** How messages name an option: `-4` for a short-only flag, else `--name`. */
function name(spec: OptionSpec): string {
  return spec.short && spec.set !== undefined
    ? `-${spec.short}`
    : `--${spec.name}`;
}

/** Turns a `parseArgs` message into one lower-case line. */
function oneLine(message: string): string {
  const line = message.replace(/\s*\n\s*/g, " ").trim();
  return line.charAt(0).toLowerCase() + line.slice(1);
}

/**
 * Parses a program's arguments (everything after its command name) into
 * an options object, keyed as the specs say, values still unchecked.
 *
 * @param specs The program's options.
 * @param args The arguments.
 * @returns What to do.
 * @throws {UsageError} For unknown options and missing values.
 */
export function parseOptions(
  specs: readonly OptionSpec[],
  args: string[],
): Parsed {
  const config: Record<
    string,
    { type: "string" | "boolean"; short?: string; multiple?: boolean }
  > = {
    help: { type: "boolean", short: "h" },
    version: { type: "boolean" },
  };
  const positional = specs.filter((spec) => spec.kind === "argument");
  for (const spec of specs) {
    if (spec.kind === "argument") continue;
    config[spec.name] = {
      type: spec.kind === "flag" ? "boolean" : "string",
      ...(spec.short ? { short: spec.short } : {}),
      ...(spec.kind === "list" ? { multiple: true } : {}),
    };
  }
  let values: Record<string, unknown>;
  let positionals: string[];
  try {
    // Options may come before or after the positional arguments.
    ({ values, positionals } = parseArgs({
      args,
      strict: true,
      allowPositionals: positional.length > 0,
      options: config,
    }));
  } catch (err) {
    throw new UsageError(oneLine((err as Error).message));
  }
  if (values.help) return { kind: "help" };
  if (values.version) return { kind: "version" };
  const options: Record<string, unknown> = {};
  if (positionals.length > positional.length) {
    throw new UsageError(
      `unexpected argument ${
        JSON.stringify(positionals[positional.length])
      }: give ${positional.map((spec) => spec.value).join(" ")}`,
    );
  }
  positional.forEach((spec, i) => {
    if (i < positionals.length) options[spec.key] = positionals[i];
  });
  const setBy: Record<string, OptionSpec> = {};
  for (const spec of specs) {
    const value = values[spec.name];
    if (value === undefined) continue;
    if (spec.set !== undefined) {
      const other = setBy[spec.key];
      if (other) {
        throw new UsageError(
          `${name(other)} and ${name(spec)} exclude each other: give one`,
        );
      }
      setBy[spec.key] = spec;
      options[spec.key] = spec.set;
    } else {
      options[spec.key] = value;
    }
  }
  return { kind: "run", options };
}

/**
 * Checks every option given against its spec: its value, and whether it
 * applies to the mode. Unknown keys of an options object given in code
 * are refused too.
 *
 * @param specs The program's options.
 * @param given The options, from {@linkcode parseOptions} or from code.
 * @param mode The mode the options chose.
 * @returns The checked values, by key.
 * @throws {UsageError} Naming the option and the fix.
 */
export function checkOptions(
  specs: readonly OptionSpec[],
  given: Record<string, unknown>,
  mode: Mode,
): Record<string, unknown> {
  const byKey = new Map<string, OptionSpec>();
  for (const spec of specs) if (!byKey.has(spec.key)) byKey.set(spec.key, spec);
  const checked: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined || value === null) continue;
    const spec = byKey.get(key);
    if (!spec) throw new UsageError(`unknown option ${JSON.stringify(key)}`);
    const flag = `--${spec.name}`;
    if (spec.kind === "flag" && value === false) continue;
    if (spec.modes && !spec.modes.includes(mode)) {
      const list = spec.modes.map((m) => MODE_FLAGS[m]);
      throw new UsageError(
        `${flag} applies to ${
          list.length > 1
            ? `${list.slice(0, -1).join(", ")} and ${list.at(-1)}`
            : list[0]
        }${spec.elsewhere ? `; ${spec.elsewhere}` : ""}`,
      );
    }
    checked[key] = spec.check ? spec.check(value, flag) : value;
  }
  return checked;
}

/**
 * The Options section of `--help`: each option with its value and text,
 * aligned.
 *
 * @param specs The program's options.
 * @returns Lines ending with a newline, help and version included.
 */
export function optionsHelp(specs: readonly OptionSpec[]): string {
  const rows: [string, string][] = specs.filter((spec) => spec.help !== "")
    .map((spec) => [
      spec.label ??
        `${spec.short ? `-${spec.short}, ` : ""}--${spec.name}${
          spec.value ? ` ${spec.value}` : ""
        }`,
      spec.help,
    ]);
  rows.push(["-h, --help", "show this help"], [
    "--version",
    "show the version",
  ]);
  return rows.map(([left, text]) => {
    const [first, ...rest] = text.split("\n");
    const pad = " ".repeat(21);
    const head = left.length < 19
      ? `  ${left.padEnd(19)}${first}`
      : `  ${left}\n${pad}${first}`;
    return [head, ...rest.map((line) => pad + line)].join("\n") + "\n";
  }).join("");
}
