/**
 * What a test needs from the machine, and the skip that says so.
 *
 * `needs(...)` takes the commands a test runs (`tmux`, `nc`, `ncat`,
 * `openssl`, `bash`, `sh`), `"python"` (the interpreter of `python.ts`),
 * `"ipv6"` (an IPv6 loopback), and the features of the operating system it
 * relies on (POSIX signals, AF_UNIX, `/proc`, ...), and returns the
 * `ignore` flag and the suffix for the test's name. Where something is
 * missing the test is ignored and its name says why, so the name on Linux
 * (where everything is) stays the bare sentence:
 *
 * - ` (ignored on windows: needs POSIX signals)` for a feature this OS lacks,
 * - ` (ignored: tmux not found)` for a command that is not on the PATH,
 * - ` (ignored: nc is not OpenBSD netcat)`, whose flags and messages the
 *   tests rely on.
 *
 * A behaviour only some systems have (a kernel's way of answering, a C
 * library's results) is named with {@linkcode onlyOn} or
 * {@linkcode notOn}, with its reason.
 *
 * @module
 */

import { hasIPv6 } from "./net.ts";
import { probe } from "./process.ts";
import { PYTHON } from "./python.ts";

/** The `ignore` flag of a test and the suffix its name gets. */
export interface Skip {
  /** `""` when the test runs, else ` (ignored...: why)`. */
  why: string;
  /** Whether the test is ignored. */
  ignore: boolean;
}

/** A requirement on the operating system, met or not here. */
export interface OsRequirement {
  /** Whether this system meets it. */
  met: boolean;
  /** What the test needs, as in "needs POSIX signals". */
  reason: string;
}

/** An operating system, as `Deno.build.os` names it. */
export type Os = typeof Deno.build.os;

/** A behaviour only the systems `os` have, needed for `reason`. */
export function onlyOn(os: readonly Os[], reason: string): OsRequirement {
  return { met: os.includes(Deno.build.os), reason };
}

/** A feature every system but `os` has, needed for `reason`. */
export function notOn(os: readonly Os[], reason: string): OsRequirement {
  return { met: !os.includes(Deno.build.os), reason };
}

/** The features of an operating system the tests name. */
const FEATURES: Record<
  Exclude<Feature, "ipv6" | "python">,
  OsRequirement
> = {
  /**
   * Sending SIGINT to a child, as Ctrl-C does, and its exit code 130:
   * Deno on Windows can only terminate a child (denoland/deno#29599).
   */
  signals: notOn(["windows"], "needs POSIX signals"),
  /** `AF_UNIX` sockets: Deno has no unix transport on Windows (denoland/deno#18236). */
  "unix-sockets": notOn(["windows"], "needs AF_UNIX sockets"),
  /** `/proc` and its `/proc/net` tables. */
  proc: onlyOn(["linux"], "needs /proc"),
  /**
   * A datagram to a port nobody listens on vanishes quietly. Windows
   * reports the ICMP "port unreachable" as a reset on the sender's next
   * receive instead.
   */
  "quiet-closed-port": notOn(
    ["windows"],
    "Windows reports a datagram to a closed port as a reset on the next receive",
  ),
  /** All of 127.0.0.0/8 on loopback, so 127.0.0.2 is another local host. */
  "loopback-range": onlyOn(
    ["linux"],
    "needs 127.0.0.2 on loopback, as Linux has all of 127.0.0.0/8",
  ),
};

/** A feature name for {@linkcode needs}. */
export type Feature =
  | "signals"
  | "unix-sockets"
  | "proc"
  | "quiet-closed-port"
  | "loopback-range"
  | "ipv6"
  | "python";

/**
 * Tells whether a command is on the PATH (with one of `PATHEXT`'s suffixes
 * on Windows).
 */
export function hasCommand(name: string): boolean {
  const windows = Deno.build.os === "windows";
  const dirs = (Deno.env.get("PATH") ?? "").split(windows ? ";" : ":");
  const suffixes = windows
    ? (Deno.env.get("PATHEXT") ?? ".EXE").split(";").concat("")
    : [""];
  for (const dir of dirs) {
    for (const suffix of suffixes) {
      try {
        if (Deno.statSync(`${dir}/${name}${suffix}`).isFile) return true;
      } catch {
        // Not there.
      }
    }
  }
  return false;
}

/**
 * Tells whether `nc` is OpenBSD netcat (Debian's netcat-openbsd), whose
 * flags and behaviour the tests rely on (`-C`, `-v` messages, quitting
 * when the peer closes).
 */
function isOpenBSDNetcat(): boolean {
  if (openBSDNetcat === undefined) {
    const help = probe("nc", ["-h"]);
    openBSDNetcat = help !== null &&
      /OpenBSD netcat/.test(help.stdout + help.stderr);
  }
  return openBSDNetcat;
}
let openBSDNetcat: boolean | undefined;

/**
 * The skip for a test that needs `requirements`: features of the system
 * (see {@linkcode Feature}), behaviours from {@linkcode onlyOn}, and
 * commands on the PATH. Every unmet system requirement is named; commands
 * are looked for only on a system that has the rest.
 */
export function needs(
  ...requirements: (Feature | OsRequirement | string)[]
): Skip {
  const os = Deno.build.os;
  const unmet: string[] = [];
  const commands: string[] = [];
  let ipv6 = false;
  for (const requirement of requirements) {
    if (typeof requirement === "object") {
      if (!requirement.met) unmet.push(requirement.reason);
    } else if (requirement in FEATURES) {
      const feature = FEATURES[requirement as keyof typeof FEATURES];
      if (!feature.met) unmet.push(feature.reason);
    } else if (requirement === "ipv6") {
      ipv6 = true;
    } else {
      commands.push(requirement === "python" ? PYTHON : requirement);
    }
  }
  if (unmet.length) {
    return { why: ` (ignored on ${os}: ${unmet.join("; ")})`, ignore: true };
  }
  if (ipv6 && !hasIPv6()) {
    return { why: " (ignored: no IPv6 loopback)", ignore: true };
  }
  const missing = commands.filter((command) => !hasCommand(command));
  if (missing.length) {
    return { why: ` (ignored: ${missing.join(", ")} not found)`, ignore: true };
  }
  if (commands.includes("nc") && !isOpenBSDNetcat()) {
    return { why: " (ignored: nc is not OpenBSD netcat)", ignore: true };
  }
  return { why: "", ignore: false };
}
