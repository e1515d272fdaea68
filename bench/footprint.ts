import type { BenchResult } from "./lib/report.ts";

export async function footprintBench(): Promise<BenchResult> {
  return { name: "footprint", title: "not yet", baseline: "—", figures: [], notes: [], durationS: 0 };
}
