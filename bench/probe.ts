import type { BenchResult } from "./lib/report.ts";

export async function probeBench(): Promise<BenchResult> {
  return { name: "probe", title: "not yet", baseline: "—", figures: [], notes: [], durationS: 0 };
}
