/**
 * `npm run demo:fault -- <fault>` while `npm start` runs: injects a fault into the reference cloud (or the
 * demo's capture tap), then asks the device for a diagnosis through the fleet API, so the ticket opens
 * in the dashboard at once. `npm run demo:fault -- clear` removes it; the ticket resolves after the
 * hold-down and a passing verification diagnosis.
 */
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { writeCaptureTap } from "./demo-tap.ts";

const FAULTS: Record<string, { sim?: object; status?: object; tap?: "silent" }> = {
  cloud_outage: { sim: { http_status: 503, vendor_code: 10401 }, status: { indicator: "major", components: { "Realtime API": "major_outage" } } },
  cloud_latency: { sim: { delay_first_ms: 2500 } },
  cloud_content: { sim: { answer: "wrong" } },
  voice_cloud: { sim: { scope: "voice", transcript: "wrong" } },
  auth: { sim: { auth_reject: true } },
  quota: { sim: { vendor_code: 10301, http_status: 429 } },
  voice_capture: { tap: "silent" },
  clear: {},
};

const fault = process.argv[2];
if (!fault || !(fault in FAULTS)) {
  console.error(`name a fault to inject: ${Object.keys(FAULTS).join(", ")}; for example npm run demo:fault -- cloud_outage`);
  process.exit(2);
}
const dir = join(resolve(import.meta.dirname, ".."), ".data", "demo");
if (!existsSync(join(dir, "admin-token"))) {
  console.error("the demo is not running here; start it with npm start first");
  process.exit(2);
}
const token = readFileSync(join(dir, "admin-token"), "utf8").trim();
const sim = `http://127.0.0.1:${process.env.EDGE_SIM_PORT ?? 8787}`;
const api = `http://127.0.0.1:${process.env.EDGE_HTTP_PORT ?? 8080}`;
const f = FAULTS[fault]!;

const post = async (url: string, body: unknown, headers: Record<string, string> = {}) => {
  const r = await fetch(url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(`${url} answered ${r.status}: ${await r.text()}`);
  return r.json() as Promise<Record<string, unknown>>;
};

await fetch(`${sim}/_sim/faults`, { method: "DELETE" });
await post(`${sim}/_sim/status`, { indicator: "none", components: {} });
writeCaptureTap(join(dir, "capture-tap.wav"), f.tap ?? "healthy");
if (f.sim) await post(`${sim}/_sim/faults`, f.sim);
if (f.status) await post(`${sim}/_sim/status`, f.status);

const auth = { authorization: `Bearer ${token}` };
const devices = (await (await fetch(`${api}/api/devices`, { headers: auth })).json()) as { devices: { id: string }[] };
for (const d of devices.devices) {
  const r = await post(`${api}/api/devices/${d.id}/commands`, { name: "diagnose", ttl_s: 120 }, auth);
  console.log(`${fault === "clear" ? "fault cleared" : `fault ${fault} injected`}; diagnose sent to ${d.id} (command ${(r.command as { id: string }).id})`);
}
console.log(`watch it in the dashboard: ${api}/`);
