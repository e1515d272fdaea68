import { describe, expect, it } from "vitest";
import { computeSla, DEFAULT_COMMITMENTS, measurementOf, percentile, type Measurement } from "./sla.ts";
import type { ProbeRun } from "../../shared/index.ts";

const NOV = Date.UTC(2026, 10, 10);
const DEC = Date.UTC(2026, 11, 10);

function m(at: number, region: string, ok: boolean, latencyMs: number | null, errorClass: string | null = null, deviceId = "d1"): Measurement {
  return { deviceId, region, at, probe: "text", ok, latencyMs, errorClass: ok ? null : errorClass };
}

describe("vendor SLA report", () => {
  it("computes nearest-rank percentiles", () => {
    const v = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(v, 50), percentile(v, 90), percentile(v, 99)]).toEqual([50, 90, 99]);
    expect(percentile([], 50)).toBeNull();
  });

  it("splits by month and region, counts every error class, and judges each commitment", () => {
    const ms: Measurement[] = [
      ...Array.from({ length: 998 }, (_, i) => m(NOV + i, "eu", true, i < 900 ? 400 : 900)),
      m(NOV + 5000, "eu", false, null, "timeout"),
      m(NOV + 5001, "eu", false, null, "auth"),
      ...Array.from({ length: 10 }, (_, i) => m(DEC + i, "us", true, 300)),
    ];
    const r = computeSla({ measurements: ms, tickets: [] }, DEFAULT_COMMITMENTS, { from: 0, to: DEC + 1e9, now: DEC });
    const nov = r.periods.find((p) => p.month === "2026-11" && p.region === "eu")!;
    expect(nov.runs).toBe(1000);
    // auth is the device's side: an error, but not unavailability
    expect(nov.availabilityPct).toBe(99.9);
    expect(nov.errorRatePct).toBe(0.2);
    expect(nov.errorsByClass).toEqual({ timeout: 1, auth: 1 });
    expect(nov.latencyMs).toEqual({ p50: 400, p90: 400, p99: 900 });
    expect(nov.met).toEqual({ availability: true, errorRate: false, latency: true });
    const dec = r.periods.find((p) => p.month === "2026-12")!;
    expect(dec).toMatchObject({ region: "us", runs: 10, availabilityPct: 100, met: { availability: true, errorRate: true, latency: true } });
    expect(r.overall.runs).toBe(1010);
  });

  it("counts a probe run once however many telemetry messages carried it, and lists cloud-side tickets as breaches", () => {
    const dup = m(NOV, "eu", false, null, "server");
    const tickets = [
      { id: 1, deviceId: "d1", region: "eu", fault: "cloud_outage" as const, severity: "P0" as const, title: "outage", openedAt: NOV },
      { id: 2, deviceId: "d1", region: "eu", fault: "voice_capture" as const, severity: "P1" as const, title: "mic", openedAt: NOV },
    ];
    const r = computeSla({ measurements: [dup, { ...dup }, m(NOV + 1, "eu", true, 500)], tickets }, { ...DEFAULT_COMMITMENTS, latencyMs: 450 }, { from: 0, to: DEC, now: DEC });
    expect(r.overall.runs).toBe(2);
    expect(r.overall.met.latency).toBe(false);
    expect(r.breaches.map((b) => b.ticketId)).toEqual([1]);
  });

  it("ignores probes that measured nothing", () => {
    const base = { probe: "text", adapter: "http", started_at: NOV, dns_ms: null, connect_ms: null, tls_ms: null, first_text_ms: null, first_audio_ms: null, total_ms: null, bytes_sent: 0, bytes_received: 0, transcript: null, transcript_ok: null, answer: null, answer_ok: null, request_id: null, error: null } as const;
    expect(measurementOf("d", "eu", { ...base, result: "skipped" } as ProbeRun)).toBeNull();
    expect(measurementOf("d", "eu", { ...base, probe: "status_page", adapter: "statuspage", result: "ok" } as ProbeRun)).toBeNull();
    expect(measurementOf("d", "eu", { ...base, result: "timeout" } as ProbeRun)).toMatchObject({ ok: false, errorClass: "timeout" });
  });

  it("counts the cloud's response latency, not the whole probe: first response after the request was sent", () => {
    const base = { probe: "voice", adapter: "realtime", started_at: NOV, result: "ok", dns_ms: 5, connect_ms: 40, tls_ms: 60, first_text_ms: 1350, first_audio_ms: 1300, total_ms: 3900, bytes_sent: 130_000, bytes_received: 9000, transcript: "what is the weather today", transcript_ok: true, answer: "Sunny.", answer_ok: true, request_id: null, error: null } as const;
    // connect, TLS and the upload took 850 ms; the vendor answered 450 ms after the turn ended, within a 600 ms commitment
    expect(measurementOf("d", "eu", { ...base, request_sent_ms: 850 })).toMatchObject({ ok: true, latencyMs: 450 });
    // an older agent without the request's end: its first audio from the probe's start
    expect(measurementOf("d", "eu", base)).toMatchObject({ ok: true, latencyMs: 1300 });
  });
});
