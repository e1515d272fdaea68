import pino from "pino";
import { topicFor } from "../../shared/index.ts";
import { TicketsConfig } from "../config/schema.ts";
import { FleetEvents } from "../events.ts";
import { IngestPipeline } from "../ingest/pipeline.ts";
import { Refusals } from "../mqtt/refusals.ts";
import type { IncidentNotification, NotificationSink } from "../notify/types.ts";
import { SqliteStore } from "../store/sqlite/store.ts";
import { TicketActionsApi } from "../tickets/actions.ts";
import { TicketEngine } from "../tickets/engine.ts";
import { ManualScheduler } from "./harness.ts";
import { diagnosisMsg, encode, stateMsg, type DiagOpts } from "./messages.ts";
import type { z } from "zod";

/** Records what the engine would notify. */
export class RecordingSink implements NotificationSink {
  readonly sent: IncidentNotification[] = [];
  send(n: IncidentNotification): void {
    this.sent.push(n);
  }
  of(action: IncidentNotification["action"]): IncidentNotification[] {
    return this.sent.filter((n) => n.action === action);
  }
}

/** The ticket engine behind a real ingest pipeline and an in-memory SQLite store, on a manual clock. */
export async function engineHarness(cfg: z.input<typeof TicketsConfig> = {}) {
  const log = pino({ level: "silent" });
  const store = new SqliteStore(":memory:");
  await store.open();
  const scheduler = new ManualScheduler();
  const events = new FleetEvents();
  const sink = new RecordingSink();
  const verifications: string[] = [];
  const engine = new TicketEngine({ store, events, log, config: TicketsConfig.parse(cfg), scheduler, notify: sink, requestVerification: (id) => void verifications.push(id) });
  const ingest = new IngestPipeline({ store, tickets: engine, events, refusals: new Refusals(log), log, maxPayloadBytes: 128 * 1024, historyPerDevice: 100, now: scheduler.now });
  engine.start();
  const api = new TicketActionsApi(engine);
  return {
    store,
    scheduler,
    events,
    sink,
    engine,
    ingest,
    api,
    verifications,
    /** Devices come online with a state message (region/firmware overridable). */
    async online(ids: string[], o: Parameters<typeof stateMsg>[2] = {}) {
      for (const id of ids) await ingest.handle(topicFor("state", id), encode.state(stateMsg(id, scheduler.now(), o)), id);
    },
    async offline(id: string) {
      await ingest.handle(topicFor("state", id), encode.state(stateMsg(id, scheduler.now(), { status: "offline", reason: "will" })), id);
    },
    async diagnose(id: string, o: DiagOpts = {}) {
      return ingest.handle(topicFor("diagnosis", id), encode.diagnosis(diagnosisMsg(id, scheduler.now(), o)), id);
    },
    async close() {
      engine.stop();
      await store.close();
    },
  };
}

export const devices = (n: number, prefix = "dev") => Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, "0")}`);
