import { isTimeOrderedId, type DiagnosisMessage, type StateMessage } from "../../shared/index.ts";
import type { DeviceCredential, DeviceRecord, TicketRecord } from "./types.ts";

/**
 * Row → record mapping shared by both stores. The drivers differ only in column encoding: SQLite
 * returns JSON columns as text and booleans as 0/1; PostgreSQL returns jsonb as values, booleans as
 * booleans and bigints as numbers (the pool's int8 parser). Every JSON column holds an object or an
 * array, so a string value always means "JSON text to parse".
 */
export type Row = Record<string, unknown>;

/**
 * The ids applyState compares, in both stores: `current`, the will an online state names (kept only when
 * time-ordered, so it can be compared), and `will`, the msg_id of a Last Will (time-ordered ones only).
 * A will below the stored current one belongs to an earlier connection and is ignored; one at or above it
 * (this connection's, or a later one whose online state the fleet never saw) applies; without both ids
 * time-ordered every will applies, as before the ids existed.
 */
export function willIds(s: StateMessage): { will: string | null; current: string | null } {
  const current = s.status === "online" && s.will_msg_id && isTimeOrderedId(s.will_msg_id) ? s.will_msg_id : null;
  return { will: s.reason === "will" && isTimeOrderedId(s.msg_id) ? s.msg_id : null, current };
}

const num = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string | null => (typeof v === "string" ? v : null);
const bool = (v: unknown): boolean => v === true || v === 1;
/** A JSON column's value: parsed when the driver hands back text. */
export const json = <T>(v: unknown, fallback: T): T => (typeof v === "string" ? (JSON.parse(v) as T) : v === null || v === undefined ? fallback : (v as T));

export function toCredential(r: Row): DeviceCredential {
  return { id: r.id as string, secretHash: r.secret_hash as string, status: r.credential_status as DeviceCredential["status"], createdAt: Number(r.created_at), labels: json<Record<string, string>>(r.labels, {}) };
}

export function toDevice(r: Row): DeviceRecord {
  return {
    id: r.id as string,
    provisioned: r.credential_status !== "none",
    revoked: r.credential_status === "revoked",
    online: bool(r.online),
    lastSeen: num(r.last_seen),
    onlineSince: num(r.online_since),
    agentVersion: str(r.agent_version),
    firmwareVersion: str(r.firmware_version),
    model: str(r.model),
    region: str(r.region),
    appId: str(r.app_id),
    labels: json<Record<string, string>>(r.labels, {}),
    fault: (r.fault as DeviceRecord["fault"]) ?? null,
    faultSummary: str(r.fault_summary),
    telemetry: json<DeviceRecord["telemetry"]>(r.telemetry, null),
    lastDiagnosisAt: num(r.last_diagnosis_at),
  };
}

/** Ticket fields kept in the `state` JSON column: engine bookkeeping no query filters on. */
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

/** What `toTicket` reads back of a ticket just inserted as `t` with `id`, without reading it: the same defaults. */
export function insertedTicket(t: Omit<TicketRecord, "id">, id: number): TicketRecord {
  return { ...t, ...ticketState(t), family: t.family ?? null, incidentId: t.incidentId ?? null, resolvedAt: t.resolvedAt ?? null, closedAt: t.closedAt ?? null, id };
}

export function toTicket(r: Row): TicketRecord {
  const st = json<Partial<TicketState>>(r.state, {});
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
    evidence: json(r.evidence, {} as DiagnosisMessage),
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
