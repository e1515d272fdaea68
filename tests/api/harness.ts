import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FastifyInstance } from "fastify";
import pino from "pino";
import { FleetEvents } from "../../broker/events.ts";
import { buildApp, type AppOptions } from "../../broker/http/app.ts";
import type { Role } from "../../broker/http/auth/roles.ts";
import { SqliteTokenStore } from "../../broker/http/auth/tokens.ts";
import type { ApiCommand, ApiSilence, ApiTicket, CommandActions, SilenceActions, TicketActions } from "../../broker/http/ports.ts";
import { TicketsConfig } from "../../broker/config/schema.ts";
import { IngestPipeline } from "../../broker/ingest/pipeline.ts";
import { DeadLetterReplay } from "../../broker/ingest/replay.ts";
import { Refusals } from "../../broker/mqtt/refusals.ts";
import { SqliteStore } from "../../broker/store/sqlite/store.ts";
import { batchPerTick } from "../../broker/store/tick-batch.ts";
import { ManualScheduler } from "../../broker/testing/harness.ts";
import { TicketEngine } from "../../broker/tickets/engine.ts";
import type { TicketRecord } from "../../broker/store/types.ts";
import { diagnosisMsg } from "../../broker/testing/messages.ts";

/** In-memory stand-ins for the ticket engine, silences and the command service: the HTTP layer's contract. */
export function fakeUnits(store: SqliteStore) {
  const notes = new Map<number, Record<string, unknown>>();
  const get = async (id: number) => {
    const t = (await store.listTickets({ limit: 10_000 })).find((x) => x.id === id);
    return t ? ({ ...t, ...notes.get(id) } as ApiTicket) : null;
  };
  const patch = async (id: number, p: Record<string, unknown>) => {
    notes.set(id, { ...notes.get(id), ...p });
    return get(id);
  };
  const tickets: TicketActions = {
    get,
    acknowledge: async (id, actor) => ((await get(id))?.status === "open" ? patch(id, { status: "acknowledged", acknowledgedBy: actor }) : null),
    resolve: (id, actor, note) => patch(id, { status: "resolved", resolvedBy: actor, note }),
    assign: (id, _actor, assignee) => patch(id, { assignee }),
    comment: async (id, actor, text) => patch(id, { comments: [...(((notes.get(id) ?? {}).comments as unknown[]) ?? []), { actor, text }] }),
  };
  const silenceList: ApiSilence[] = [];
  const silences: SilenceActions = {
    list: async () => silenceList,
    create: async (o) => {
      const s = { id: `sil-${silenceList.length + 1}`, createdAt: 1, ...o };
      silenceList.push(s);
      return s;
    },
    remove: async (id, _actor) => {
      const i = silenceList.findIndex((s) => s.id === id);
      if (i >= 0) silenceList.splice(i, 1);
      return i >= 0;
    },
  };
  const sent: ApiCommand[] = [];
  const commands: CommandActions = {
    send: (o) => {
      const bundle = o.name === "bundle" ? { sha256: "0".repeat(64), bytes: 20, content: { logs: ["line"] } } : null;
      const c: ApiCommand = { id: `cmd${String(sent.length + 1).padStart(8, "0")}`, deviceId: o.deviceId, name: o.name, status: bundle ? "ok" : "queued", args: o.args, issuer: o.issuer, bundle };
      sent.push(c);
      return c;
    },
    get: (id) => sent.find((c) => c.id === id) ?? null,
  };
  return { tickets, silences, commands, sent, silenceList };
}

/** An app on a throw-away SQLite store with one token per role. */
export async function startApi(o: Partial<AppOptions> & { withUnits?: boolean } = {}) {
  const dir = mkdtempSync(join(tmpdir(), "edge-api-"));
  const store = new SqliteStore(join(dir, "fleet.db"));
  await store.open();
  const events = new FleetEvents();
  const units = fakeUnits(store);
  const tokens = new SqliteTokenStore(() => store.db);
  // dead-letter replay runs the real ingest (and ticket engine) over this store, batched per turn as in the fleet
  const log = pino({ level: process.env.TEST_LOG ?? "silent" });
  const batched = batchPerTick(store);
  const tickets = new TicketEngine({ store: batched, events, log, config: TicketsConfig.parse({}), scheduler: new ManualScheduler() });
  const ingest = new IngestPipeline({ store: batched, tickets, events, refusals: new Refusals(log), log, maxPayloadBytes: 65_536, historyPerDevice: 100 });
  const deadLetters = new DeadLetterReplay({ store: batched, ingest, now: Date.now, log });
  const app: FastifyInstance = await buildApp({
    store,
    events,
    log: pino({ level: process.env.TEST_LOG ?? "silent" }),
    ready: () => true,
    tokens,
    ...(o.withUnits === false ? {} : { tickets: units.tickets, silences: units.silences, commands: units.commands, deadLetters }),
    ...o,
  });
  const secrets = {} as Record<Role, string>;
  for (const role of ["viewer", "technician", "admin"] as const) secrets[role] = (await tokens.create({ name: `${role}-user`, role })).secret;
  const auth = (role: Role) => ({ authorization: `Bearer ${secrets[role]}` });
  return {
    app,
    store,
    events,
    units,
    tokens,
    secrets,
    auth,
    async close() {
      await app.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
export type Api = Awaited<ReturnType<typeof startApi>>;

/** A ticket row as the engine would store it, for seeding the store directly. */
export function ticketRow(deviceId: string, fault: TicketRecord["fault"], openedAt: number, o: Partial<TicketRecord> = {}): Omit<TicketRecord, "id"> {
  return {
    fingerprint: `${fault}:-`,
    deviceId,
    fault,
    family: null,
    status: "open",
    severity: "P1",
    title: `${fault} on ${deviceId}`,
    openedAt,
    updatedAt: openedAt,
    lastSeen: openedAt,
    occurrences: 1,
    evidence: diagnosisMsg(deviceId, openedAt, { fault }),
    incidentId: null,
    resolvedAt: null,
    closedAt: null,
    component: null,
    firstSeen: openedAt,
    suppressedBy: null,
    healthySince: null,
    verifiedAt: null,
    reopenCount: 0,
    regression: null,
    transitions: [],
    flapping: false,
    labels: {},
    content: null,
    acknowledgedAt: null,
    ...o,
  };
}
