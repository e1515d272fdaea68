/**
 * Agent footprint (issue #9, benchmark 4): `edge-agent run` at its default cadence, the way a device runs it
 * (the single-file executable from dist/; from source, with a note, when it is not built), reporting to a
 * fleet and probing the reference cloud, measured from /proc beside a bare Node 24 process started at the
 * same moment (the baseline). Same method and agent config as bench/footprint/measure.ts (a CLI script with
 * top-level effects, so it is mirrored here rather than imported), plus bytes per day and start-up time.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import pino from "pino";
import { fleetConfig } from "../broker/config/load.ts";
import { FleetServer } from "../broker/fleet.ts";
import { CloudSim } from "../sim/cloud/server.ts";
import { provisionFleet } from "../sim/fleet/provision.ts";
import { ByteCounter } from "./lib/byte-counter.ts";
import { cpuMsOf, rssOf, sleep } from "./lib/child.ts";
import { dailyBytes, median, publishWireBytes, type Mark, type Publish } from "./lib/footprint-math.ts";
import type { BenchResult } from "./lib/report.ts";

const ROOT = resolve(import.meta.dirname, "..");
/** Long enough for every per-minute job (telemetry, network sampler, two system samples) to run in the steady window. */
const RUN_S = Number(process.env.BENCH_FOOTPRINT_S ?? 90);
const MB = 1024 * 1024;
/** The agent's defaults (agent/config/schema.ts, agent/probes/config.ts); the run leaves them unchanged. */
const TELEMETRY_S = 60;
const DIAGNOSIS_S = 900;

/** The newest modification time of the bundled files under a folder (does the executable predate its sources?). */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    // tests are not bundled: editing one does not make the executable stale
    if (e.name === "node_modules" || e.name.endsWith(".test.ts")) continue;
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

/**
 * How to start the agent: dist/'s executable when it is newer than every source it bundles; otherwise a fresh
 * build into the run's temp dir (dist/ is left alone: another build may be using it); if the build fails, the
 * stale executable or, failing that, the sources under Node 24 — each with a note saying so.
 */
function agentCommand(configPath: string, tmp: string): { cmd: string; args: string[]; how: string; notes: string[] } {
  const name = `edge-agent-linux-${process.arch}`;
  const exe = join(ROOT, "dist", name);
  const staleMin = existsSync(exe) ? (Math.max(newestMtime(join(ROOT, "agent")), newestMtime(join(ROOT, "shared"))) - statSync(exe).mtimeMs) / 60_000 : Infinity;
  if (staleMin <= 0) return { cmd: exe, args: ["run", "--config", configPath], how: `single-file executable dist/${name}`, notes: [] };
  const why = Number.isFinite(staleMin) ? `dist/${name} is ${staleMin.toFixed(0)} min older than the newest source under agent/ or shared/` : `dist/${name} is not built`;
  const built = spawnSync(process.execPath, [join(ROOT, "scripts", "build.ts"), "agent", "--arch", process.arch, "--out", tmp], { cwd: ROOT, encoding: "utf8", timeout: 240_000 });
  if (built.status === 0 && existsSync(join(tmp, name))) {
    return { cmd: join(tmp, name), args: ["run", "--config", configPath], how: "single-file executable built from the current sources for this run", notes: [`${why}, so the agent was built afresh for this run (into a temp dir; dist/ untouched)`] };
  }
  const reason = `${why} and building it failed (${(built.stderr || built.stdout || String(built.error ?? "")).trim().split("\n").at(-1)})`;
  if (existsSync(exe)) return { cmd: exe, args: ["run", "--config", configPath], how: `stale single-file executable dist/${name}`, notes: [`${reason}: measured the stale executable`] };
  return {
    cmd: process.execPath,
    args: [join(ROOT, "agent", "cli", "main.ts"), "run", "--config", configPath],
    how: "from source (node agent/cli/main.ts)",
    notes: [`${reason}: the agent ran from source under ${process.version} (type stripping, unbundled modules: more memory than the executable a device runs)`],
  };
}

/** SIGTERM, then SIGKILL after 5 s: the agent stops its units in order and may take a moment. */
async function stopChild(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once("exit", r));
  c.kill("SIGTERM");
  const timer = setTimeout(() => c.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(timer);
}

/** Runs the agent and the bare process side by side for RUN_S seconds and measures both. */
export async function footprintBench(): Promise<BenchResult> {
  const t0 = Date.now();
  const dir = mkdtempSync(join(tmpdir(), "edge-bench-footprint-"));
  const children: ChildProcess[] = [];
  const fleet = new FleetServer({
    config: fleetConfig({ mqtt: { host: "127.0.0.1", port: 0 }, http: { host: "127.0.0.1", port: 0 }, store: { driver: "sqlite", path: join(dir, "fleet.db") }, log: { level: "silent" } }),
    log: pino({ level: "silent" }),
  });
  const sim = new CloudSim();
  const counters: ByteCounter[] = [];
  try {
    await fleet.start();
    const simUrls = await sim.start({ port: 0 });
    const mqtt = new ByteCounter(fleet.broker.ports.tcp);
    const cloud = new ByteCounter(simUrls.port);
    counters.push(mqtt, cloud);
    const [mqttPort, cloudPort] = [await mqtt.start(), await cloud.start()];
    const [device] = await provisionFleet(fleet.store, 1, "footprint", 7);
    const id = device!.id;
    writeFileSync(join(dir, "creds.json"), JSON.stringify({ device_id: id, mqtt: { username: id, password: device!.secret } }));
    const cfgPath = join(dir, "agent.json");
    // measure.ts's config with the default cadence: no microphone and no ICMP on a CI host, no connect jitter
    // (a device waits up to 5 s on purpose; start-up time here is the agent's own)
    writeFileSync(cfgPath, JSON.stringify({
      mqtt: { url: `mqtt://127.0.0.1:${mqttPort}`, credentials_file: join(dir, "creds.json"), reconnect: { first_connect_jitter_ms: 0 } },
      spool: { dir: join(dir, "spool") },
      samplers: { start_jitter_ms: 0, audio: { capture: { mode: "off" } }, network: { icmp: { mode: "off" } } },
      cloud: { realtime: { url: `ws://127.0.0.1:${cloudPort}/v1/realtime` }, status_page_url: `http://127.0.0.1:${cloudPort}`, api_key: "sk-bench-footprint", passive: { port: 0 } },
    }));

    const marks: Mark[] = [];
    const publishes: Publish[] = [];
    const mark = (kind: Mark["kind"]) => marks.push({ kind, at: performance.now(), mqttSent: mqtt.sent, cloudSent: cloud.sent });
    fleet.events.on("state", (m) => m.device_id === id && mark("state"));
    fleet.events.on("telemetry", (m) => m.device_id === id && mark("telemetry"));
    fleet.events.on("diagnosis", (m) => m.device_id === id && mark("diagnosis"));
    fleet.broker.aedes.on("publish", (packet, client) => {
      if (client?.id !== id) return;
      const kind = packet.topic.endsWith("/telemetry") ? "telemetry" : packet.topic.endsWith("/diagnosis") ? "diagnosis" : "other";
      publishes.push({ kind, at: performance.now(), wire: publishWireBytes(packet.topic, packet.payload.length, packet.qos) });
    });

    const agent = agentCommand(cfgPath, join(dir, "build"));
    let agentOut = "";
    const started = performance.now();
    const a = spawn(agent.cmd, agent.args, { stdio: ["ignore", "pipe", "pipe"] });
    const bare = spawn(process.execPath, ["-e", "setInterval(() => {}, 60_000)"], { stdio: "ignore" });
    children.push(a, bare);
    for (const s of [a.stdout!, a.stderr!]) s.setEncoding("utf8").on("data", (d: string) => (agentOut = (agentOut + d).slice(-4000)));

    const samples: { at: number; mqttSent: number; cloudSent: number; agentRss: number; bareRss: number; agentCpuMs: number; bareCpuMs: number }[] = [];
    while (performance.now() - started < RUN_S * 1000) {
      await sleep(1000);
      if (a.exitCode !== null) throw new Error(`edge-agent exited with ${a.exitCode}: ${agentOut.slice(-600)}`);
      samples.push({ at: performance.now(), mqttSent: mqtt.sent, cloudSent: cloud.sent, agentRss: rssOf(a.pid!), bareRss: rssOf(bare.pid!), agentCpuMs: cpuMsOf(a.pid!), bareCpuMs: cpuMsOf(bare.pid!) });
    }
    const firstTelemetry = marks.find((m) => m.kind === "telemetry");
    const startupDiag = marks.find((m) => m.kind === "diagnosis");
    if (!firstTelemetry || !startupDiag) throw new Error(`the agent sent no ${firstTelemetry ? "diagnosis" : "telemetry"} within ${RUN_S} s: ${agentOut.slice(-600)}`);
    // steady: one second after the start-up diagnosis (its probes) has been stored, to the end of the run
    const steady = samples.filter((s) => s.at >= startupDiag.at + 1000);
    if (steady.length < 30) throw new Error(`only ${steady.length} s of steady state; raise BENCH_FOOTPRINT_S`);
    const first = steady[0]!;
    const last = steady.at(-1)!;
    const windowMs = last.at - first.at;
    const cpuPct = ((last.agentCpuMs - first.agentCpuMs) / windowMs) * 100;
    const bareCpuPct = ((last.bareCpuMs - first.bareCpuMs) / windowMs) * 100;
    const rss = median(steady.map((s) => s.agentRss)) / MB;
    const bareRss = median(steady.map((s) => s.bareRss)) / MB;
    const peakRss = Math.max(...samples.map((s) => s.agentRss)) / MB;
    const day = dailyBytes({ marks, publishes, steadyFrom: first, end: last, telemetryS: TELEMETRY_S, diagnosisS: DIAGNOSIS_S });
    const startupS = (firstTelemetry.at - started) / 1000;
    const stateS = marks.find((m) => m.kind === "state");
    return {
      name: "footprint",
      title: `edge-agent run (${agent.how}) at the default cadence (telemetry ${TELEMETRY_S} s, diagnosis with probes ${DIAGNOSIS_S / 60} min, default sampler schedules) for ${RUN_S} s, reporting to an in-process fleet through loopback`,
      baseline: `a bare Node ${process.version} process (node -e with one idle timer) started beside it, same run`,
      figures: [
        { metric: "steady RSS (median)", value: rss, unit: "MB", baseline: bareRss, ratio: rss / bareRss, target: "≤ 55 MB", pass: rss <= 55 },
        { metric: "steady RSS ÷ bare Node", value: rss / bareRss, unit: "×", target: "≤ 1.3×", pass: rss / bareRss <= 1.3 },
        { metric: "peak RSS (start-up probes included)", value: peakRss, unit: "MB", baseline: Math.max(...samples.map((s) => s.bareRss)) / MB, ratio: peakRss / bareRss },
        { metric: "CPU at the default cadence", value: cpuPct, unit: "% of a core", baseline: bareCpuPct, target: "≤ 0.5 %", pass: cpuPct <= 0.5 },
        { metric: "bytes sent per day (extrapolated)", value: day.total / 1024, unit: "KiB/day" },
        { metric: "start-up to the first report", value: startupS, unit: "s" },
      ],
      notes: [
        ...agent.notes,
        `steady window ${(windowMs / 1000).toFixed(0)} s, from 1 s after the start-up diagnosis (${((startupDiag.at - started) / 1000).toFixed(1)} s) to the end; RSS sampled every second from /proc`,
        `bytes per day = telemetry ${(day.telemetry / 1024).toFixed(0)} KiB (${day.telemetryMsgBytes.toFixed(0)} B × ${86_400 / TELEMETRY_S}) + diagnoses with their cloud probes ${(day.diagnosis / 1024).toFixed(0)} KiB (${day.diagnosisBytes.toFixed(0)} B × ${86_400 / DIAGNOSIS_S}) + everything else in the steady window (pings, network sampler) ${(day.other / 1024).toFixed(0)} KiB; MQTT ${mqtt.sent} B and cloud ${cloud.sent} B sent during the run`,
        `start-up = spawn to the first telemetry stored by the fleet; online (state) after ${stateS ? ((stateS.at - started) / 1000).toFixed(2) : "—"} s; a device adds up to mqtt.reconnect.first_connect_jitter_ms (5 s) on purpose`,
      ],
      raw: { samples: samples.map((s) => ({ t_s: +((s.at - started) / 1000).toFixed(1), agent_rss_mb: +(s.agentRss / MB).toFixed(1), bare_rss_mb: +(s.bareRss / MB).toFixed(1), agent_cpu_ms: s.agentCpuMs })), marks: marks.map((m) => ({ ...m, at: +((m.at - started) / 1000).toFixed(2) })), bytes_per_day: day },
      durationS: (Date.now() - t0) / 1000,
    };
  } finally {
    await Promise.all(children.map(stopChild));
    for (const c of counters) await c.stop();
    await sim.stop();
    await fleet.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
