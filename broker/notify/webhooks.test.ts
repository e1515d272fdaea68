import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { NotifyConfig } from "../config/schema.ts";
import { SqliteStore } from "../store/sqlite/store.ts";
import type { IncidentRecord } from "../store/types.ts";
import { ManualScheduler } from "../testing/harness.ts";
import { pagerDutyPayload, slackPayload } from "./payloads.ts";
import type { IncidentNotification } from "./types.ts";
import { WebhookNotifier } from "./webhooks.ts";
import type { z } from "zod";

const incident: IncidentRecord = {
  id: 7, key: "cloud_outage:server:text", fingerprint: "cloud_outage:server:text", fault: "cloud_outage", family: "server", side: "cloud",
  groupLabels: {}, status: "open", severity: "P0", title: "Conversational-AI service outage (server errors)", openedAt: 1_767_000_000_000,
  updatedAt: 1_767_000_000_000, notifiedAt: null, acknowledgedAt: null, acknowledgedBy: null, resolvedAt: null, resolvedBy: null, closedAt: null,
  assignee: null, comments: [], deviceIds: ["dev-1", "dev-2"], peakDevices: 2, peakShare: 1, escalations: [], reopenCount: 0, flapping: false,
  regression: null, postmortem: null, respondBy: null, resolveBy: null,
};
const n = (action: IncidentNotification["action"]): IncidentNotification => ({ action, incident, reason: "2 device(s) affected", at: incident.openedAt });

let store: SqliteStore | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
});

async function notifier(cfg: z.input<typeof NotifyConfig>, statuses: (number | Error)[]) {
  store = new SqliteStore(":memory:");
  await store.open();
  const scheduler = new ManualScheduler();
  const calls: { url: string; body: unknown; at: number }[] = [];
  const fetch = async (url: string, init: { body: string }) => {
    calls.push({ url, body: JSON.parse(init.body), at: scheduler.now() });
    const s = statuses.shift() ?? 200;
    if (s instanceof Error) throw s;
    return { status: s };
  };
  const w = new WebhookNotifier({ config: NotifyConfig.parse(cfg), store, scheduler, log: pino({ level: "silent" }), fetch });
  return { w, calls, scheduler, store };
}

describe("webhook notifications", () => {
  it("retries with exponential backoff and delivers", async () => {
    const { w, calls, scheduler } = await notifier({ webhooks: [{ name: "ops", url: "https://hooks.example/ops" }], backoff_initial_ms: 1000 }, [503, new Error("ECONNRESET"), 200]);
    const t0 = scheduler.now();
    w.send(n("trigger"));
    await scheduler.advance(10_000);
    expect(calls.map((c) => c.at - t0)).toEqual([0, 1000, 3000]);
    expect(w.deliveries).toEqual([{ target: "ops", action: "trigger", incidentId: 7, attempts: 3, result: "delivered" }]);
  });

  it("writes a dead letter after the last attempt, and does not retry a 4xx", async () => {
    const { w, calls, scheduler, store } = await notifier(
      { webhooks: [{ name: "pd", url: "https://events.pagerduty.example/v2/enqueue", format: "pagerduty", routing_key: "R0UTINGKEY123" }, { name: "bad", url: "https://hooks.example/bad" }], max_attempts: 3 },
      [500, 400, 500, 500],
    );
    w.send(n("trigger"));
    await scheduler.advance(60_000);
    expect(calls.filter((c) => c.url.includes("pagerduty"))).toHaveLength(3);
    expect(calls.filter((c) => c.url.includes("bad"))).toHaveLength(1);
    const dead = await store.listDeadLetters();
    expect(dead.map((d) => [d.target, d.attempts, d.error]).sort()).toEqual([["bad", 1, "HTTP 400"], ["pd", 3, "HTTP 500"]]);
    // the integration key is not kept in the dead-letter table
    expect(JSON.stringify(dead)).not.toContain("R0UTINGKEY123");
  });

  it("skips targets above their minimum severity", async () => {
    const { w, calls, scheduler } = await notifier({ webhooks: [{ name: "pager", url: "https://hooks.example/p", min_severity: "P1" }] }, []);
    w.send({ ...n("trigger"), incident: { ...incident, severity: "P2" } });
    await scheduler.advance(1000);
    expect(calls).toHaveLength(0);
  });
});

describe("payloads", () => {
  it("speaks PagerDuty Events v2 with the incident key as dedup_key for trigger, acknowledge and resolve", () => {
    const trig = pagerDutyPayload(n("trigger"), "key");
    expect(trig).toMatchObject({ routing_key: "key", event_action: "trigger", dedup_key: "cloud_outage:server:text", payload: { severity: "critical", source: "edge-fleet", component: "cloud_outage", class: "server" } });
    expect((trig.payload as { summary: string }).summary).toContain("[P0]");
    expect(pagerDutyPayload(n("acknowledge"), "key")).toEqual({ routing_key: "key", event_action: "acknowledge", dedup_key: "cloud_outage:server:text" });
    expect(pagerDutyPayload(n("resolve"), "key")).toEqual({ routing_key: "key", event_action: "resolve", dedup_key: "cloud_outage:server:text" });
    expect(pagerDutyPayload(n("escalate"), "key")).toMatchObject({ event_action: "trigger" });
  });

  it("writes Slack text with severity, device count and the next action", () => {
    const { text } = slackPayload(n("trigger"), "https://fleet.example");
    expect(text).toContain("*TRIGGER* [P0] Conversational-AI service outage");
    expect(text).toContain("2 devices");
    expect(text).toContain("Next: Check the vendor status page");
    expect(text).toContain("<https://fleet.example/#/incidents/7|Open in edge-fleet>");
  });
});
