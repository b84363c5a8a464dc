/**
 * Prints the functions that cost the most in a V8 `.cpuprofile` (as written
 * by `deno run --cpu-prof`): self time, and total time for functions in
 * the project's own files.
 *
 * ```sh
 * deno run --allow-read bench/profile_top.ts PROFILE.cpuprofile [--top=25]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";

/** The parts of a V8 CPU profile this script reads. */
export interface CpuProfile {
  /** Call-tree nodes. */
  nodes: {
    id: number;
    callFrame: {
      functionName: string;
      url: string;
      lineNumber: number;
    };
    children?: number[];
  }[];
  /** Node id of each sample. */
  samples: number[];
  /** Microseconds since the previous sample, per sample. */
  timeDeltas: number[];
}

/** Time spent in one function, in microseconds. */
export interface FunctionCost {
  /** `name (file:line)`. */
  key: string;
  /** Time with this function on top of the stack. */
  self: number;
  /** Time with this function anywhere on the stack. */
  total: number;
}

function keyOf(frame: CpuProfile["nodes"][number]["callFrame"]): string {
  const name = frame.functionName || "(anonymous)";
  if (!frame.url) return name;
  const file = frame.url.replace(/^.*\/(work\/main|ext:)\/?/, "");
  return `${name} (${file}:${frame.lineNumber + 1})`;
}

/**
 * Adds up self and total time per function.
 *
 * @param profile The parsed profile.
 * @returns The costs, most self time first, and the profile's total time.
 */
export function costs(
  profile: CpuProfile,
): { costs: FunctionCost[]; totalUs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of profile.nodes) {
    for (const c of n.children ?? []) parent.set(c, n.id);
  }
  const table = new Map<string, FunctionCost>();
  const entry = (key: string) => {
    let e = table.get(key);
    if (!e) table.set(key, e = { key, self: 0, total: 0 });
    return e;
  };
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const dt = profile.timeDeltas[i] ?? 0;
    totalUs += dt;
    let id: number | undefined = profile.samples[i];
    const seen = new Set<string>();
    let first = true;
    while (id !== undefined) {
      const node = byId.get(id);
      if (!node) break;
      const key = keyOf(node.callFrame);
      if (first) entry(key).self += dt;
      first = false;
      if (!seen.has(key)) {
        seen.add(key);
        entry(key).total += dt;
      }
      id = parent.get(id);
    }
  }
  return {
    costs: [...table.values()].sort((a, b) => b.self - a.self),
    totalUs,
  };
}

if (import.meta.main) {
  const { values, positionals } = parseArgs({
    args: Deno.args,
    allowPositionals: true,
    options: { top: { type: "string", default: "25" } },
  });
  const top = Number(values.top);
  for (const file of positionals) {
    const { costs: list, totalUs } = costs(
      JSON.parse(await Deno.readTextFile(file)),
    );
    const pct = (us: number) =>
      `${(100 * us / totalUs).toFixed(1).padStart(5)}%`;
    console.log(`\n${file}: ${(totalUs / 1e6).toFixed(2)} s sampled`);
    console.log("  self%  total%  function");
    for (const c of list.slice(0, top)) {
      console.log(`  ${pct(c.self)} ${pct(c.total)}  ${c.key}`);
    }
    const own = list.filter((c) => /lib\/|bench\/|mod\.ts/.test(c.key))
      .sort((a, b) => b.total - a.total).slice(0, top);
    console.log("  -- project functions by total time --");
    for (const c of own) {
      console.log(`  ${pct(c.self)} ${pct(c.total)}  ${c.key}`);
    }
  }
}
