import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";

/** One measured figure; `ratio` is value / baseline when the benchmark has one. */
export interface Figure {
  metric: string;
  value: number | null;
  unit: string;
  baseline?: number | null;
  ratio?: number | null;
  /** Human-readable target, and whether this run met it (null = not applicable). */
  target?: string;
  pass?: boolean | null;
}

export interface BenchResult {
  name: string;
  title: string;
  /** What the baseline is, measured in the same run. */
  baseline: string;
  figures: Figure[];
  notes: string[];
  /** Extra markdown (e.g. a per-case table) printed after the notes. */
  detail?: string[];
  /** Machine-readable detail kept in `<name>.json` only. */
  raw?: unknown;
  durationS: number;
}

/** The issue's wall-clock budget for `npm run bench` (all five) on the 2-core machine. */
export const SUITE_BUDGET_S = 15 * 60;

const fmt = (v: number | null | undefined, digits = 2): string =>
  v === null || v === undefined || !Number.isFinite(v) ? "—" : Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en-US") : Number(v.toFixed(digits)).toString();

const verdict = (p: boolean | null | undefined) => (p === undefined || p === null ? "" : p ? "pass" : "**FAIL**");

/** The one-line machine description every table starts with. */
export function machine(): string {
  // the load average tells a reader whether other work shared the cores: latency figures move with it
  return `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(" / ")} (1/5/15 min), ${new Date().toISOString()}`;
}

/** A markdown table of every figure of the given results, then each benchmark's title, baseline and notes. */
export function markdown(results: BenchResult[], totalS?: number): string {
  const lines = [machine(), "", "| benchmark | figure | value | unit | baseline | ratio | target | pass/fail |", "|---|---|---:|---|---:|---:|---|---|"];
  for (const r of results) {
    if (!r.figures.length) lines.push(`| ${r.name} | ${r.title} | — |  | — | — |  | **FAIL** |`);
    for (const f of r.figures) lines.push(`| ${r.name} | ${f.metric} | ${fmt(f.value)} | ${f.unit} | ${fmt(f.baseline)} | ${fmt(f.ratio)} | ${f.target ?? ""} | ${verdict(f.pass)} |`);
  }
  const judged = results.flatMap((r) => r.figures).filter((f) => f.pass === true || f.pass === false);
  const failed = judged.filter((f) => f.pass === false).length + results.filter((r) => !r.figures.length).length;
  lines.push("", `${judged.length - judged.filter((f) => f.pass === false).length} of ${judged.length} targets met${failed ? `, ${failed} missed or failed` : ""}.`);
  if (totalS !== undefined) lines.push(`Total wall-clock time ${Math.round(totalS)} s (budget for all five: ${SUITE_BUDGET_S} s).`);
  for (const r of results) {
    lines.push("", `**${r.name}** — ${r.title}. Baseline: ${r.baseline}. (${r.durationS.toFixed(0)} s)`);
    for (const n of r.notes) lines.push(`- ${n}`);
    if (r.detail?.length) lines.push("", ...r.detail);
  }
  return lines.join("\n") + "\n";
}

/** Writes `<dir>/<name>.json` per result and `<dir>/summary.{json,md}` for this run. */
export function writeResults(dir: string, results: BenchResult[], totalS?: number): void {
  mkdirSync(dir, { recursive: true });
  const meta = { node: process.version, cpus: cpus().length, cpu_model: cpus()[0]?.model ?? null, at: new Date().toISOString() };
  for (const r of results) writeFileSync(`${dir}/${r.name}.json`, JSON.stringify({ ...r, ...meta }, null, 2) + "\n");
  const rows = results.flatMap((r) => (r.figures.length ? r.figures : [{ metric: r.title, value: null, unit: "", pass: false }]).map((f) => ({ benchmark: r.name, ...f })));
  writeFileSync(`${dir}/summary.json`, JSON.stringify({ ...meta, total_s: totalS ?? null, budget_s: SUITE_BUDGET_S, benchmarks: results.map((r) => r.name), rows }, null, 2) + "\n");
  writeFileSync(`${dir}/summary.md`, markdown(results, totalS));
}
