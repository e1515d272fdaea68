import { newMessageId, SCHEMA_VERSION, type DiagnosisMessage, type FaultClass, type StateMessage, type TelemetryMessage } from "../../shared/index.ts";

/** The static facts of one virtual device, as its retained state reports them. */
export interface VirtualDeviceFacts {
  id: string;
  model: string;
  region: string;
  firmware: string;
  appId: string;
}

/** Retained state (online at connect, or the Last Will with status offline). */
export function stateMessage(d: VirtualDeviceFacts, status: "online" | "offline", now: number, keepaliveS: number): StateMessage {
  return {
    v: SCHEMA_VERSION,
    device_id: d.id,
    ts: now,
    msg_id: newMessageId(),
    status,
    reason: status === "online" ? "startup" : "will",
    agent_version: "0.1.0-sim",
    firmware_version: d.firmware,
    model: d.model,
    region: d.region,
    app_id: d.appId,
    labels: { fleet: "sim" },
    keepalive_s: keepaliveS,
  };
}

/**
 * A telemetry report with plausible, slightly varying figures: a real agent's periodic report is
 * ~1 KB of JSON, and the broker's cost is mostly per message and per byte, so the size matters more
 * than the values.
 */
export function telemetryMessage(d: VirtualDeviceFacts, seq: number, now: number, rand: () => number): TelemetryMessage {
  return {
    v: SCHEMA_VERSION,
    device_id: d.id,
    ts: now,
    msg_id: newMessageId(),
    seq,
    samples: {
      system: {
        result: "ok",
        verdict: "ok",
        reason: "resources within limits",
        cpu_load_pct: Math.round(rand() * 400) / 10,
        load_avg_1m: Math.round(rand() * 150) / 100,
        cpu_count: 4,
        memory_used_mb: 400 + Math.round(rand() * 300),
        memory_total_mb: 2048,
        disk_path: "/var/lib/edge-agent",
        disk_free_mb: 900,
        disk_total_mb: 4096,
        temperature_c: 40 + Math.round(rand() * 200) / 10,
        uptime_s: Math.floor(now / 1000) % 1_000_000,
        app: null,
      },
    },
    ai: null,
    samplers: [{ name: "system", runs: seq + 1, errors: 0, timeouts: 0, skipped_overlaps: 0, last_duration_ms: 3, last_error: null }],
    spool: { depth: 0, dropped_total: 0, mode: "disk", condition: null },
    budget: { bytes_sent_today: seq * 1100, probes_today: 0, probe_bytes_today: 0 },
  };
}

const SUMMARY: Partial<Record<FaultClass, string>> = {
  none: "all checks passed",
  cloud_outage: "the AI service answers with server errors for text and audio; its status page reports an incident",
};

/** A diagnosis verdict; `cloud_outage` carries the vendor's server-family error code (DOMAIN.md). */
export function diagnosisMessage(d: VirtualDeviceFacts, fault: FaultClass, now: number): DiagnosisMessage {
  const failing = fault !== "none";
  return {
    v: SCHEMA_VERSION,
    device_id: d.id,
    ts: now,
    msg_id: newMessageId(),
    diagnosis_id: newMessageId(),
    trigger: "schedule",
    command_id: null,
    started_at: now - 900,
    duration_ms: 900,
    verdict: {
      fault,
      summary: SUMMARY[fault] ?? `simulated fault ${fault}`,
      error_code: fault === "cloud_outage" ? { code: "10401", family: "server", message: "service unavailable" } : null,
      evidence: [
        { check: "text_probe", status: failing ? "fail" : "ok", detail: failing ? "HTTP 503 from the text endpoint" : "answered in 420 ms" },
        { check: "status_page", status: failing ? "fail" : "ok", detail: failing ? "major outage reported" : "all systems operational" },
      ],
      actions: failing ? ["check the vendor's status page and wait for the incident to end"] : [],
    },
    steps: [
      { name: "text_probe", status: failing ? "fail" : "ok", duration_ms: 420, detail: "simulated" },
      { name: "status_page", status: failing ? "fail" : "ok", duration_ms: 80, detail: "simulated" },
    ],
    probes: [],
    versions: { agent: "0.1.0-sim", firmware: d.firmware, sdk: null },
    app_id: d.appId,
    scenario: null,
    log_excerpt: [],
  };
}
