/**
 * `npm run bench [name...]`: runs the named benchmarks (all five by default, in the order below), prints
 * one table (benchmark, figure, value, baseline, ratio, target, pass/fail) and writes `<name>.json` and
 * `summary.{json,md}` under bench/results/. Every ratio is against a baseline measured in the same run.
 * Exits 1 when a benchmark crashed, 0 otherwise (a missed target is a finding, not a crash).
 */
import { fileURLToPath } from "node:url";
import { connectionsBench } from "./connections.ts";
import { footprintBench } from "./footprint.ts";
import { ingestBench } from "./ingest.ts";
import { markdown, SUITE_BUDGET_S, writeResults, type BenchResult } from "./lib/report.ts";
import { probeBench } from "./probe.ts";
import { stormBench } from "./storm.ts";

// cheapest first, so a broken set-up shows within a minute rather than after the 10,000-device runs
const BENCHES: Record<string, () => Promise<BenchResult>> = {
  probe: probeBench,
  ingest: ingestBench,
  footprint: footprintBench,
  connections: connectionsBench,
  storm: stormBench,
};

const names = process.argv.slice(2).filter((a) => a !== "--");
if (names.includes("--help") || names.includes("-h")) {
  console.log(`usage: npm run bench [${Object.keys(BENCHES).join("|")} ...]   (no name = all five, about 7 min on 2 cores)`);
  process.exit(0);
}
const unknown = names.filter((n) => !(n in BENCHES));
if (unknown.length) {
  console.error(`unknown benchmark ${unknown.join(", ")}; choose from ${Object.keys(BENCHES).join(", ")} (or none for all)`);
  process.exit(2);
}
const selected = names.length ? [...new Set(names)] : Object.keys(BENCHES);
const results: BenchResult[] = [];
const t0 = Date.now();
for (const name of selected) {
  const started = Date.now();
  console.error(`▶ ${name} (${((started - t0) / 1000).toFixed(0)} s elapsed)`);
  try {
    results.push(await BENCHES[name]!());
  } catch (err) {
    results.push({ name, title: `crashed: ${(err as Error).message}`, baseline: "—", figures: [], notes: [`the benchmark threw: ${(err as Error).stack ?? String(err)}`], durationS: (Date.now() - started) / 1000 });
  }
  console.error(`  ${name} took ${((Date.now() - started) / 1000).toFixed(0)} s`);
}
const totalS = (Date.now() - t0) / 1000;
const dir = fileURLToPath(new URL("./results", import.meta.url));
writeResults(dir, results, totalS);
console.log(markdown(results, totalS));
if (selected.length === Object.keys(BENCHES).length && totalS > SUITE_BUDGET_S) console.log(`over the ${SUITE_BUDGET_S / 60}-minute budget of issue #9`);
console.log(`results in ${dir}`);
process.exit(results.some((r) => r.figures.length === 0) ? 1 : 0);
