import type { BenchResult } from "./lib/report.ts";

export async function footprintBench(): Promise<BenchResult> {
  return { name: "footprint", title: "not implemented yet (issue #9 follow-up)", baseline: "—", figures: [], notes: ["not implemented in this round; see the issue-9 report"], durationS: 0 };
}
