import { randomBytes } from "node:crypto";
import type { SimIdentity } from "../sim/fleet/provision.ts";
import { startBroker } from "./lib/child.ts";
import { loadRun } from "./lib/load.ts";
import type { BenchResult } from "./lib/report.ts";

const CONNECTIONS = 50;
const WINDOW = 8;
const WARMUP_MS = 3000;
const MEASURE_MS = 10_000;

/** The fleet as a benchmark runs it: limits meant for real devices lifted, since one host plays them all. */
export const BENCH_FLEET_CONFIG = {
  mqtt: { publish_rate: { per_second: 1_000_000, burst: 1_000_000 }, connect_rate: { per_minute_per_address: 10_000_000 } },
};

/**
 * Ingest: QoS 1 telemetry through the whole pipeline (authenticate, authorise, decode + zod validate,
 * dedup, register, history, store; PUBACK after storage) versus raw aedes pass-through (no hooks,
 * in-memory), with the same generator, connections and in-flight window.
 */
export async function ingestBench(): Promise<BenchResult> {
  const t0 = Date.now();
  const raw = await startBroker("raw");
  const anon: SimIdentity[] = Array.from({ length: CONNECTIONS }, (_, i) => ({ id: `raw-${i}`, secret: randomBytes(8).toString("hex"), model: "m", region: "r", firmware: "f", appId: "a" }));
  const base = await loadRun({ port: raw.port, identities: anon, authenticate: false, window: WINDOW, warmupMs: WARMUP_MS, measureMs: MEASURE_MS });
  await raw.stop();

  const fleet = await startBroker("fleet", BENCH_FLEET_CONFIG);
  const ids = await fleet.call<SimIdentity[]>("provision", { count: CONNECTIONS, prefix: "ing" });
  const full = await loadRun({ port: fleet.port, identities: ids, authenticate: true, window: WINDOW, warmupMs: WARMUP_MS, measureMs: MEASURE_MS });
  const stats = await fleet.call<{ ingest: { accepted: number; refused: number; duplicates: number } }>("stats");
  await fleet.stop();

  const ratio = full.ackedPerS / base.ackedPerS;
  return {
    name: "ingest",
    title: `QoS 1 telemetry (~1 KB) from ${CONNECTIONS} connections × ${WINDOW} in flight, ${MEASURE_MS / 1000} s measured after ${WARMUP_MS / 1000} s warm-up`,
    baseline: "raw aedes 1.x pass-through (no hooks, in-memory), same generator, same run",
    figures: [
      { metric: "pipeline throughput", value: full.ackedPerS, unit: "msg/s", baseline: base.ackedPerS, ratio, target: "≥ 0.8 × raw", pass: ratio >= 0.8 },
      { metric: "raw aedes throughput", value: base.ackedPerS, unit: "msg/s" },
      { metric: "refused or failed during the run", value: stats.ingest.refused + full.failed, unit: "msgs", target: "0", pass: stats.ingest.refused + full.failed === 0 },
    ],
    notes: [
      `pipeline accepted ${stats.ingest.accepted} messages in total (warm-up included), ${stats.ingest.duplicates} duplicates`,
      "broker in a child process (one core), generator in the parent (the other core); the raw figure can be bounded by the generator",
    ],
    durationS: (Date.now() - t0) / 1000,
  };
}
