import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { IncidentRecord } from "../broker/store/types.ts";
import { SimFleet } from "../sim/fleet/fleet.ts";
import type { SimIdentity } from "../sim/fleet/provision.ts";
import { BENCH_FLEET_CONFIG } from "./ingest.ts";
import { cpuMsOf, sleep, startBroker, type BrokerProcess } from "./lib/child.ts";
import type { BenchResult } from "./lib/report.ts";

const DEVICES = 10_000;
const GROUP_WAIT_MS = 5000;
const HOLD_DOWN_MS = 5000;
const STORM_MS = 5000;

interface Snapshot {
  incidents: IncidentRecord[];
  log: { action: string; id: number; severity: string; at: number }[];
  tickets: number;
  liveTickets: number;
}

/** Notifications as a webhook receiver sees them: the fleet posts its json payloads here. */
interface Received {
  action: string;
  incident: number;
  fault: string;
  severity: string;
  reason: string;
  /** When the fleet decided to send it (its own clock, same host); deliveries run concurrently and may arrive out of order. */
  firedAt: number;
  at: number;
}
async function webhookReceiver(): Promise<{ url: string; got: Received[]; close: () => Promise<void> }> {
  const got: Received[] = [];
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      try {
        const n = JSON.parse(body) as { action: string; incident: IncidentRecord; reason?: string; at?: number };
        got.push({ action: n.action, incident: n.incident.id, fault: n.incident.fault, severity: n.incident.severity, reason: n.reason ?? "", firedAt: n.at ?? Date.now(), at: Date.now() });
      } catch {
        /* not a notification: counted as nothing */
      }
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, got, close: () => new Promise((r) => server.close(() => r())) };
}

/** Connects the simulated fleet and waits until every device is online (or 3 minutes pass). */
async function connect(b: BrokerProcess, ids: SimIdentity[]): Promise<SimFleet> {
  const sim = new SimFleet({ host: "127.0.0.1", port: b.port, devices: ids, connectSpreadMs: 2000, connectConcurrency: 500, telemetryIntervalMs: 0, keepaliveS: 120 });
  sim.start();
  const t = Date.now();
  while (sim.stats.online < ids.length && Date.now() - t < 180_000) await sleep(200);
  await sleep(1000);
  return sim;
}

/** The storm's reports, acknowledged (QoS 1): how long until the last PUBACK, and the broker's CPU meanwhile. */
async function burst(b: BrokerProcess, sim: SimFleet, ids: SimIdentity[], fault: "cloud_outage" | "none") {
  const cpu0 = cpuMsOf(b.pid);
  const t0 = Date.now();
  const sent = await sim.report(ids, fault, STORM_MS);
  return { acked: sent.acked, ingestS: (Date.now() - t0) / 1000, brokerCpuMs: cpuMsOf(b.pid) - cpu0, t0, end: Date.now() };
}

/** The fleet side: 10,000 devices report cloud_outage within 5 s, then all recover. */
async function fleetStorm(ids: SimIdentity[], b: BrokerProcess, hook: Awaited<ReturnType<typeof webhookReceiver>>) {
  const sim = await connect(b, ids);
  const storm = await burst(b, sim, ids, "cloud_outage");
  let snap = await b.call<Snapshot>("incidents", "light");
  const cloud = () => snap.incidents.filter((i) => i.fault === "cloud_outage");
  while (!cloud().some((i) => i.notifiedAt) && Date.now() - storm.t0 < 60_000) {
    await sleep(250);
    snap = await b.call<Snapshot>("incidents", "light");
  }
  // let every report of the storm land before counting what the store holds
  await sleep(1000);
  snap = await b.call<Snapshot>("incidents");
  const opened = cloud();
  const first = opened.at(-1) ?? null;
  const atPeak = { liveTickets: snap.liveTickets, tickets: snap.tickets, deviceCount: first?.deviceCount ?? null, activeDevices: first?.activeDevices ?? null };

  const recovery = await burst(b, sim, ids, "none");
  let resolvedAt: number | null = null;
  while (Date.now() - recovery.t0 < 120_000) {
    snap = await b.call<Snapshot>("incidents", "light");
    const inc = snap.incidents.find((i) => i.id === first?.id);
    if (inc && (inc.status === "resolved" || inc.status === "closed")) {
      resolvedAt = inc.resolvedAt ?? Date.now();
      break;
    }
    await sleep(500);
  }
  await sleep(1500); // the resolve notification's delivery
  await sim.stop();
  // in the order the fleet sent them, not the order they arrived
  const sent = hook.got.filter((n) => n.fault === "cloud_outage").sort((a, b) => a.firedAt - b.firedAt);
  return {
    storm,
    recovery,
    incidents: opened.length,
    openedEvents: snap.log.filter((e) => e.action === "opened").length,
    severity: first?.severity ?? null,
    peakDevices: first?.peakDevices ?? null,
    notifyLagMs: first?.notifiedAt ? first.notifiedAt - (first.openedAt + GROUP_WAIT_MS) : null,
    atPeak,
    triggers: sent.filter((n) => n.action === "trigger").length,
    firstSeverity: sent[0]?.severity ?? null,
    // what each webhook said, when (from the first storm report)
    sent: sent.map((n) => `${n.action} ${n.severity} sent at +${((n.firedAt - storm.t0) / 1000).toFixed(1)} s, received at +${((n.at - storm.t0) / 1000).toFixed(1)} s (${n.reason})`),
    resolves: sent.filter((n) => n.action === "resolve").length,
    resolveAfterRecoveryS: resolvedAt ? (resolvedAt - recovery.end) / 1000 : null,
  };
}

/**
 * The outage storm (issue #9): 10,000 devices report cloud_outage within 5 s → exactly one P0 incident
 * holding all of them, one notification within 1 s after the group wait; recovery → auto-resolve. The
 * baseline is the same 10,000 reports from the same simulated fleet through raw aedes (no hooks, no
 * pipeline, no tickets), same run: the ratio is what ingestion plus ticketing costs over the broker alone.
 */
export async function stormBench(): Promise<BenchResult> {
  const t0 = Date.now();
  const hook = await webhookReceiver();
  const config = {
    ...BENCH_FLEET_CONFIG,
    // the periodic pass decides the group wait's end; 200 ms keeps its granularity below the 1 s target
    tickets: { group_wait_ms: GROUP_WAIT_MS, hold_down_ms: HOLD_DOWN_MS, evaluate_interval_ms: 200 },
    notify: { webhooks: [{ name: "bench", url: hook.url, format: "json" as const }] },
  };
  const fleet = await startBroker("fleet", config);
  const ids = await fleet.call<SimIdentity[]>("provision", { count: DEVICES, prefix: "storm" });
  const f = await fleetStorm(ids, fleet, hook);
  await fleet.stop();
  await hook.close();

  const raw = await startBroker("raw");
  const rawSim = await connect(raw, ids);
  const r = await burst(raw, rawSim, ids, "cloud_outage");
  await rawSim.stop();
  await raw.stop();

  const perMsg = (cpuMs: number, n: number) => (n ? (cpuMs * 1000) / n : null);
  const fUs = perMsg(f.storm.brokerCpuMs, f.storm.acked);
  const rUs = perMsg(r.brokerCpuMs, r.acked);
  const n = DEVICES.toLocaleString("en-US");
  return {
    name: "storm",
    title: `${n} devices report cloud_outage within ${STORM_MS / 1000} s (group wait ${GROUP_WAIT_MS / 1000} s), then all report healthy (hold-down ${HOLD_DOWN_MS / 1000} s, verification on request)`,
    baseline: `the same ${n} diagnosis reports from the same simulated fleet through raw aedes (no hooks, no pipeline, no tickets), same run`,
    figures: [
      { metric: "reports acknowledged", value: f.storm.acked, unit: "reports", baseline: r.acked, target: n, pass: f.storm.acked === DEVICES },
      { metric: "storm reports all acknowledged after", value: f.storm.ingestS, unit: "s", baseline: r.ingestS, ratio: f.storm.ingestS / r.ingestS },
      { metric: "broker CPU per storm report", value: fUs, unit: "µs", baseline: rUs, ratio: fUs !== null && rUs ? fUs / rUs : null },
      { metric: "cloud_outage incidents", value: f.incidents, unit: "incidents", target: "exactly 1", pass: f.incidents === 1 && f.openedEvents <= 1 },
      { metric: "devices linked to the incident", value: f.atPeak.deviceCount, unit: "devices", target: n, pass: f.atPeak.deviceCount === DEVICES && f.atPeak.liveTickets === DEVICES },
      { metric: "incident severity P0", value: f.severity === "P0" ? 1 : 0, unit: "bool", target: "P0", pass: f.severity === "P0" },
      { metric: "notification after the group wait", value: f.notifyLagMs, unit: "ms", target: "≤ 1000 ms", pass: f.notifyLagMs !== null && f.notifyLagMs >= 0 && f.notifyLagMs <= 1000 },
      // the issue asks for the P0 page itself within 1 s of the group wait, not a lower one raised later
      { metric: "that first notification is P0", value: f.firstSeverity === "P0" ? 1 : 0, unit: "bool", target: "P0", pass: f.firstSeverity === "P0" },
      { metric: "trigger notifications received", value: f.triggers, unit: "webhooks", target: "exactly 1", pass: f.triggers === 1 },
      { metric: "auto-resolve after the last recovery report", value: f.resolveAfterRecoveryS, unit: "s", target: "resolves", pass: f.resolveAfterRecoveryS !== null && f.resolves === 1 },
    ],
    notes: [
      `store at the peak: ${f.atPeak.tickets} tickets, ${f.atPeak.liveTickets} live (one per device), incident membership ${f.atPeak.deviceCount} devices (${f.atPeak.activeDevices} affected now); ${f.openedEvents} incident 'opened' event(s), peak ${f.peakDevices} devices`,
      `webhooks received: ${f.sent.join("; ") || "none"}; recovery reports acknowledged after ${f.recovery.ingestS.toFixed(1)} s`,
      "the severity at the group wait's end is decided by what the fleet has ingested by then: a fleet still working through the storm's reports then sees part of the fleet affected (P1 below 50 % of online devices), and raises the incident to P0 with a second trigger when the rest arrive",
      `the reports are spread over ${STORM_MS / 1000} s by the simulator; "acknowledged after" is from the first send to the last PUBACK`,
    ],
    durationS: (Date.now() - t0) / 1000,
  };
}
