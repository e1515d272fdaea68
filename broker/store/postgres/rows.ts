import type { DiagnosisMessage } from "../../../shared/index.ts";
import type { DeviceCredential, DeviceRecord, TicketRecord } from "../types.ts";

/** A result row; bigint columns arrive as numbers (the pool's int8 parser), jsonb as values. */
export type Row = Record<string, unknown>;

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);

export function toCredential(r: Row): DeviceCredential {
  return { id: r.id as string, secretHash: r.secret_hash as string, status: r.credential_status as DeviceCredential["status"], createdAt: Number(r.created_at), labels: (r.labels as Record<string, string>) ?? {} };
}

export function toDevice(r: Row): DeviceRecord {
  return {
    id: r.id as string,
    provisioned: r.credential_status !== "none",
    revoked: r.credential_status === "revoked",
    online: r.online === true,
    lastSeen: num(r.last_seen),
    onlineSince: num(r.online_since),
    agentVersion: str(r.agent_version),
    firmwareVersion: str(r.firmware_version),
    model: str(r.model),
    region: str(r.region),
    appId: str(r.app_id),
    labels: (r.labels as Record<string, string>) ?? {},
    fault: (r.fault as DeviceRecord["fault"]) ?? null,
    faultSummary: str(r.fault_summary),
    telemetry: (r.telemetry as DeviceRecord["telemetry"]) ?? null,
    lastDiagnosisAt: num(r.last_diagnosis_at),
  };
}

/** Ticket fields kept in the `state` jsonb column: engine bookkeeping no query filters on (as in SQLite). */
type TicketState = Pick<
  TicketRecord,
  "component" | "firstSeen" | "suppressedBy" | "healthySince" | "verifiedAt" | "reopenCount" | "regression" | "transitions" | "flapping" | "labels" | "content" | "acknowledgedAt"
>;

export function ticketState(t: Omit<TicketRecord, "id">): TicketState {
  return {
    component: t.component ?? null,
    firstSeen: t.firstSeen ?? t.openedAt,
    suppressedBy: t.suppressedBy ?? null,
    healthySince: t.healthySince ?? null,
    verifiedAt: t.verifiedAt ?? null,
    reopenCount: t.reopenCount ?? 0,
    regression: t.regression ?? null,
    transitions: t.transitions ?? [],
    flapping: t.flapping ?? false,
    labels: t.labels ?? {},
    content: t.content ?? null,
    acknowledgedAt: t.acknowledgedAt ?? null,
  };
}

export function toTicket(r: Row): TicketRecord {
  const st = (r.state as Partial<TicketState> | null) ?? {};
  return {
    id: Number(r.id),
    fingerprint: r.fingerprint as string,
    deviceId: r.device_id as string,
    fault: r.fault as TicketRecord["fault"],
    family: str(r.family),
    status: r.status as TicketRecord["status"],
    severity: r.severity as TicketRecord["severity"],
    title: r.title as string,
    openedAt: Number(r.opened_at),
    updatedAt: Number(r.updated_at),
    lastSeen: Number(r.last_seen),
    occurrences: Number(r.occurrences),
    evidence: (r.evidence as DiagnosisMessage) ?? ({} as DiagnosisMessage),
    incidentId: num(r.incident_id),
    resolvedAt: num(r.resolved_at),
    closedAt: num(r.closed_at),
    component: st.component ?? null,
    firstSeen: st.firstSeen ?? Number(r.opened_at),
    suppressedBy: st.suppressedBy ?? null,
    healthySince: st.healthySince ?? null,
    verifiedAt: st.verifiedAt ?? null,
    reopenCount: st.reopenCount ?? 0,
    regression: st.regression ?? null,
    transitions: st.transitions ?? [],
    flapping: st.flapping ?? false,
    labels: st.labels ?? {},
    content: st.content ?? null,
    acknowledgedAt: st.acknowledgedAt ?? null,
  };
}
