import { maskString, redact, severityRank } from "../../shared/index.ts";
import type { FleetConfig } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import type { FleetStore } from "../store/types.ts";
import type { Scheduler } from "../tickets/scheduler.ts";
import { jsonPayload, pagerDutyPayload, slackPayload } from "./payloads.ts";
import type { IncidentNotification, NotificationSink } from "./types.ts";

type Fetch = (url: string, init: { method: string; headers: Record<string, string>; body: string; signal: AbortSignal }) => Promise<{ status: number }>;

/** One delivery outcome, for metrics and tests. */
export interface DeliveryRecord {
  target: string;
  action: IncidentNotification["action"];
  incidentId: number;
  attempts: number;
  result: "delivered" | "dead_letter";
}

/**
 * Delivers notifications to webhooks (generic JSON, PagerDuty Events v2, Slack) with retries and
 * exponential backoff; a notification that still fails after `max_attempts` is written to the dead-letter
 * table with its body and last error. A 4xx other than 408/429 is not retried: the payload or the key is wrong.
 */
export class WebhookNotifier implements NotificationSink {
  readonly deliveries: DeliveryRecord[] = [];
  #cfg: FleetConfig["notify"];
  #store: FleetStore;
  #scheduler: Scheduler;
  #log: Logger;
  #fetch: Fetch;
  #timers = new Set<() => void>();
  #stopped = false;

  constructor(o: { config: FleetConfig["notify"]; store: FleetStore; scheduler: Scheduler; log: Logger; fetch?: Fetch }) {
    this.#cfg = o.config;
    this.#store = o.store;
    this.#scheduler = o.scheduler;
    this.#log = o.log;
    this.#fetch = o.fetch ?? ((url, init) => fetch(url, init));
  }

  send(n: IncidentNotification): void {
    if (this.#stopped) return;
    for (const t of this.#cfg.webhooks) {
      if (severityRank(n.incident.severity) > severityRank(t.min_severity)) continue;
      const body = t.format === "pagerduty" ? pagerDutyPayload(n, t.routing_key ?? "", this.#cfg.base_url) : t.format === "slack" ? slackPayload(n, this.#cfg.base_url) : jsonPayload(n);
      void this.#attempt(t, n, JSON.stringify(body), 1);
    }
  }

  /** Cancels pending retries; what was not delivered is dead-lettered by nobody (the engine re-notifies on restart). */
  stop(): void {
    this.#stopped = true;
    for (const cancel of this.#timers) cancel();
    this.#timers.clear();
  }

  async #attempt(t: FleetConfig["notify"]["webhooks"][number], n: IncidentNotification, body: string, attempt: number): Promise<void> {
    let error: string;
    let retry = true;
    const ac = new AbortController();
    const cancelTimeout = this.#scheduler.after(this.#cfg.timeout_ms, () => ac.abort());
    try {
      const res = await this.#fetch(t.url, { method: "POST", headers: { "content-type": "application/json", ...t.headers }, body, signal: ac.signal });
      if (res.status >= 200 && res.status < 300) {
        this.deliveries.push({ target: t.name, action: n.action, incidentId: n.incident.id, attempts: attempt, result: "delivered" });
        return;
      }
      error = `HTTP ${res.status}`;
      retry = res.status >= 500 || res.status === 408 || res.status === 429;
    } catch (err) {
      error = maskString((err as Error).message);
    } finally {
      cancelTimeout();
    }
    if (retry && attempt < this.#cfg.max_attempts && !this.#stopped) {
      const delay = Math.min(this.#cfg.backoff_max_ms, this.#cfg.backoff_initial_ms * 2 ** (attempt - 1));
      const cancel = this.#scheduler.after(delay, () => {
        this.#timers.delete(cancel);
        void this.#attempt(t, n, body, attempt + 1);
      });
      this.#timers.add(cancel);
      return;
    }
    this.deliveries.push({ target: t.name, action: n.action, incidentId: n.incident.id, attempts: attempt, result: "dead_letter" });
    this.#log.error({ target: t.name, incident: n.incident.id, attempts: attempt, error }, "notification dead-lettered");
    await this.#store.addDeadLetter({ at: this.#scheduler.now(), target: t.name, attempts: attempt, error, body: redact(JSON.parse(body) as unknown, t.routing_key ? [t.routing_key] : []) }).catch((err: Error) => this.#log.error({ err }, "dead letter not stored"));
  }
}
