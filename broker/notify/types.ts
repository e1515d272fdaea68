import type { IncidentRecord } from "../store/types.ts";

/** What the ticket engine tells the outside world about an incident. */
export interface IncidentNotification {
  /** PagerDuty Events v2 actions, plus `escalate` (an SLA breach, sent as a trigger with the escalation noted). */
  action: "trigger" | "acknowledge" | "resolve" | "escalate";
  incident: IncidentRecord;
  reason: string;
  at: number;
}

/** Where notifications go; the engine never waits for delivery. */
export interface NotificationSink {
  send(n: IncidentNotification): void;
}
