import { FAULTS, redact } from "../../shared/index.ts";
import type { IncidentNotification } from "./types.ts";

const PD_SEVERITY = { P0: "critical", P1: "error", P2: "warning", P3: "info" } as const;

function summary(n: IncidentNotification): string {
  const i = n.incident;
  const devices = i.deviceIds.length === 1 ? `device ${i.deviceIds[0]}` : `${i.peakDevices} devices (${Math.round(i.peakShare * 100)}% of the online fleet)`;
  const esc = n.action === "escalate" ? `ESCALATED (${n.reason}) ` : "";
  return `${esc}[${i.severity}] ${i.title} — ${devices}`.slice(0, 1024);
}

/**
 * PagerDuty Events API v2 (developer.pagerduty.com/docs/events-api-v2/trigger-events): `dedup_key` is
 * the incident's fingerprint key, so trigger, acknowledge and resolve address the same PD incident.
 */
export function pagerDutyPayload(n: IncidentNotification, routingKey: string, baseUrl?: string): Record<string, unknown> {
  const i = n.incident;
  const action = n.action === "escalate" ? "trigger" : n.action;
  const body: Record<string, unknown> = { routing_key: routingKey, event_action: action, dedup_key: i.key };
  if (action === "trigger") {
    body.payload = {
      summary: summary(n),
      source: i.deviceIds.length === 1 ? i.deviceIds[0] : "edge-fleet",
      severity: PD_SEVERITY[i.severity],
      timestamp: new Date(n.at).toISOString(),
      component: i.fault,
      group: Object.entries(i.groupLabels).map(([k, v]) => `${k}=${v}`).join(",") || undefined,
      class: i.family ?? i.side,
      custom_details: redact({
        incident_id: i.id,
        fingerprint: i.fingerprint,
        devices: i.deviceIds.slice(0, 100),
        device_count: i.deviceCount ?? i.deviceIds.length,
        regression: i.regression,
        flapping: i.flapping,
        respond_by: i.respondBy ? new Date(i.respondBy).toISOString() : null,
        actions: FAULTS[i.fault].actions,
        reason: n.reason,
      }),
    };
    if (baseUrl) body.links = [{ href: `${baseUrl.replace(/\/$/, "")}/#/incidents/${i.id}`, text: "Open in edge-fleet" }];
  }
  return body;
}

/** Slack incoming-webhook text (mrkdwn). */
export function slackPayload(n: IncidentNotification, baseUrl?: string): { text: string } {
  const i = n.incident;
  const icon = n.action === "resolve" ? ":white_check_mark:" : n.action === "acknowledge" ? ":eyes:" : n.action === "escalate" ? ":rotating_light:" : ":warning:";
  const lines = [
    `${icon} *${n.action.toUpperCase()}* ${summary(n)}`,
    `Incident #${i.id} · fault \`${i.fault}\`${i.family ? ` · family \`${i.family}\`` : ""} · status ${i.status}`,
    ...(i.regression ? [`Possible regression: ${i.regression.kind} ${i.regression.from ?? "?"} → ${i.regression.to ?? "?"}`] : []),
    ...(n.action === "trigger" || n.action === "escalate" ? [`Next: ${FAULTS[i.fault].actions[0] ?? "see the incident"}`] : []),
    ...(baseUrl ? [`<${baseUrl.replace(/\/$/, "")}/#/incidents/${i.id}|Open in edge-fleet>`] : []),
  ];
  return { text: lines.join("\n") };
}

/** The generic JSON body: the whole notification, redacted. */
export function jsonPayload(n: IncidentNotification): Record<string, unknown> {
  return redact({ action: n.action, reason: n.reason, at: n.at, incident: n.incident });
}
