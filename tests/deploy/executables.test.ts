/**
 * The single-file executables of issue #8, built once here into a temp dir and run: natively for x64,
 * under qemu-user for arm64 and armv7l (the Debian library roots stand in for the device's /lib).
 * Builds take ~15 s per executable on 2 cores; the base binaries come from npm once, then npm's cache.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DiagnoseReport } from "../../agent/diagnosis/report.ts";
import { ARMHF_ROOT, defaultCacheDir } from "../../scripts/build/node-base.ts";
import { buildTarget, type Artifact } from "../../scripts/build/run.ts";
import { TARGETS, type Arch } from "../../scripts/build/targets.ts";
import { CloudSim } from "../../sim/cloud/server.ts";
import { have, REQUIRED, ROOT } from "./helpers.ts";
import type { TelemetryMessage } from "../../shared/index.ts";
import { waitFor } from "../helpers/fleet.ts";
import { makeServerPki } from "../helpers/pki.ts";
import { RestartableFleet } from "../reliability/harness.ts";

const ARM64_ROOT = "/usr/aarch64-linux-gnu";
const canArm64 = have("qemu-aarch64-static") && exists(join(ARM64_ROOT, "lib", "ld-linux-aarch64.so.1"));
const canArmv7 = have("qemu-arm-static") && exists(join(ARMHF_ROOT, "lib", "ld-linux-armhf.so.3")) && exists(join(ARMHF_ROOT, "lib", "libatomic.so.1"));
const VERSION = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string }).version;

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}

/** How to run an executable of `arch` on this x64 host. */
function command(file: string, arch: Arch): string[] {
  if (arch === "arm64") return ["qemu-aarch64-static", "-L", ARM64_ROOT, file];
  if (arch === "armv7l") return ["qemu-arm-static", "-L", ARMHF_ROOT, file];
  return [file];
}

/** Runs asynchronously: the simulator answering the executable lives in this process's event loop. */
function run(file: string, arch: Arch, args: string[], cwd: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const [cmd, ...pre] = command(file, arch);
  return new Promise((resolve) => {
    const child = spawn(cmd!, [...pre, ...args], { cwd, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: cwd } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

let out = "";
let sim: CloudSim | null = null;
let urls = { url: "", wsUrl: "" };
const built = new Map<string, Artifact>();

beforeAll(async () => {
  out = mkdtempSync(join(tmpdir(), "edge-sea-"));
  const opts = { root: ROOT, outDir: out, cacheDir: defaultCacheDir(ROOT) };
  const agentArches: Arch[] = ["x64", ...(canArm64 || REQUIRED ? (["arm64"] as const) : []), ...(canArmv7 || REQUIRED ? (["armv7l"] as const) : [])];
  const fleetArches: Arch[] = ["x64", ...(canArm64 || REQUIRED ? (["arm64"] as const) : [])];
  for (const a of await buildTarget(TARGETS.agent!, { ...opts, arches: agentArches })) built.set(`agent-${a.arch}`, a);
  for (const a of await buildTarget(TARGETS.fleet!, { ...opts, arches: fleetArches })) built.set(`fleet-${a.arch}`, a);
  sim = new CloudSim();
  urls = await sim.start({ port: 0 });
}, 420_000);

afterAll(async () => {
  await sim?.stop();
  if (out) rmSync(out, { recursive: true, force: true });
});

/** An agent config aimed at the reference cloud; `--only` keeps the samplers out of the one-shot diagnosis. */
function agentConfig(dir: string, deviceId: string): string {
  const file = join(dir, `${deviceId}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      device: { id: deviceId, firmware_version: "1.0.0" },
      spool: { dir: join(dir, "spool") },
      cloud: { adapter: "realtime", realtime: { url: urls.wsUrl, voice_output: "text" }, status_page_url: urls.url, api_key: "sk-test-not-secret", interval_s: 0,
        // Emulation is slow: these runs check that the probes work, not how fast qemu is.
        latency_budget_first_ms: 60_000, latency_budget_total_ms: 120_000, probe_timeout_ms: 120_000 },
    }),
  );
  return file;
}

const cases: Array<{ arch: Arch; enabled: boolean }> = [
  { arch: "x64", enabled: true },
  { arch: "arm64", enabled: canArm64 || REQUIRED },
  { arch: "armv7l", enabled: canArmv7 || REQUIRED },
];

describe.each(cases)("edge-agent-linux-$arch", ({ arch, enabled }) => {
  it.skipIf(!enabled)("is one file that prints the package version and checks a config", async () => {
    const exe = built.get(`agent-${arch}`)!;
    expect(exe.file).toBe(join(out, `edge-agent-linux-${arch}`));
    const dir = mkdtempSync(join(out, "run-"));
    const v = await run(exe.file, arch, ["--version"], dir);
    expect(v.stdout.trim()).toBe(VERSION);
    expect(v.status).toBe(0);
    const ok = await run(exe.file, arch, ["config", "check", "--config", agentConfig(dir, `sea-${arch}`)], dir);
    expect(ok.stdout).toContain(`device sea-${arch}`);
    expect(ok.status).toBe(0);
    writeFileSync(join(dir, "bad.json"), JSON.stringify({ device: { id: "x" }, cadence: { telemetry_s: 1 } }));
    const bad = await run(exe.file, arch, ["config", "check", "--config", join(dir, "bad.json")], dir);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain("cadence.telemetry_s");
  });

  it.skipIf(!enabled)("runs a one-shot diagnose --json against the reference cloud", async () => {
    const exe = built.get(`agent-${arch}`)!;
    const dir = mkdtempSync(join(out, "run-"));
    const r = await run(exe.file, arch, ["diagnose", "--json", "--only", "status,text,voice", "--config", agentConfig(dir, `sea-${arch}`)], dir);
    const report = DiagnoseReport.parse(JSON.parse(r.stdout));
    expect(report.diagnosis.device_id).toBe(`sea-${arch}`);
    expect(report.diagnosis.versions.agent).toBe(VERSION);
    // The Node inside the executable, not this host's.
    expect(report.checklist.versions.node).toBe(`v${exe.node_version}`);
    // voice ok proves the canned utterance embedded in the executable was read and sent.
    const steps = Object.fromEntries(report.diagnosis.steps.map((s) => [s.name, s.status]));
    expect(steps).toMatchObject({ probe_status_page: "ok", probe_text: "ok", probe_voice: "ok" });
    expect(report.healthy, r.stderr).toBe(true);
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).not.toContain("sk-test-not-secret");
  });
});

describe.each(cases.filter((c) => c.arch !== "armv7l"))("edge-fleet-linux-$arch", ({ arch, enabled }) => {
  it.skipIf(!enabled)("provisions a device into its SQLite store", async () => {
    const exe = built.get(`fleet-${arch}`)!;
    const dir = mkdtempSync(join(out, "fleet-"));
    writeFileSync(join(dir, "fleet.json"), JSON.stringify({ store: { driver: "sqlite", path: join(dir, "fleet.db") } }));
    expect((await run(exe.file, arch, ["--version"], dir)).stdout.trim()).toBe(VERSION);
    const add = await run(exe.file, arch, ["devices", "add", "--config", join(dir, "fleet.json"), "--id", "spk-0001", "--out", join(dir, "creds.json")], dir);
    expect(add.status, add.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "creds.json"), "utf8"))).toMatchObject({ device_id: "spk-0001" });
  });
});

describe("edge-fleet-linux-x64 serving", () => {
  let child: ChildProcess | null = null;
  afterEach(() => {
    child?.kill("SIGKILL");
    child = null;
  });

  it("serves the dashboard it was built with (the executable carries no esbuild)", async () => {
    const exe = built.get("fleet-x64")!;
    const dir = mkdtempSync(join(out, "serve-"));
    writeFileSync(join(dir, "fleet.json"), JSON.stringify({ mqtt: { host: "127.0.0.1", port: 0 }, http: { host: "127.0.0.1", port: 0 }, store: { driver: "sqlite", path: join(dir, "fleet.db") } }));
    child = spawn(exe.file, ["serve", "--config", join(dir, "fleet.json")], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    const port = await new Promise<number>((resolve, reject) => {
      let buf = "";
      child!.stdout!.setEncoding("utf8").on("data", (d: string) => {
        buf += d;
        const m = /"msg":"fleet ready"/.test(buf) ? /"http":(\d+)/.exec(buf) : null;
        if (m) resolve(Number(m[1]));
      });
      child!.on("exit", (code) => reject(new Error(`edge-fleet exited with ${code}: ${buf}`)));
    });
    const page = await fetch(`http://127.0.0.1:${port}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("<html");
    const js = await fetch(`http://127.0.0.1:${port}/assets/app.js`);
    expect(js.status).toBe(200);
    expect((await js.text()).length).toBeGreaterThan(10_000);
  });
});

/**
 * The x64 agent executable in a real session: the executable replaces parts of its dependencies it never
 * runs (scripts/build/targets.ts: MQTT.js streams on Node's own `stream`, no SOCKS, no browser timers, no
 * pino worker transports), so its MQTT path is checked here end to end, over TLS with the CA pinned as a
 * device ships, and over WebSocket: online, a telemetry report stored, a command answered.
 */
describe("edge-agent-linux-x64 session with a fleet", () => {
  let pki = "";
  let fleet: RestartableFleet | null = null;
  let agent: ChildProcess | null = null;
  const seen: TelemetryMessage[] = [];

  beforeAll(async () => {
    pki = mkdtempSync(join(tmpdir(), "edge-sea-pki-"));
    makeServerPki(pki);
    fleet = new RestartableFleet({ mqtt: { tls: { port: 0, cert_file: join(pki, "server.pem"), key_file: join(pki, "server.key") }, ws: { port: 0 } } });
    (await fleet.start()).events.on("telemetry", (t) => seen.push(t));
  });
  afterEach(async () => {
    const a = agent;
    agent = null;
    if (!a || a.exitCode !== null || a.signalCode !== null) return;
    const exited = new Promise((r) => a.once("exit", r));
    a.kill("SIGTERM");
    const timer = setTimeout(() => a.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  });
  afterAll(async () => {
    try {
      await fleet?.dispose();
    } finally {
      if (pki) rmSync(pki, { recursive: true, force: true });
    }
  });

  it.each([
    { via: "mqtts:// (CA pinned)", url: () => `mqtts://127.0.0.1:${fleet!.server!.broker.ports.tls}`, id: "sea-tls" },
    { via: "ws://", url: () => `ws://127.0.0.1:${fleet!.server!.broker.ports.ws}/`, id: "sea-ws" },
  ])("reports and answers a command over $via", async ({ url, id }) => {
    const dir = mkdtempSync(join(out, "session-"));
    writeFileSync(join(dir, "creds.json"), JSON.stringify({ device_id: id, mqtt: { username: id, password: await fleet!.provision(id) } }));
    writeFileSync(
      join(dir, "agent.json"),
      JSON.stringify({
        mqtt: { url: url(), ca_file: join(pki, "ca.pem"), credentials_file: join(dir, "creds.json"), reconnect: { first_connect_jitter_ms: 0 } },
        spool: { dir: join(dir, "spool") },
        samplers: { start_jitter_ms: 0, audio: { capture: { mode: "off" } }, network: { icmp: { mode: "off" } } },
        cloud: { realtime: { url: urls.wsUrl, voice_output: "text" }, status_page_url: urls.url, api_key: "sk-test-not-secret", passive: { port: 0 } },
      }),
    );
    let output = "";
    agent = spawn(built.get("agent-x64")!.file, ["run", "--config", join(dir, "agent.json")], { cwd: dir, env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir } });
    for (const s of [agent.stdout!, agent.stderr!]) s.setEncoding("utf8").on("data", (d: string) => (output = (output + d).slice(-4000)));
    const server = fleet!.server!;
    await waitFor(async () => (await server.store.getDevice(id))?.online === true, 20_000, `${id} online (${output.slice(-800)})`);
    await waitFor(() => seen.find((t) => t.device_id === id), 20_000, `telemetry from ${id}`);
    const sent = await server.commands.send({ deviceId: id, name: "ping", issuer: "test" });
    await waitFor(async () => (await server.commands.get(sent.id))?.status === "ok", 20_000, `ping answered by ${id}`);
    expect(output).not.toContain("sk-test-not-secret");
    expect(output).not.toMatch(/is not part of the edge-agent executable/);
  }, 60_000);
});
