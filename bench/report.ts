/**
 * Summaries, goal checks and the Markdown/JSON report of a benchmark run.
 *
 * @module
 */

/** One measured figure of one run of one implementation. */
export interface Sample {
  /** Row key, e.g. `tcp-bulk` or `conns-5000`. */
  row: string;
  /** Implementation name, e.g. `pysocket`. */
  impl: string;
  /** Round number, from 1. */
  round: number;
  /** The measured value, in the row's unit. */
  value: number;
}

/** How a row is measured and shown. */
export interface RowSpec {
  /** Row key, e.g. `tcp-bulk`. */
  key: string;
  /** Title for the table, e.g. `TCP bulk`. */
  title: string;
  /** Unit of the values, e.g. `MB/s`. */
  unit: string;
  /** True when a larger value is better (throughput); false for time and memory. */
  higherIsBetter: boolean;
}

/** Median, minimum and maximum of one implementation in one row. */
export interface Cell {
  /** Implementation name. */
  impl: string;
  /** Median of the samples, or null if there is none. */
  median: number | null;
  /** Smallest sample. */
  min: number | null;
  /** Largest sample. */
  max: number | null;
  /** Every sample, in round order. */
  samples: number[];
  /** Performance relative to `deno-raw` (higher is better), or null. */
  vsDenoRaw: number | null;
  /** Performance relative to `python` (higher is better), or null. */
  vsPython: number | null;
  /** Why the implementation has no figure here, if it has none. */
  note?: string;
}

/** A pass/fail check of one of the project's performance goals. */
export interface Goal {
  /** What is checked. */
  name: string;
  /** The measured ratio, or null if a figure is missing. */
  ratio: number | null;
  /** The threshold the ratio must reach. */
  threshold: number;
  /** `PASS`, `FAIL`, or `N/A` when a figure is missing. */
  verdict: "PASS" | "FAIL" | "N/A";
}

/** Machine and tool versions a run was made on. */
export interface Machine {
  /** CPU model name from /proc/cpuinfo. */
  cpu: string;
  /** Logical cores. */
  cores: number;
  /** Operating system and kernel. */
  os: string;
  /** Tool versions by name (`deno`, `python`, `node`, `iperf3`, `pysocket`). */
  versions: Record<string, string>;
}

/** Everything a report is made of. */
export interface Report {
  /** ISO date of the run. */
  date: string;
  /** Where it ran. */
  machine: Machine;
  /** Options the run used. */
  options: Record<string, unknown>;
  /** Rows in display order, each with its cells. */
  rows: { spec: RowSpec; cells: Cell[] }[];
  /** Goal checks. */
  goals: Goal[];
  /** Skips and failures, one line each. */
  notes: string[];
  /** Wall time of the whole run in seconds. */
  elapsedSeconds: number;
}

/**
 * Median of a list of numbers.
 *
 * @param values The numbers.
 * @returns The median, or null for an empty list.
 */
export function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/**
 * Performance of `value` relative to `base`, where higher is better.
 *
 * @param spec The row, which says whether larger values are better.
 * @param value The figure compared.
 * @param base The baseline figure.
 * @returns The ratio, or null if either figure is missing.
 */
export function relative(
  spec: RowSpec,
  value: number | null,
  base: number | null,
): number | null {
  if (value === null || base === null || value <= 0 || base <= 0) return null;
  return spec.higherIsBetter ? value / base : base / value;
}

/**
 * Builds the cells of every row from the samples.
 *
 * @param specs The rows in display order.
 * @param impls The implementations in display order.
 * @param samples Every sample of the run.
 * @param notes Per `row/impl` reasons for a missing figure.
 * @returns The rows with their cells.
 */
export function summarize(
  specs: RowSpec[],
  impls: string[],
  samples: Sample[],
  notes: Map<string, string>,
): { spec: RowSpec; cells: Cell[] }[] {
  return specs.map((spec) => {
    const stats = impls.map((impl) => {
      const values = samples.filter((s) =>
        s.row === spec.key && s.impl === impl
      )
        .map((s) => s.value);
      return { impl, values, median: median(values) };
    });
    const base = (name: string) =>
      stats.find((s) => s.impl === name)?.median ?? null;
    const cells = stats
      .filter((s) => s.values.length > 0 || notes.has(`${spec.key}/${s.impl}`))
      .map((s): Cell => ({
        impl: s.impl,
        median: s.median,
        min: s.values.length ? Math.min(...s.values) : null,
        max: s.values.length ? Math.max(...s.values) : null,
        samples: s.values,
        vsDenoRaw: relative(spec, s.median, base("deno-raw")),
        vsPython: relative(spec, s.median, base("python")),
        note: notes.get(`${spec.key}/${s.impl}`),
      }));
    return { spec, cells };
  });
}

function cellOf(
  rows: Report["rows"],
  key: string,
  impl: string,
): Cell | undefined {
  return rows.find((r) => r.spec.key === key)?.cells.find((c) =>
    c.impl === impl
  );
}

function goal(name: string, ratio: number | null, threshold: number): Goal {
  const verdict = ratio === null ? "N/A" : ratio >= threshold ? "PASS" : "FAIL";
  return { name, ratio, threshold, verdict };
}

/**
 * Checks the project's performance goals against the summarized rows.
 *
 * @param rows The summarized rows.
 * @returns One goal per check.
 */
export function checkGoals(rows: Report["rows"]): Goal[] {
  const goals: Goal[] = [];
  for (const key of ["tcp-bulk", "tcp-pingpong", "udp-pingpong"]) {
    const title = rows.find((r) => r.spec.key === key)?.spec.title ?? key;
    goals.push(
      goal(
        `${title}: pysocket/deno-raw >= 0.95`,
        cellOf(rows, key, "pysocket")?.vsDenoRaw ?? null,
        0.95,
      ),
    );
  }
  goals.push(
    goal(
      "TCP bulk: pysocket+recv_into/deno-raw >= 0.95 (the allocation-free read)",
      cellOf(rows, "tcp-bulk", "pysocket+recv_into")?.vsDenoRaw ?? null,
      0.95,
    ),
  );
  // The relay row has no Python column: it is compared with deno-raw and socat.
  for (const { spec } of rows.filter((r) => r.spec.key !== "relay")) {
    goals.push(
      goal(
        `${spec.title}: pysocket vs python >= 1.00`,
        cellOf(rows, spec.key, "pysocket")?.vsPython ?? null,
        1.0,
      ),
    );
  }
  for (const { spec } of rows.filter((r) => r.spec.key.startsWith("conns-"))) {
    // Memory: "within 10%" of deno-raw means at most 1.10x its bytes per connection,
    // i.e. a relative performance of at least 1/1.10.
    goals.push(
      goal(
        `${spec.title}: pysocket memory/conn <= 1.10x deno-raw`,
        cellOf(rows, spec.key, "pysocket")?.vsDenoRaw ?? null,
        1 / 1.1,
      ),
    );
  }
  const withTimeout =
    cellOf(rows, "tcp-pingpong", "pysocket+timeout")?.median ?? null;
  const without = cellOf(rows, "tcp-pingpong", "pysocket")?.median ?? null;
  goals.push(goal(
    "TCP ping-pong: pysocket+timeout/pysocket >= 0.90",
    withTimeout !== null && without ? withTimeout / without : null,
    0.9,
  ));
  return goals;
}

function fmt(value: number | null, unit = ""): string {
  if (value === null) return "–";
  const digits = Math.abs(value) >= 100 ? 0 : Math.abs(value) >= 10 ? 1 : 2;
  const text = value.toLocaleString("en-US", {
    maximumFractionDigits: digits,
    minimumFractionDigits: digits,
  });
  return unit ? `${text} ${unit}` : text;
}

function ratio(value: number | null): string {
  return value === null ? "–" : `${value.toFixed(2)}×`;
}

/**
 * One line per goal, as printed on the console and in the Markdown.
 *
 * @param goals The checked goals.
 * @returns Lines like `PASS  TCP bulk: pysocket/deno-raw >= 0.95 (0.98)`.
 */
export function goalLines(goals: Goal[]): string[] {
  return goals.map((g) =>
    `${g.verdict.padEnd(4)}  ${g.name} (measured ${
      g.ratio === null ? "n/a" : g.ratio.toFixed(3)
    })`
  );
}

/**
 * Renders the report as Markdown.
 *
 * @param report The report.
 * @returns The Markdown text.
 */
export function renderMarkdown(report: Report): string {
  const m = report.machine;
  const v = m.versions;
  const out: string[] = [];
  out.push(`# pysocket benchmarks`, "");
  out.push(`Run ${report.date} on ${m.cpu}, ${m.cores} cores, ${m.os}.`);
  out.push(
    `Versions: deno ${v.deno}, python ${v.python}, node ${v.node}, iperf3 ${v.iperf3}, pysocket ${v.pysocket}.`,
  );
  const o = report.options;
  out.push(
    `Options: ${o.rounds} rounds of ${o.seconds} s, implementations interleaved; ` +
      `total ${
        report.elapsedSeconds.toFixed(0)
      } s. Client and server in separate processes on 127.0.0.1` +
      (typeof o.pinnedCpu === "number"
        ? `; for bulk and ping-pong both pinned to CPU ${o.pinnedCpu} (taskset), ` +
          `since a wake-up across vCPUs dominates loopback latency on small VMs.`
        : "."),
    "",
  );
  out.push(
    `Ratios are relative performance (higher is better): value/baseline for throughput, ` +
      `baseline/value for time and memory.`,
    "",
  );
  out.push(
    `| workload | implementation | median | min – max | vs deno-raw | vs python |`,
  );
  out.push(`| --- | --- | ---: | ---: | ---: | ---: |`);
  for (const { spec, cells } of report.rows) {
    for (const c of cells) {
      const med = c.median === null
        ? (c.note ?? "–")
        : fmt(c.median, spec.unit);
      out.push(
        `| ${spec.title} | ${c.impl} | ${med} | ${fmt(c.min)} – ${
          fmt(c.max)
        } | ${ratio(c.vsDenoRaw)} | ${ratio(c.vsPython)} |`,
      );
    }
  }
  out.push("", "## Goals", "", "```");
  out.push(...goalLines(report.goals));
  out.push("```");
  if (report.notes.length) {
    out.push("", "## Notes", "");
    for (const n of report.notes) out.push(`- ${n}`);
  }
  out.push("");
  return out.join("\n");
}

/**
 * Renders the console table: one line per implementation and row.
 *
 * @param report The report.
 * @returns The lines.
 */
export function renderConsole(report: Report): string[] {
  const lines: string[] = [];
  const head = `${"workload".padEnd(22)} ${"impl".padEnd(17)} ${
    "median".padStart(16)
  } ${"min – max".padStart(22)} ${"/deno-raw".padStart(9)} ${
    "/python".padStart(8)
  }`;
  lines.push(head, "-".repeat(head.length));
  for (const { spec, cells } of report.rows) {
    for (const c of cells) {
      const med = c.median === null
        ? (c.note ?? "–").slice(0, 60)
        : fmt(c.median, spec.unit);
      lines.push(
        `${spec.title.padEnd(22)} ${c.impl.padEnd(17)} ${med.padStart(16)} ${
          `${fmt(c.min)} – ${fmt(c.max)}`.padStart(22)
        } ${ratio(c.vsDenoRaw).padStart(9)} ${ratio(c.vsPython).padStart(8)}`,
      );
    }
  }
  return lines;
}
