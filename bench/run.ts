/**
 * `npm run bench [name...]`: runs the named benchmarks (all by default), prints one table, writes JSON
 * and markdown under bench/results/. Every ratio is against a baseline measured in the same run.
 */
import { fileURLToPath } from "node:url";
import { connectionsBench } from "./connections.ts";
import { footprintBench } from "./footprint.ts";
import { ingestBench } from "./ingest.ts";
import { markdown, writeResults, type BenchResult } from "./lib/report.ts";
import { probeBench } from "./probe.ts";
import { stormBench } from "./storm.ts";

const BENCHES: Record<string, () => Promise<BenchResult>> = {
  ingest: ingestBench,
  connections: connectionsBench,
  storm: stormBench,
  footprint: footprintBench,
  probe: probeBench,
};

const names = process.argv.slice(2);
const unknown = names.filter((n) => !(n in BENCHES));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(", ")}; choose from ${Object.keys(BENCHES).join(", ")}`);
  process.exit(2);
}
const results: BenchResult[] = [];
const t0 = Date.now();
for (const name of names.length ? names : Object.keys(BENCHES)) {
  console.error(`▶ ${name}`);
  try {
    results.push(await BENCHES[name]!());
  } catch (err) {
    results.push({ name, title: "failed", baseline: "—", figures: [], notes: [`the benchmark failed: ${(err as Error).message}`], durationS: 0 });
  }
}
const dir = fileURLToPath(new URL("./results", import.meta.url));
writeResults(dir, results);
console.log(markdown(results));
console.log(`total ${((Date.now() - t0) / 1000).toFixed(0)} s; results in ${dir}`);
process.exit(results.some((r) => r.figures.length === 0 && r.title === "failed") ? 1 : 0);
