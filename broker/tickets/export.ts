import { redact } from "../../shared/index.ts";
import type { IncidentRecord, TicketRecord } from "../store/types.ts";

const TICKET_COLUMNS = ["id", "incident_id", "status", "severity", "fault", "family", "component", "device_id", "title", "first_seen", "last_seen", "occurrences", "reopen_count", "suppressed_by", "regression", "summary"] as const;
// devices: the ids the incident record carries (its first 100; GET /api/incidents/:id lists every
// member ticket, one per device), device_count: how many devices it holds
const INCIDENT_COLUMNS = ["id", "status", "severity", "fault", "family", "title", "devices", "device_count", "peak_devices", "opened_at", "acknowledged_at", "resolved_at", "closed_at", "assignee", "escalations", "regression"] as const;

const iso = (t: number | null) => (t === null ? "" : new Date(t).toISOString());

/** One CSV cell (RFC 4180), with spreadsheet formula prefixes neutralised (CSV injection). */
export function csvCell(v: unknown): string {
  let s = v === null || v === undefined ? "" : String(v);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

const csv = (header: readonly string[], rows: unknown[][]) => [header.join(","), ...rows.map((r) => r.map(csvCell).join(","))].join("\r\n") + "\r\n";

/** Tickets as CSV, one row per device ticket, times in ISO 8601 UTC. */
export function ticketsToCsv(tickets: readonly TicketRecord[]): string {
  return csv(
    TICKET_COLUMNS,
    tickets.map((t) => [t.id, t.incidentId, t.status, t.severity, t.fault, t.family, t.component, t.deviceId, t.title, iso(t.firstSeen), iso(t.lastSeen), t.occurrences, t.reopenCount, t.suppressedBy, t.regression ? `${t.regression.kind} ${t.regression.from ?? ""}->${t.regression.to ?? ""}` : "", t.content?.summary ?? t.evidence?.verdict?.summary ?? ""]),
  );
}

/** Incidents as CSV. */
export function incidentsToCsv(incidents: readonly IncidentRecord[]): string {
  return csv(
    INCIDENT_COLUMNS,
    incidents.map((i) => [i.id, i.status, i.severity, i.fault, i.family, i.title, i.deviceIds.join(" "), i.deviceCount ?? i.deviceIds.length, i.peakDevices, iso(i.openedAt), iso(i.acknowledgedAt), iso(i.resolvedAt), iso(i.closedAt), i.assignee, i.escalations.length, i.regression ? `${i.regression.kind} ${i.regression.from ?? ""}->${i.regression.to ?? ""}` : ""]),
  );
}

/** The JSON export: incidents with their tickets, redacted once more on the way out. */
export function exportJson(incidents: readonly IncidentRecord[], tickets: readonly TicketRecord[], at: number): string {
  return JSON.stringify(redact({ exported_at: new Date(at).toISOString(), incidents, tickets }), null, 2);
}
