import { FAULTS } from "../../shared/index.ts";
import type { AuditEntry, IncidentRecord, Postmortem } from "../store/types.ts";

/**
 * The review stage of DOMAIN.md: a resolved P0/P1 incident carries a postmortem template with what
 * the fleet already knows (impact, timeline) and the parts a person writes (cause, actions).
 */
export function postmortemTemplate(i: IncidentRecord, audit: readonly AuditEntry[]): Postmortem {
  const minutes = Math.round(((i.resolvedAt ?? i.updatedAt) - i.openedAt) / 60_000);
  const timeline = [
    { at: i.openedAt, event: `incident opened: ${i.title}` },
    ...(i.notifiedAt ? [{ at: i.notifiedAt, event: "first notification sent" }] : []),
    ...i.escalations.map((e) => ({ at: e.at, event: `${e.clock} SLA breached at ${e.severity}; escalated` })),
    ...audit.map((a) => ({ at: a.at, event: `${a.action} by ${a.actor}` })),
    ...(i.resolvedAt ? [{ at: i.resolvedAt, event: `resolved by ${i.resolvedBy ?? "unknown"}` }] : []),
  ].sort((a, b) => a.at - b.at);
  return {
    cause: `TODO: root cause. Fleet view: ${FAULTS[i.fault].title}${i.family ? ` (error family ${i.family})` : ""}${i.regression ? `; possible regression after ${i.regression.kind} ${i.regression.from ?? "?"} → ${i.regression.to ?? "?"}` : ""}.`,
    impact: `${i.peakDevices} device(s) at the peak (${Math.round(i.peakShare * 100)}% of the online fleet), ${i.deviceCount ?? i.deviceIds.length} in total, for ${minutes} min; severity ${i.severity}.`,
    timeline,
    actions: ["TODO: prevention actions (owner, due date)", ...FAULTS[i.fault].actions.map((a) => `Check: ${a}`)],
  };
}
