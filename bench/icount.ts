/**
 * `deno task bench --icount`: the instructions one round trip costs, raw
 * Deno beside pysocket, counted by valgrind's callgrind. Not part of the
 * test suite.
 *
 * Wall-clock ratios move with whatever else the machine runs; instruction
 * counts do not: the same binary, inputs and environment give the same
 * count, whatever the other core is doing. Each implementation runs the
 * microbenchmark's loop (`bench/micro.ts`) in a child process under
 * `valgrind --tool=callgrind` twice, with a small and a large number of
 * round trips; the difference divided by the difference in round trips is
 * the cost of one round trip, with start-up and set-up cancelled out.
 *
 * ```sh
 * deno task bench --icount                        # tcp-recv and udp, 1,000 and 5,000 round trips
 * deno task bench --icount --only=tcp-recv_into --small=500 --large=3000
 * ```
 *
 * Needs `valgrind` (Debian's package). Each child takes about half a
 * minute: valgrind runs a program some 50 times slower.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { WORKLOADS } from "./micro.ts";

type Impl = "deno-raw" | "pysocket" | "pysocket+timeout";
const IMPLS: readonly Impl[] = ["deno-raw", "pysocket", "pysocket+timeout"];

/** In the child: one pair, a warm-up, then `trips` round trips. */
async function child(workload: string, impl: Impl, trips: number) {
  const w = WORKLOADS.find((x) => x.name === workload);
  if (!w) throw new Error(`no workload ${workload}`);
  const pair = impl === "deno-raw"
    ? await w.raw()
    : await w.pysocket(impl === "pysocket" ? null : 30);
  try {
    await pair.loop(200);
    await pair.loop(trips);
  } finally {
    pair.close();
  }
}

/** Runs the child under callgrind and returns the instructions it executed. */
async function count(
  workload: string,
  impl: Impl,
  trips: number,
): Promise<number> {
  const { code, stderr } = await new Deno.Command("valgrind", {
    args: [
      "--tool=callgrind",
      "--callgrind-out-file=/dev/null",
      Deno.execPath(),
      "run",
      "--allow-net=127.0.0.1",
      "--unstable-net",
      new URL(import.meta.url).pathname,
      "--child",
      workload,
      impl,
      String(trips),
    ],
    stdout: "null",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(stderr);
  const found = /Collected : (\d+)/.exec(text);
  if (code !== 0 || !found) {
    throw new Error(
      `callgrind run failed (exit ${code}):\n${text.slice(-800)}`,
    );
  }
  return Number(found[1]);
}

/**
 * Counts, prints and writes `bench/results/icount.md`.
 *
 * @param args The command line after `--icount`.
 * @returns The exit code.
 */
export async function icount(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: {
      icount: { type: "boolean" },
      only: { type: "string", default: "tcp-recv,udp" },
      small: { type: "string", default: "1000" },
      large: { type: "string", default: "5000" },
      out: { type: "string", default: "icount" },
    },
  });
  const small = Number(values.small), large = Number(values.large);
  if (!(small >= 100 && large > small)) {
    console.error("bench --icount: --small >= 100 and --large > --small");
    return 2;
  }
  const names = values.only.split(",");
  const unknown = names.filter((n) => !WORKLOADS.some((w) => w.name === n));
  if (unknown.length) {
    console.error(`bench --icount: no workload named ${unknown.join(", ")}`);
    return 2;
  }
  const lines: string[] = [];
  for (const name of names) {
    const what = WORKLOADS.find((w) => w.name === name)!.what;
    const perTrip = new Map<Impl, number>();
    for (const impl of IMPLS) {
      const a = await count(name, impl, small);
      const b = await count(name, impl, large);
      perTrip.set(impl, (b - a) / (large - small));
      console.log(
        `  ${name} ${impl}: ${a} instructions at ${small} round trips, ${b} at ${large}: ${
          perTrip.get(impl)!.toFixed(0)
        } per round trip`,
      );
    }
    const raw = perTrip.get("deno-raw")!;
    for (const impl of IMPLS) {
      const n = perTrip.get(impl)!;
      lines.push(
        `| ${what} | ${impl} | ${n.toFixed(0)} | ${(n / raw).toFixed(2)}× |`,
      );
    }
  }
  const table = [
    "| workload | implementation | instructions per round trip | vs deno-raw |",
    "| --- | --- | ---: | ---: |",
    ...lines,
  ].join("\n");
  console.log(`\n${table}\n`);
  await Deno.writeTextFile(
    new URL(`./results/${values.out}.md`, import.meta.url),
    `# Instructions per round trip (\`deno task bench --icount\`)

Run ${
      new Date().toISOString()
    }, Deno ${Deno.build.os} ${Deno.build.arch} ${Deno.version.deno}, valgrind callgrind.
Each figure is (count at ${large} round trips - count at ${small}) / ${
      large - small
    }: the loop's own cost, start-up and set-up cancelled out. Lower is better; the ratio is pysocket / raw (1.00× is no cost).

${table}
`,
  );
  console.log(`Wrote bench/results/${values.out}.md`);
  return 0;
}

if (import.meta.main && Deno.args[0] === "--child") {
  const [, workload, impl, trips] = Deno.args;
  await child(workload, impl as Impl, Number(trips));
}
