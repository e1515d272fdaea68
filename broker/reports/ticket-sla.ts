import { SEVERITY_TABLE, type Severity } from "../../shared/index.ts";

/** A ticket's SLA clocks: when it must be acknowledged and resolved, and whether either was missed. */
export interface SlaClocks {
  respondBy: number;
  resolveBy: number | null;
  respondBreached: boolean;
  resolveBreached: boolean;
}

interface TicketLike {
  severity: Severity;
  status: string;
  openedAt: number;
  updatedAt: number;
  acknowledgedAt?: unknown;
  sla?: unknown;
}

/**
 * Clocks from the severity table on 24×7 coverage, for tickets whose engine does not supply its own
 * (the ticket engine of issue #6 knows business-hours calendars; its `sla` takes precedence).
 */
export function slaClocks(t: TicketLike, now: number): SlaClocks {
  if (t.sla && typeof t.sla === "object" && "respondBy" in t.sla) return t.sla as SlaClocks;
  const row = SEVERITY_TABLE[t.severity];
  const respondBy = t.openedAt + row.respondMinutes * 60_000;
  const resolveBy = row.resolveMinutes === null ? null : t.openedAt + row.resolveMinutes * 60_000;
  const ackAt = typeof t.acknowledgedAt === "number" ? t.acknowledgedAt : t.status === "open" ? null : t.updatedAt;
  const doneAt = t.status === "resolved" || t.status === "closed" ? t.updatedAt : null;
  return { respondBy, resolveBy, respondBreached: (ackAt ?? now) > respondBy, resolveBreached: resolveBy !== null && (doneAt ?? now) > resolveBy };
}
