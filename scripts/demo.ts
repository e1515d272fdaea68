/**
 * `npm start`: the whole loop on this machine, offline — the reference cloud simulator, the fleet
 * server (broker, API, dashboard) and an agent reporting this machine. State lives in .data/demo/.
 * Ports come from the environment (EDGE_HTTP_PORT, EDGE_MQTT_PORT, EDGE_SIM_PORT) or the defaults below.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { writeCaptureTap } from "./demo-tap.ts";

const root = resolve(import.meta.dirname, "..");
const dir = join(root, ".data", "demo");
const httpPort = Number(process.env.EDGE_HTTP_PORT ?? 8080);
const mqttPort = Number(process.env.EDGE_MQTT_PORT ?? 1884);
const simPort = Number(process.env.EDGE_SIM_PORT ?? 8787);
const deviceId = (process.env.EDGE_DEVICE_ID ?? hostname().replace(/[^A-Za-z0-9_.:-]/g, "-").replace(/^[^A-Za-z0-9]+/, "") ?? "this-machine").slice(0, 64) || "this-machine";
const node = process.execPath;
const children: ChildProcess[] = [];

function start(name: string, args: string[], env: NodeJS.ProcessEnv = {}): ChildProcess {
  const child = spawn(node, args, { cwd: root, env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit"] });
  child.on("exit", (code, signal) => {
    if (!stopping) console.error(`[demo] ${name} exited (${signal ?? code}); stopping the demo`);
    void stop(code ?? 1);
  });
  children.push(child);
  return child;
}

function run(args: string[]): Promise<number> {
  return new Promise((res) => spawn(node, args, { cwd: root, stdio: ["ignore", "ignore", "inherit"] }).on("exit", (c) => res(c ?? 1)));
}

async function waitHttp(url: string, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not come up at ${url} within ${timeoutMs / 1000} s; is the port free? set EDGE_HTTP_PORT / EDGE_MQTT_PORT / EDGE_SIM_PORT`);
}

let stopping = false;
async function stop(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  for (const c of children.reverse()) if (c.exitCode === null) c.kill("SIGTERM");
  // whatever has not stopped after 3 s is killed: the demo never leaves processes behind
  setTimeout(() => {
    for (const c of children) if (c.exitCode === null) c.kill("SIGKILL");
    process.exit(code);
  }, 3000).unref();
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));

mkdirSync(dir, { recursive: true });

const tapPath = join(dir, "capture-tap.wav");
// the demo's admin token: kept in a 0600 file so demo:fault and the CLI can use it
const tokenPath = join(dir, "admin-token");
if (!existsSync(tokenPath)) writeFileSync(tokenPath, randomBytes(32).toString("base64url"), { mode: 0o600 });
const adminToken = readFileSync(tokenPath, "utf8").trim();
if (!existsSync(tapPath)) writeCaptureTap(tapPath, "healthy");
const fleetConfigPath = join(dir, "fleet.json");
const agentConfigPath = join(dir, "agent.json");
const credentialsPath = join(dir, "device-credentials.json");
writeFileSync(
  fleetConfigPath,
  JSON.stringify(
    {
      mqtt: { host: "127.0.0.1", port: mqttPort },
      http: { host: "127.0.0.1", port: httpPort },
      store: { driver: "sqlite", path: join(dir, "fleet.db") },
      // short waits so a newcomer sees a ticket open and resolve within a minute
      tickets: { group_wait_ms: 2000, hold_down_ms: 15_000 },
      log: { level: "warn" },
    },
    null,
    2,
  ),
);
if (!existsSync(credentialsPath)) {
  const code = await run(["broker/cli/main.ts", "devices", "add", "--config", fleetConfigPath, "--id", deviceId, "--label", "site=demo", "--out", credentialsPath, "--mqtt-url", `mqtt://127.0.0.1:${mqttPort}`]);
  if (code !== 0) throw new Error("could not provision the demo device");
}
writeFileSync(
  agentConfigPath,
  JSON.stringify(
    {
      device: { firmware_version: "demo-1.0", model: "dev-machine", region: "local", app_id: "demo-app" },
      mqtt: { credentials_file: credentialsPath, url: `mqtt://127.0.0.1:${mqttPort}`, keepalive_s: 10 },
      cadence: { telemetry_s: 10 },
      spool: { dir: join(dir, "spool") },
      samplers: { start_jitter_ms: 1000, audio: { capture: { mode: "wav", wav_path: tapPath } } },
      cloud: { realtime: { url: `ws://127.0.0.1:${simPort}/v1/realtime` }, status_page_url: `http://127.0.0.1:${simPort}`, api_key: "demo-key-not-secret", interval_s: 120 },
      log: { level: "warn" },
    },
    null,
    2,
  ),
  { mode: 0o600 },
);

start("cloud simulator", ["sim/cloud/main.ts", "--port", String(simPort)]);
start("fleet", ["broker/cli/main.ts", "serve", "--config", fleetConfigPath], { EDGE_FLEET_ADMIN_TOKEN: adminToken });
await waitHttp(`http://127.0.0.1:${httpPort}/readyz`, "the fleet server");
start("agent", ["agent/cli/main.ts", "run", "--config", agentConfigPath]);

console.log(`
  edge support agent demo is running (Ctrl-C stops it)

  dashboard      http://127.0.0.1:${httpPort}/    sign in with the admin token: ${adminToken}
  devices API    http://127.0.0.1:${httpPort}/api/devices
  tickets API    http://127.0.0.1:${httpPort}/api/tickets
  metrics        http://127.0.0.1:${httpPort}/metrics
  MQTT broker    mqtt://127.0.0.1:${mqttPort}   (device '${deviceId}', credentials in ${credentialsPath})
  cloud sim      http://127.0.0.1:${simPort}

  inject a fault:  npm run demo:fault -- cloud_outage     (and: npm run demo:fault -- clear)
  diagnose now:    npx edge-agent diagnose --config ${agentConfigPath}
  fleet CLI:       EDGE_FLEET_URL=http://127.0.0.1:${httpPort} EDGE_FLEET_TOKEN=${adminToken} npx edge-fleet tickets
`);
