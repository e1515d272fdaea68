/** Counters at one moment (performance.now ms; bytes the agent sent to the fleet and to the cloud; its CPU). */
export interface Snapshot {
  at: number;
  mqttSent: number;
  cloudSent: number;
  /** The agent's CPU time so far (user + system). */
  cpuMs: number;
}

/** A report the fleet stored, with the counters at that moment. */
export interface Mark extends Snapshot {
  kind: "state" | "telemetry" | "diagnosis";
}

/** One PUBLISH the agent sent, sized as it was on the wire. */
export interface Publish {
  kind: "telemetry" | "diagnosis" | "other";
  at: number;
  wire: number;
}

/** The median of a non-empty list (0 for an empty one). */
export function median(values: readonly number[]): number {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Size of an MQTT 3.1.1 PUBLISH on the wire: fixed header, topic, packet id (QoS > 0), payload. */
export function publishWireBytes(topic: string, payloadBytes: number, qos: number): number {
  const remaining = 2 + Buffer.byteLength(topic) + (qos > 0 ? 2 : 0) + payloadBytes;
  let lengthBytes = 1;
  for (let n = remaining; n >= 128; n = Math.floor(n / 128)) lengthBytes++;
  return 1 + lengthBytes + remaining;
}

/** Bytes per day by part, and the per-occurrence sizes they were built from. */
export interface DailyBytes {
  total: number;
  telemetry: number;
  diagnosis: number;
  other: number;
  telemetryMsgBytes: number;
  diagnosisBytes: number;
}

const DAY_S = 86_400;
const mean = (xs: readonly number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
const sent = (s: Snapshot) => s.mqttSent + s.cloudSent;

/**
 * Extrapolates one run to a day without multiplying start-up costs: each telemetry report × reports a
 * day; one diagnosis (its cloud probes plus the diagnosis report) × diagnoses a day; and the rest of the
 * steady window (pings, network sampler), with the reports and any scheduled diagnosis in it taken out,
 * as a rate. A short window then holds one or two reports without the estimate jumping by a report.
 */
export function dailyBytes(o: {
  publishes: readonly Publish[];
  steadyFrom: Snapshot;
  end: Snapshot;
  telemetryS: number;
  diagnosisS: number;
  /** Cloud bytes one diagnosis's probes sent, and those of the diagnoses inside the steady window. */
  probeCloudBytes: number;
  inWindowProbeCloudBytes: number;
}): DailyBytes {
  const telemetryMsgBytes = mean(o.publishes.filter((p) => p.kind === "telemetry").map((p) => p.wire));
  const diagnosisBytes = mean(o.publishes.filter((p) => p.kind === "diagnosis").map((p) => p.wire)) + o.probeCloudBytes;
  const inWindow = o.publishes.filter((p) => p.at >= o.steadyFrom.at && p.at <= o.end.at && p.kind !== "other");
  const windowS = (o.end.at - o.steadyFrom.at) / 1000;
  const rest = Math.max(0, sent(o.end) - sent(o.steadyFrom) - inWindow.reduce((a, p) => a + p.wire, 0) - o.inWindowProbeCloudBytes);
  const telemetry = telemetryMsgBytes * (DAY_S / o.telemetryS);
  const diagnosis = o.diagnosisS > 0 ? diagnosisBytes * (DAY_S / o.diagnosisS) : 0;
  const other = windowS > 0 ? (rest / windowS) * DAY_S : 0;
  return { total: telemetry + diagnosis + other, telemetry, diagnosis, other, telemetryMsgBytes, diagnosisBytes };
}

/**
 * What each diagnosis inside [from, to] cost in cloud bytes and agent CPU: its stored report minus the last
 * snapshot before it (snapshots come every second; a diagnosis takes a fraction of one).
 */
export function diagnosesIn(marks: readonly Mark[], snapshots: readonly Snapshot[], from: number, to: number): { cloudBytes: number; cpuMs: number }[] {
  return marks
    .filter((m) => m.kind === "diagnosis" && m.at > from && m.at <= to)
    .map((d) => {
      const before = snapshots.filter((s) => s.at < d.at).at(-1) ?? d;
      return { cloudBytes: d.cloudSent - before.cloudSent, cpuMs: d.cpuMs - before.cpuMs };
    });
}
