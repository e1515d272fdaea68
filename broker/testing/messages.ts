import {
  encodeMessage,
  newMessageId,
  SCHEMA_VERSION,
  type DiagnosisMessage,
  type FaultClass,
  type StateMessage,
  type TelemetryMessage,
} from "../../shared/index.ts";

/** Test fixtures: valid messages of the shared contract, with the fields a test cares about overridable. */
export function stateMsg(deviceId: string, ts: number, o: Partial<StateMessage> = {}): StateMessage {
  return {
    v: SCHEMA_VERSION,
    device_id: deviceId,
    ts,
    msg_id: newMessageId(),
    status: "online",
    reason: "startup",
    agent_version: "1.0.0",
    firmware_version: "fw-1",
    model: "speaker-s1",
    region: "eu",
    app_id: "app-123",
    labels: {},
    keepalive_s: 30,
    ...o,
  };
}

export function telemetryMsg(deviceId: string, ts: number, seq = 0): TelemetryMessage {
  return {
    v: SCHEMA_VERSION,
    device_id: deviceId,
    ts,
    msg_id: newMessageId(),
    seq,
    samples: {},
    ai: null,
    samplers: [],
    spool: { depth: 0, dropped_total: 0, mode: "memory", condition: null },
    budget: { bytes_sent_today: 0, probes_today: 0, probe_bytes_today: 0 },
  };
}

export interface DiagOpts {
  fault?: FaultClass;
  trigger?: DiagnosisMessage["trigger"];
  family?: "network" | "auth" | "request" | "quota" | "server" | null;
  agent?: string;
  firmware?: string | null;
  msgId?: string;
}

export function diagnosisMsg(deviceId: string, ts: number, o: DiagOpts = {}): DiagnosisMessage {
  const fault = o.fault ?? "none";
  const family = o.family === undefined ? (fault === "cloud_outage" ? "server" : null) : o.family;
  const faulty = fault !== "none";
  return {
    v: SCHEMA_VERSION,
    device_id: deviceId,
    ts,
    msg_id: o.msgId ?? newMessageId(),
    diagnosis_id: newMessageId(),
    trigger: o.trigger ?? "schedule",
    command_id: null,
    started_at: ts - 1000,
    duration_ms: 900,
    verdict: {
      fault,
      summary: faulty ? `${fault} detected` : "healthy",
      error_code: family ? { code: "10401", family, message: "service unavailable: upstream overloaded (token=abcd1234secret)", http_status: 503 } : null,
      evidence: faulty
        ? [{ check: fault === "voice_capture" ? "audio" : "text", status: "fail", detail: `${fault} evidence`, figures: { rms_dbfs: -90 } }]
        : [{ check: "text", status: "ok", detail: "answered" }],
      actions: faulty ? ["do something"] : [],
    },
    steps: [
      { name: "text", status: faulty && fault !== "voice_capture" ? "fail" : "ok", duration_ms: 300, detail: "text probe" },
      { name: "voice", status: faulty ? "fail" : "ok", duration_ms: 400, detail: "canned utterance" },
    ],
    probes: [],
    versions: { agent: o.agent ?? "1.0.0", firmware: o.firmware === undefined ? "fw-1" : o.firmware, sdk: null },
    app_id: "app-123",
    scenario: "asking for the weather",
    log_excerpt: ["09:00:01 connect ok", "09:00:02 request failed Authorization: Bearer abcdefgh12345678"],
  };
}

export const encode = {
  state: (m: StateMessage) => encodeMessage("state", m),
  telemetry: (m: TelemetryMessage) => encodeMessage("telemetry", m),
  diagnosis: (m: DiagnosisMessage) => encodeMessage("diagnosis", m),
};
