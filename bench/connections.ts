import { SimFleet } from "../sim/fleet/fleet.ts";
import type { SimIdentity } from "../sim/fleet/provision.ts";
import { BENCH_FLEET_CONFIG } from "./ingest.ts";
import { cpuMsOf, sleep, startBroker, type BrokerProcess } from "./lib/child.ts";
import type { BenchResult } from "./lib/report.ts";

const DEVICES = 10_000;
const SPREAD_MS = 5000;
const STEADY_MS = 30_000;

interface Mem {
  mem: NodeJS.MemoryUsage;
  connected: number;
}

/** Connects the virtual fleet to one broker process; returns time to all online, memory per connection, steady CPU. */
async function measure(b: BrokerProcess, ids: SimIdentity[], authenticate: boolean) {
  const before = await b.call<Mem>("stats", "gc");
  const sim = new SimFleet({ host: "127.0.0.1", port: b.port, devices: ids, authenticate, connectSpreadMs: SPREAD_MS, connectConcurrency: 500, telemetryIntervalMs: 60_000, keepaliveS: 60 });
  const t0 = Date.now();
  sim.start();
  while (sim.stats.online < ids.length && Date.now() - t0 < 120_000) await sleep(100);
  const allOnlineMs = sim.stats.online === ids.length ? Date.now() - t0 : null;
  await sleep(2000);
  const after = await b.call<Mem>("stats", "gc");
  // steady state: every device reports telemetry once a minute (the agent's default) and pings
  const cpu0 = cpuMsOf(b.pid);
  await sleep(STEADY_MS);
  const cpuPct = ((cpuMsOf(b.pid) - cpu0) / STEADY_MS) * 100;
  const n = Math.max(1, after.connected);
  const heapPerConn = (after.mem.heapUsed + after.mem.external - before.mem.heapUsed - before.mem.external) / n;
  const rssPerConn = (after.mem.rss - before.mem.rss) / n;
  const stats = { ...sim.stats };
  await sim.stop();
  return { allOnlineMs, heapPerConn, rssPerConn, cpuPct, connected: after.connected, failures: stats.connectFailures, published: stats.published };
}

/**
 * 10,000 concurrent devices on one fleet process (authenticated, each its own identity, retained
 * state and command subscription) versus raw aedes with the same 10,000 anonymous clients.
 */
export async function connectionsBench(): Promise<BenchResult> {
  const t0 = Date.now();
  const fleet = await startBroker("fleet", BENCH_FLEET_CONFIG);
  const ids = await fleet.call<SimIdentity[]>("provision", { count: DEVICES, prefix: "conn" });
  const f = await measure(fleet, ids, true);
  await fleet.stop();

  const raw = await startBroker("raw");
  const r = await measure(raw, ids, false);
  await raw.stop();

  const kb = (v: number) => v / 1024;
  return {
    name: "connections",
    title: `${DEVICES.toLocaleString("en-US")} devices connecting over ${SPREAD_MS / 1000} s (≤ 500 CONNECTs in flight), telemetry every 60 s, keepalive 60 s; CPU over ${STEADY_MS / 1000} s steady`,
    baseline: "raw aedes (no hooks, anonymous) with the same simulated fleet, same run",
    figures: [
      { metric: "time until all online", value: f.allOnlineMs === null ? null : f.allOnlineMs / 1000, unit: "s", baseline: r.allOnlineMs === null ? null : r.allOnlineMs / 1000, ratio: f.allOnlineMs && r.allOnlineMs ? f.allOnlineMs / r.allOnlineMs : null },
      { metric: "connected at the end", value: f.connected, unit: "clients", target: `${DEVICES}`, pass: f.connected === DEVICES },
      { metric: "broker heap+external per connection", value: kb(f.heapPerConn), unit: "KB", baseline: kb(r.heapPerConn), ratio: f.heapPerConn / r.heapPerConn, target: "≤ 10 KB", pass: kb(f.heapPerConn) <= 10 },
      { metric: "broker RSS per connection", value: kb(f.rssPerConn), unit: "KB", baseline: kb(r.rssPerConn), ratio: f.rssPerConn / r.rssPerConn },
      { metric: "broker CPU at steady cadence", value: f.cpuPct, unit: "% of a core", baseline: r.cpuPct, ratio: f.cpuPct / r.cpuPct },
    ],
    notes: [
      `fleet: ${f.failures} failed connects (retried), ${f.published} publishes; raw: ${r.failures} failed connects`,
      "memory measured after a forced GC before and after connecting; RSS includes allocator slack and is the figure to size hosts with",
    ],
    durationS: (Date.now() - t0) / 1000,
  };
}
