/**
 * `npm run soak -- --minutes N [--devices 1000] [--max-growth-pct 5]`: 1,000 simulated devices at
 * cadence against a real edge-fleet process, plus one real edge-agent process; the RSS of both is
 * sampled over time and the growth after warm-up must stay within the bound. Loopback only, bounded
 * in time; exits 1 when a bound is broken. Results go to bench/results/soak.{json,md}.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { SqliteStore } from "../../broker/store/sqlite/store.ts";
import { CloudSim } from "../../sim/cloud/server.ts";
import { SimFleet } from "../../sim/fleet/fleet.ts";
import { provisionFleet } from "../../sim/fleet/provision.ts";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "2" },
    devices: { type: "string", default: "1000" },
    "telemetry-s": { type: "string", default: "10" },
    "max-growth-pct": { type: "string", default: "5" },
  },
});
const minutes = Number(values.minutes);
const deviceCount = Number(values.devices);
if (!(minutes > 0 && minutes <= 240) || !(deviceCount > 0 && deviceCount <= 20_000)) {
  console.error("--minutes must be in (0, 240] and --devices in (0, 20000]; for example npm run soak -- --minutes 2");
  process.exit(2);
}
const durationMs = minutes * 60_000;
const maxGrowth = Number(values["max-growth-pct"]);
const root = resolve(import.meta.dirname, "../..");
const dir = mkdtempSync(join(tmpdir(), "edge-soak-"));

const freePort = () => new Promise<number>((res) => {
  const s = createServer().listen(0, "127.0.0.1", () => {
    const p = (s.address() as AddressInfo).port;
    s.close(() => res(p));
  });
});
const rssMb = (pid: number): number | null => {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

const [mqttPort, httpPort] = [await freePort(), await freePort()];
const dbPath = join(dir, "fleet.db");
const store = new SqliteStore(dbPath);
await store.open();
const identities = await provisionFleet(store, deviceCount + 1, "soak");
await store.close();
const agentIdentity = identities.pop()!;

const children: ChildProcess[] = [];
/** Each process under soak runs a full GC on SIGUSR2 (gc-on-signal.cjs), so a sample measures what it holds live. */
const GC_ON_SIGNAL = ["--expose-gc", "--require", join(root, "tests", "soak", "gc-on-signal.cjs")];
const cloud = new CloudSim();
let fleetSim: SimFleet | null = null;
async function cleanup(): Promise<void> {
  await fleetSim?.stop();
  for (const c of children) if (c.exitCode === null) c.kill("SIGTERM");
  await cloud.stop();
  rmSync(dir, { recursive: true, force: true });
}

try {
  const sim = await cloud.start({ port: 0 });
  writeFileSync(join(dir, "fleet.json"), JSON.stringify({ mqtt: { host: "127.0.0.1", port: mqttPort, publish_rate: { per_second: 50, burst: 100 }, connect_rate: { per_minute_per_address: 100_000 } }, http: { host: "127.0.0.1", port: httpPort }, store: { driver: "sqlite", path: dbPath }, log: { level: "warn" } }));
  const fleet = spawn(process.execPath, [...GC_ON_SIGNAL, "broker/cli/main.ts", "serve", "--config", join(dir, "fleet.json")], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  children.push(fleet);
  for (let i = 0; i < 100; i++) {
    if (await fetch(`http://127.0.0.1:${httpPort}/healthz`).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  writeFileSync(join(dir, "agent.json"), JSON.stringify({
    device: { id: agentIdentity.id, model: "soak", region: "local" },
    mqtt: { url: `mqtt://127.0.0.1:${mqttPort}`, username: agentIdentity.id, password: agentIdentity.secret, keepalive_s: 30 },
    cadence: { telemetry_s: Number(values["telemetry-s"]) },
    spool: { dir: join(dir, "spool") },
    samplers: { start_jitter_ms: 1000, audio: { capture: { mode: "off" } } },
    cloud: { realtime: { url: sim.wsUrl }, status_page_url: sim.url, api_key: "soak-key-0000", interval_s: 60 },
    log: { level: "warn" },
  }));
  const agent = spawn(process.execPath, [...GC_ON_SIGNAL, "agent/cli/main.ts", "run", "--config", join(dir, "agent.json")], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  children.push(agent);

  fleetSim = new SimFleet({ host: "127.0.0.1", port: mqttPort, devices: identities, telemetryIntervalMs: Number(values["telemetry-s"]) * 1000, connectSpreadMs: 5000, keepaliveS: 60 });
  fleetSim.start();

  const samples: { t: number; fleet: number | null; agent: number | null }[] = [];
  const t0 = Date.now();
  while (Date.now() - t0 < durationMs) {
    await new Promise((r) => setTimeout(r, Math.min(5000, durationMs / 24) - 500));
    // a full GC first: V8 grows its heap in steps and collects when it sees fit, so RSS without one swings
    // by tens of MB with no leak behind it (a 4-minute run rose 200 → 260 MB, then fell to 158)
    for (const c of [fleet, agent]) c.kill("SIGUSR2");
    await new Promise((r) => setTimeout(r, 500));
    samples.push({ t: Date.now() - t0, fleet: rssMb(fleet.pid!), agent: rssMb(agent.pid!) });
    if (fleet.exitCode !== null || agent.exitCode !== null) throw new Error("a process under soak exited early");
  }
  // warm-up is the first 40%: connections, caches and code reach their working size before it settles
  const growth = (key: "fleet" | "agent") => {
    const xs = samples.filter((s) => s[key] !== null);
    const warm = xs.filter((s) => s.t >= durationMs * 0.4 && s.t < durationMs * 0.6).map((s) => s[key]!);
    const end = xs.filter((s) => s.t >= durationMs * 0.8).map((s) => s[key]!);
    return { warm_mb: median(warm), end_mb: median(end), growth_pct: ((median(end) - median(warm)) / median(warm)) * 100 };
  };
  const rows = { fleet: growth("fleet"), agent: growth("agent") };
  const stats = fleetSim.stats;
  const ok = rows.fleet.growth_pct <= maxGrowth && rows.agent.growth_pct <= maxGrowth && stats.online >= deviceCount * 0.99;
  const md = [
    `| process | RSS after warm-up (MB, after a full GC) | RSS at end (MB, after a full GC) | growth | bound | result |`,
    `|---|---|---|---|---|---|`,
    ...(["fleet", "agent"] as const).map((k) => `| edge-${k} | ${rows[k].warm_mb.toFixed(1)} | ${rows[k].end_mb.toFixed(1)} | ${rows[k].growth_pct.toFixed(2)}% | ≤ ${maxGrowth}% | ${rows[k].growth_pct <= maxGrowth ? "pass" : "FAIL"} |`),
    ``,
    `${deviceCount} simulated devices (${stats.online} online at the end), telemetry every ${values["telemetry-s"]} s, ${minutes} min; ${stats.published} messages published, ${stats.acked} acknowledged.`,
  ].join("\n");
  console.log(md);
  mkdirSync(join(root, "bench", "results"), { recursive: true });
  writeFileSync(join(root, "bench", "results", "soak.json"), JSON.stringify({ minutes, devices: deviceCount, rows, stats, samples }, null, 2));
  writeFileSync(join(root, "bench", "results", "soak.md"), md + "\n");
  console.log(ok ? "soak: 1 passed, 0 failed" : "soak: 0 passed, 1 failed");
  process.exitCode = ok ? 0 : 1;
} catch (err) {
  console.error(`soak failed: ${(err as Error).message}`);
  process.exitCode = 1;
} finally {
  await cleanup();
}
