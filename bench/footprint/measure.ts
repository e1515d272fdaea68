/**
 * Footprint of the running agent executable (issue #8): RSS, CPU and disk of `edge-agent run` reporting to
 * an `edge-fleet` executable, probing the reference cloud, on this host.
 *
 *   node bench/footprint/measure.ts [--seconds 60] [--arch x64] [--json]
 *
 * Needs dist/edge-agent-linux-<arch> and dist/edge-fleet-linux-x64 (npm run build:agent / build:fleet).
 * Reads /proc, so Linux only; a foreign arch runs under qemu and measures qemu, not the device.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { CloudSim } from "../../sim/cloud/server.ts";

const root = resolve(import.meta.dirname, "..", "..");
const { values } = parseArgs({ options: { seconds: { type: "string", default: "60" }, arch: { type: "string", default: "x64" }, json: { type: "boolean", default: false } } });
const seconds = Number(values.seconds);
const agentExe = join(root, "dist", `edge-agent-linux-${values.arch}`);
const fleetExe = join(root, "dist", "edge-fleet-linux-x64");
for (const f of [agentExe, fleetExe]) {
  try {
    statSync(f);
  } catch {
    console.error(`${f} is missing; run npm run build:agent -- --arch ${values.arch} and npm run build:fleet -- --arch x64 first`);
    process.exit(2);
  }
}

const TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

/** utime+stime in ticks and VmRSS in KiB of one process, from /proc. */
function sample(pid: number): { ticks: number; rssKb: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]);
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0);
  return { ticks, rssKb };
}

function duKb(dir: string): number {
  let total = 0;
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return 0;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? duKb(p) : statSync(p).size / 1024;
  }
  return total;
}

function waitForLine(child: ChildProcess, re: RegExp): Promise<RegExpExecArray> {
  return new Promise((res, rej) => {
    let buf = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => {
      buf += d;
      const m = re.exec(buf);
      if (m) res(m);
    });
    child.once("exit", (code) => rej(new Error(`${child.spawnfile} exited with ${code}: ${buf.slice(-500)}`)));
  });
}

const dir = mkdtempSync(join(tmpdir(), "edge-footprint-"));
const children: ChildProcess[] = [];
const sim = new CloudSim();
try {
  const fleetCfg = join(dir, "fleet.json");
  writeFileSync(fleetCfg, JSON.stringify({ store: { driver: "sqlite", path: join(dir, "fleet.db") }, mqtt: { host: "127.0.0.1", port: 0 }, http: { host: "127.0.0.1", port: 0 } }));
  spawnSync(fleetExe, ["devices", "add", "--config", fleetCfg, "--id", "footprint-1", "--out", join(dir, "creds.json")]);
  const fleet = spawn(fleetExe, ["serve", "--config", fleetCfg], { stdio: ["ignore", "pipe", "inherit"] });
  children.push(fleet);
  const mqttPort = Number((await waitForLine(fleet, /"tcp":(\d+)/))[1]);
  const { url, wsUrl } = await sim.start({ port: 0 });
  const agentCfg = join(dir, "agent.json");
  writeFileSync(
    agentCfg,
    JSON.stringify({
      mqtt: { url: `mqtt://127.0.0.1:${mqttPort}`, credentials_file: join(dir, "creds.json"), reconnect: { first_connect_jitter_ms: 0 } },
      cadence: { telemetry_s: 10, probes_s: 60, diagnosis_s: 300 },
      spool: { dir: join(dir, "spool") },
      log: { level: "warn" },
      samplers: { start_jitter_ms: 0, audio: { capture: { mode: "off" } }, network: { icmp: { mode: "off" } } },
      cloud: { realtime: { url: wsUrl, voice_output: "text" }, status_page_url: url, api_key: "sk-footprint", interval_s: 60, passive: { port: 0 } },
    }),
  );
  const agent = spawn(agentExe, ["run", "--config", agentCfg], { stdio: ["ignore", "inherit", "inherit"] });
  children.push(agent);
  const startTicks = sample(agent.pid!).ticks;
  let peakRss = 0;
  const rss: number[] = [];
  for (let i = 0; i < seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    if (agent.exitCode !== null) throw new Error(`edge-agent exited with ${agent.exitCode}`);
    const s = sample(agent.pid!);
    rss.push(s.rssKb);
    peakRss = Math.max(peakRss, s.rssKb);
  }
  const cpuPct = ((sample(agent.pid!).ticks - startTicks) / TICKS / seconds) * 100;
  rss.sort((a, b) => a - b);
  const result = {
    arch: values.arch,
    seconds,
    rss_mb_median: +(rss[Math.floor(rss.length / 2)]! / 1024).toFixed(1),
    rss_mb_peak: +(peakRss / 1024).toFixed(1),
    cpu_pct_avg: +cpuPct.toFixed(2),
    disk_executable_mb: +(statSync(agentExe).size / 1024 / 1024).toFixed(1),
    disk_spool_kb: +duKb(join(dir, "spool")).toFixed(0),
  };
  if (values.json) console.log(JSON.stringify(result, null, 2));
  else console.log(`| ${result.arch} | ${result.seconds} s | ${result.rss_mb_median} MiB (peak ${result.rss_mb_peak}) | ${result.cpu_pct_avg} % | ${result.disk_executable_mb} MiB |`);
} finally {
  for (const c of children) c.kill("SIGTERM");
  await sim.stop();
  rmSync(dir, { recursive: true, force: true });
}
