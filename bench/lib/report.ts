import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";

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
  durationS: number;
}

const fmt = (v: number | null | undefined, digits = 2): string =>
  v === null || v === undefined ? "—" : Math.abs(v) >= 100 ? Math.round(v).toLocaleString("en-US") : Number(v.toFixed(digits)).toString();

/** A markdown table of every figure of the given results. */
export function markdown(results: BenchResult[]): string {
  const lines = [
    `Machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, Node ${process.version}, ${new Date().toISOString()}`,
    "",
    "| bench | metric | value | unit | baseline | ratio | target | met |",
    "|---|---|---:|---|---:|---:|---|---|",
  ];
  for (const r of results)
    for (const f of r.figures)
      lines.push(`| ${r.name} | ${f.metric} | ${fmt(f.value)} | ${f.unit} | ${fmt(f.baseline)} | ${fmt(f.ratio)} | ${f.target ?? ""} | ${f.pass === undefined || f.pass === null ? "" : f.pass ? "yes" : "**no**"} |`);
  for (const r of results) {
    lines.push("", `**${r.name}** — ${r.title}. Baseline: ${r.baseline}. (${r.durationS.toFixed(0)} s)`);
    for (const n of r.notes) lines.push(`- ${n}`);
  }
  return lines.join("\n") + "\n";
}

/** Writes `<dir>/<name>.json` per result and `<dir>/summary.md`. */
export function writeResults(dir: string, results: BenchResult[]): void {
  mkdirSync(dir, { recursive: true });
  for (const r of results) writeFileSync(`${dir}/${r.name}.json`, JSON.stringify({ ...r, node: process.version, cpus: cpus().length, at: new Date().toISOString() }, null, 2) + "\n");
  writeFileSync(`${dir}/summary.md`, markdown(results));
}
