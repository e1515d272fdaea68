/**
 * The vendor SLA report: what the devices measured of the conversational-AI service (availability,
 * error rate by class, latency percentiles) per month and region, against the vendor's commitments,
 * with the cloud-side incidents that breached. Evidence a hardware maker can bring to its vendor.
 */
import { FAULTS, responseLatencyMs, type FaultClass, type ProbeRun, type Severity } from "../../shared/index.ts";
import type { FleetStore, TicketRecord } from "../store/types.ts";

/** What the vendor promised; defaults are DOMAIN.md's typical figures. */
export interface SlaCommitments {
  availabilityPct: number;
  errorRatePct: number;
  latencyMs: number;
  latencyPercentile: "p50" | "p90" | "p99";
}

export const DEFAULT_COMMITMENTS: Readonly<SlaCommitments> = Object.freeze({ availabilityPct: 99.9, errorRatePct: 0.1, latencyMs: 600, latencyPercentile: "p90" });

/** One probe run against the service, as the report counts it. */
export interface Measurement {
  deviceId: string;
  region: string;
  at: number;
  probe: "text" | "voice";
  ok: boolean;
  /**
   * The cloud's response latency (shared responseLatencyMs: first audio or text after the request was sent), what a
   * vendor's latency commitment is about; the whole answer's time depends on its length and the upload on the device.
   */
  latencyMs: number | null;
  /** null when ok; else the error family (auth, quota, server...) or the transport result (timeout, refused). */
  errorClass: string | null;
}

/**
 * Error classes that mean the service did not answer at all. auth, request and network failures are the
 * device's or its network's side, so they count as errors (shown by class) but not as unavailability.
 */
const UNAVAILABLE = new Set(["timeout", "refused", "server", "error"]);

/** Runs that measured the service; skipped and absent probes measured nothing. */
export function measurementOf(deviceId: string, region: string, run: ProbeRun): Measurement | null {
  if (run.probe === "status_page" || run.result === "skipped" || run.result === "absent" || run.result === "unavailable") return null;
  const ok = run.result === "ok";
  return { deviceId, region, at: run.started_at, probe: run.probe, ok, latencyMs: responseLatencyMs(run), errorClass: ok ? null : (run.error?.family ?? run.result) };
}

/** Nearest-rank percentile of sorted values; null for none. */
export function percentile(sorted: number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const round = (n: number, digits = 3) => Math.round(n * 10 ** digits) / 10 ** digits;

/** The figures for one set of measurements, and whether each commitment was met (null: no data). */
export function figures(ms: Measurement[], c: SlaCommitments) {
  const errorsByClass: Record<string, number> = {};
  let unavailable = 0;
  const latencies: number[] = [];
  for (const m of ms) {
    if (m.ok) {
      if (m.latencyMs !== null) latencies.push(m.latencyMs);
      continue;
    }
    const cls = m.errorClass ?? "error";
    errorsByClass[cls] = (errorsByClass[cls] ?? 0) + 1;
    if (UNAVAILABLE.has(cls)) unavailable++;
  }
  latencies.sort((a, b) => a - b);
  const runs = ms.length;
  const errors = runs - ms.filter((m) => m.ok).length;
  const availabilityPct = runs ? round(100 * (1 - unavailable / runs)) : null;
  const errorRatePct = runs ? round((100 * errors) / runs) : null;
  const latencyMs = { p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99) };
  const measured = latencyMs[c.latencyPercentile];
  return {
    runs,
    availabilityPct,
    errorRatePct,
    errorsByClass,
    latencyMs,
    met: {
      availability: availabilityPct === null ? null : availabilityPct >= c.availabilityPct,
      errorRate: errorRatePct === null ? null : errorRatePct <= c.errorRatePct,
      latency: measured === null ? null : measured <= c.latencyMs,
    },
  };
}

/** UTC month of a time, "2026-11". */
export const monthOf = (ms: number) => new Date(ms).toISOString().slice(0, 7);

export interface SlaInput {
  measurements: Measurement[];
  tickets: (Pick<TicketRecord, "id" | "deviceId" | "fault" | "severity" | "title" | "openedAt"> & { region: string })[];
}

/** Computes the report from measurements and tickets already limited to [from, to]. */
export function computeSla(input: SlaInput, c: SlaCommitments, range: { from: number; to: number; now: number }) {
  const seen = new Set<string>();
  const ms = input.measurements.filter((m) => {
    // the same summary rides on several telemetry messages, and a diagnosis repeats a probe run: count each run once
    const key = `${m.deviceId}|${m.probe}|${m.at}`;
    if (seen.has(key) || m.at < range.from || m.at > range.to) return false;
    seen.add(key);
    return true;
  });
  const groups = new Map<string, Measurement[]>();
  for (const m of ms) {
    const key = `${monthOf(m.at)}|${m.region}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  const periods = [...groups.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([key, list]) => {
      const [month, region] = key.split("|") as [string, string];
      return { month, region, ...figures(list, c) };
    });
  const breaches = input.tickets
    .filter((t) => FAULTS[t.fault].side === "cloud" && t.openedAt >= range.from && t.openedAt <= range.to)
    .sort((a, b) => a.openedAt - b.openedAt)
    .map((t) => ({ ticketId: t.id, deviceId: t.deviceId, region: t.region, month: monthOf(t.openedAt), fault: t.fault as FaultClass, severity: t.severity as Severity, title: t.title, openedAt: t.openedAt }));
  return { generatedAt: range.now, from: range.from, to: range.to, commitments: { ...c }, overall: figures(ms, c), periods, breaches };
}

export type SlaReportData = ReturnType<typeof computeSla>;

const DAY_MS = 86_400_000;

/** Gathers measurements from telemetry history and diagnoses in the store, then computes the report. */
export async function slaReport(store: FleetStore, c: SlaCommitments, q: { from?: number | undefined; to?: number | undefined; region?: string | undefined; now: number }): Promise<SlaReportData> {
  const to = q.to ?? q.now;
  const from = q.from ?? to - 90 * DAY_MS;
  const devices = (await store.listDevices({ limit: 1_000_000 })).filter((d) => !q.region || (d.region ?? "unknown") === q.region);
  const regionOf = new Map(devices.map((d) => [d.id, d.region ?? "unknown"]));
  const measurements: Measurement[] = [];
  const add = (id: string, run: ProbeRun | null | undefined) => {
    const m = run ? measurementOf(id, regionOf.get(id)!, run) : null;
    if (m) measurements.push(m);
  };
  for (const d of devices) {
    for (const h of await store.history(d.id, from, 1_000_000)) {
      add(d.id, h.telemetry.ai?.text);
      add(d.id, h.telemetry.ai?.voice);
    }
    for (const diag of await store.diagnoses(d.id, 1000)) for (const run of diag.message.probes) add(d.id, run);
  }
  const tickets = (await store.listTickets({ limit: 1_000_000 })).filter((t) => regionOf.has(t.deviceId)).map((t) => ({ ...t, region: regionOf.get(t.deviceId)! }));
  return computeSla({ measurements, tickets }, c, { from, to, now: q.now });
}
