import { SimFleet } from "../sim/fleet/fleet.ts";
import type { SimIdentity } from "../sim/fleet/provision.ts";
import { BENCH_FLEET_CONFIG } from "./ingest.ts";
import { cpuMsOf, sleep, startBroker, type BrokerProcess } from "./lib/child.ts";
import type { BenchResult } from "./lib/report.ts";

const DEVICES = 10_000;
const SPREAD_MS = 5000;
/** Connected and measured first: see measure(). */
const WARMUP = 100;
const STEADY_MS = 30_000;

interface Mem {
  mem: NodeJS.MemoryUsage;
  connected: number;
}

/** Connects simulated devices and waits until all are online (or two minutes have passed); returns the elapsed ms or null. */
async function connectAll(sim: SimFleet, n: number): Promise<number | null> {
  const t0 = Date.now();
  sim.start();
  while (sim.stats.online < n && Date.now() - t0 < 120_000) await sleep(100);
  return sim.stats.online === n ? Date.now() - t0 : null;
}

/**
 * Connects the virtual fleet to one broker process; returns time to all online, memory per connection, steady CPU.
 * Memory per connection is the marginal cost: a first group of WARMUP devices is connected and measured, then
 * the rest, and the difference is divided by the rest. The warm-up group carries what a process builds once on
 * first use (mqtt-packet's 65,536 cached message-id buffers, ~6.8 MB, on the first PUBACK; first-use code),
 * which is not a cost of each connection; the all-in figure (everything since start-up ÷ all devices) is
 * reported beside it.
 */
async function measure(b: BrokerProcess, ids: SimIdentity[], authenticate: boolean) {
  const start = await b.call<Mem>("stats", "gc");
  const opts = { host: "127.0.0.1", port: b.port, authenticate, connectConcurrency: 500, telemetryIntervalMs: 60_000, keepaliveS: 60 };
  const warm = new SimFleet({ ...opts, devices: ids.slice(0, WARMUP), connectSpreadMs: 500 });
  if ((await connectAll(warm, WARMUP)) === null) throw new Error(`the ${WARMUP} warm-up devices did not all come online within 2 minutes`);
  await sleep(2000);
  const before = await b.call<Mem>("stats", "gc");
  const rest = ids.slice(WARMUP);
  const sim = new SimFleet({ ...opts, devices: rest, connectSpreadMs: SPREAD_MS });
  const allOnlineMs = await connectAll(sim, rest.length);
  await sleep(2000);
  const after = await b.call<Mem>("stats", "gc");
  // steady state: every device reports telemetry once a minute (the agent's default) and pings
  const cpu0 = cpuMsOf(b.pid);
  await sleep(STEADY_MS);
  const cpuPct = ((cpuMsOf(b.pid) - cpu0) / STEADY_MS) * 100;
  const added = Math.max(1, after.connected - before.connected);
  const heapExt = (m: Mem) => m.mem.heapUsed + m.mem.external;
  const heapPerConn = (heapExt(after) - heapExt(before)) / added;
  const heapAllIn = (heapExt(after) - heapExt(start)) / Math.max(1, after.connected);
  const rssPerConn = (after.mem.rss - before.mem.rss) / added;
  const stats = { ...sim.stats };
  await Promise.all([sim.stop(), warm.stop()]);
  return { allOnlineMs, heapPerConn, heapAllIn, rssPerConn, cpuPct, connected: after.connected, failures: stats.connectFailures + warm.stats.connectFailures, published: stats.published + warm.stats.published };
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
    title: `${DEVICES.toLocaleString("en-US")} devices (${WARMUP} first, then the rest connecting over ${SPREAD_MS / 1000} s, ≤ 500 CONNECTs in flight), telemetry every 60 s, keepalive 60 s; CPU over ${STEADY_MS / 1000} s steady`,
    baseline: "raw aedes (no hooks, anonymous) with the same simulated fleet, same run",
    figures: [
      { metric: "time until all online", value: f.allOnlineMs === null ? null : f.allOnlineMs / 1000, unit: "s", baseline: r.allOnlineMs === null ? null : r.allOnlineMs / 1000, ratio: f.allOnlineMs && r.allOnlineMs ? f.allOnlineMs / r.allOnlineMs : null },
      { metric: "connected at the end", value: f.connected, unit: "clients", target: `${DEVICES}`, pass: f.connected === DEVICES },
      { metric: "broker heap+external per connection", value: kb(f.heapPerConn), unit: "KB", baseline: kb(r.heapPerConn), ratio: f.heapPerConn / r.heapPerConn, target: "≤ 10 KB", pass: kb(f.heapPerConn) <= 10 },
      { metric: "broker heap+external per connection, all-in (start-up and first-use costs spread over every device)", value: kb(f.heapAllIn), unit: "KB", baseline: kb(r.heapAllIn), ratio: f.heapAllIn / r.heapAllIn },
      { metric: "broker RSS per connection", value: kb(f.rssPerConn), unit: "KB", baseline: kb(r.rssPerConn), ratio: f.rssPerConn / r.rssPerConn },
      { metric: "broker CPU at steady cadence", value: f.cpuPct, unit: "% of a core", baseline: r.cpuPct, ratio: f.cpuPct / r.cpuPct },
    ],
    notes: [
      `fleet: ${f.failures} failed connects (retried), ${f.published} publishes; raw: ${r.failures} failed connects`,
      `memory measured after a forced GC: at start-up, after a first ${WARMUP} devices (what the process builds once on first use), and after all; per connection = the difference between the last two ÷ the ${(DEVICES - WARMUP).toLocaleString("en-US")} added. RSS includes allocator slack and is the figure to size hosts with`,
      "the fleet keeps no retained copy of each device's state in the broker (the store holds it); raw aedes keeps one per device, as the baseline does by default",
    ],
    durationS: (Date.now() - t0) / 1000,
  };
}
