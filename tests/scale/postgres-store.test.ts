import { afterAll, beforeAll, describe, expect, it } from "vitest";
import pino from "pino";
import { TicketsConfig } from "../../broker/config/schema.ts";
import { FleetEvents } from "../../broker/events.ts";
import { IngestPipeline } from "../../broker/ingest/pipeline.ts";
import { DeadLetterReplay } from "../../broker/ingest/replay.ts";
import { Refusals } from "../../broker/mqtt/refusals.ts";
import { isStoreFailure } from "../../broker/store/failures.ts";
import { ManualScheduler } from "../../broker/testing/harness.ts";
import { TicketEngine } from "../../broker/tickets/engine.ts";
import { PostgresStore } from "../../broker/store/postgres/store.ts";
import type { TicketRecord } from "../../broker/store/types.ts";
import { decodeMessage, newMessageId, topicFor } from "../../shared/index.ts";
import { diagnosisMessage, stateMessage, telemetryMessage } from "../../sim/fleet/messages.ts";
import { seededRandom } from "../../sim/fleet/provision.ts";
import { waitFor } from "../helpers/wait.ts";
import { requireService, runToken } from "./services.ts";

// trust auth on the CI machine; PGUSER overrides (the role is postgres or root depending on the image)
const URL = `postgres://${process.env.PGUSER ?? "postgres"}@127.0.0.1:5432/test`;
const available = await requireService("PostgreSQL", "127.0.0.1", 5432);

describe.runIf(available)("PostgreSQL store", () => {
  const schema = `t_${runToken()}`;
  const store = new PostgresStore({ url: URL, schema });
  const facts = (id: string) => ({ id, model: "speaker-mini", region: "eu-west", firmware: "fw-1", appId: "app-1" });

  beforeAll(async () => {
    await store.open();
  });
  afterAll(async () => {
    await store.dropSchema();
    await store.close();
  });

  function ticket(deviceId: string, at: number): Omit<TicketRecord, "id"> {
    const d = diagnosisMessage(facts(deviceId), "cloud_outage", at);
    return {
      fingerprint: "cloud_outage:server", deviceId, fault: "cloud_outage", family: "server", status: "open", severity: "P1", title: "cloud outage",
      openedAt: at, updatedAt: at, lastSeen: at, occurrences: 1, evidence: d, incidentId: null, resolvedAt: null, closedAt: null, component: null,
      firstSeen: at, suppressedBy: null, healthySince: null, verifiedAt: null, reopenCount: 0, regression: null, transitions: [], flapping: false,
      labels: { region: "eu-west" }, content: null, acknowledgedAt: null,
    };
  }

  it("migrates idempotently: a second replica opening the same schema finds it ready", async () => {
    const other = new PostgresStore({ url: URL, schema });
    await other.open();
    await other.close();
  });

  it("keeps credentials and refuses a message id seen before (QoS 1 redelivery)", async () => {
    await store.addCredential({ id: "dev-1", secretHash: "scrypt$x", status: "active", createdAt: 1_700_000_000_000, labels: { site: "a" } });
    expect(await store.getCredential("dev-1")).toEqual({ id: "dev-1", secretHash: "scrypt$x", status: "active", createdAt: 1_700_000_000_000, labels: { site: "a" } });
    expect(await store.setCredentialStatus("dev-1", "revoked")).toBe(true);
    expect((await store.getCredential("dev-1"))?.status).toBe("revoked");
    expect(await store.setCredentialStatus("nobody", "revoked")).toBe(false);
    await store.addCredential({ id: "dev-1b", secretHash: "scrypt$y", status: "active", createdAt: 1_700_000_000_000, labels: {} });
    expect((await store.listCredentials({ status: "revoked" })).map((c) => c.id)).toEqual(["dev-1"]);
    expect((await store.listCredentials()).map((c) => c.id)).toEqual(expect.arrayContaining(["dev-1", "dev-1b"]));
  });

  it("refuses a message id once its report is stored, and stores a redelivered report only once", async () => {
    const now = Date.now();
    const t = telemetryMessage(facts("dev-r"), 1, now, seededRandom(1));
    // the id is recorded by the report's own write, in the same statement: seen ⇔ stored
    expect(await store.markSeen(t.msg_id, "dev-r", now)).toBe("new");
    await store.applyTelemetry(t, now, 10);
    expect(await store.markSeen(t.msg_id, "dev-r", now + 1)).toBe("stored");
    await store.applyTelemetry(t, now + 1, 10);
    expect(await store.history("dev-r", 0, 100)).toHaveLength(1);
    // a report whose write never happened (the database went away in between) is not "seen": its redelivery is stored
    const lost = telemetryMessage(facts("dev-r"), 2, now + 2, seededRandom(2));
    expect(await store.markSeen(lost.msg_id, "dev-r", now)).toBe("new");
    expect(await store.markSeen(lost.msg_id, "dev-r", now + 1)).toBe("new");
    const d = diagnosisMessage(facts("dev-r"), "none", now);
    expect(await store.markSeen(d.msg_id, "dev-r", now)).toBe("new");
    await store.applyDiagnosis(d, now);
    await store.applyDiagnosis(d, now + 5);
    // stored with its row, unfinished until its ticket's statements are done: a redelivery finishes them
    expect(await store.markSeen(d.msg_id, "dev-r", now)).toBe("unfinished");
    await store.finishSeen(d.msg_id);
    expect(await store.markSeen(d.msg_id, "dev-r", now)).toBe("stored");
    expect(await store.diagnoses("dev-r", 10)).toHaveLength(1);
    expect((await store.getDevice("dev-r"))?.lastSeen).toBe(now);
    // forgetting with a receive time (a dead letter's): only the mark recorded then
    await store.forgetSeen(d.msg_id, now + 1);
    expect(await store.markSeen(d.msg_id, "dev-r", now)).toBe("stored");
    await store.forgetSeen(d.msg_id, now);
    expect(await store.markSeen(d.msg_id, "dev-r", now)).toBe("new");
    // without a receive time, any mark of the id
    await store.applyDiagnosis(d, now + 7);
    expect(await store.markSeen(d.msg_id, "dev-r", now)).toBe("unfinished");
    await store.forgetSeen(d.msg_id);
    expect(await store.markSeen(d.msg_id, "dev-r", now)).toBe("new");
    // a dead letter records the id finished at the letter's time, over an unfinished mark an attempt left
    await store.applyDiagnosis(d, now + 8);
    await store.addDeadLetter({ at: now + 20, target: "ingest:diagnosis", attempts: 3, error: "bug", body: null }, { msgId: d.msg_id, deviceId: "dev-r" });
    expect(await store.markSeen(d.msg_id, "dev-r", now)).toBe("stored");
    await store.forgetSeen(d.msg_id, now + 8);
    expect(await store.markSeen(d.msg_id, "dev-r", now)).toBe("stored");
    await store.forgetSeen(d.msg_id, now + 20);
    expect(await store.markSeen(d.msg_id, "dev-r", now)).toBe("new");
    // but never over a mark another delivery finished (the report is stored whole): a replay then finds it stored
    await store.applyDiagnosis(d, now + 30);
    await store.finishSeen(d.msg_id);
    await store.addDeadLetter({ at: now + 40, target: "ingest:diagnosis", attempts: 3, error: "bug", body: null }, { msgId: d.msg_id, deviceId: "dev-r" });
    await store.forgetSeen(d.msg_id, now + 40);
    expect(await store.markSeen(d.msg_id, "dev-r", now)).toBe("stored");
  });

  it("registers state, telemetry with bounded history, and diagnoses", async () => {
    const now = Date.now();
    await store.applyState(stateMessage(facts("dev-2"), "online", now, 60), now);
    for (let i = 0; i < 15; i++) await store.applyTelemetry(telemetryMessage(facts("dev-2"), i, now + i, seededRandom(i)), now + i, 10);
    await store.applyDiagnosis(diagnosisMessage(facts("dev-2"), "cloud_outage", now), now);
    const dev = await store.getDevice("dev-2");
    expect(dev).toMatchObject({ online: true, onlineSince: now, model: "speaker-mini", fault: "cloud_outage", labels: { fleet: "sim" } });
    expect(dev?.telemetry?.seq).toBe(14);
    const h = await store.history("dev-2", 0, 100);
    expect(h).toHaveLength(10);
    expect(h.at(-1)?.telemetry.seq).toBe(14);
    expect((await store.listDevices({ fault: "cloud_outage" })).map((d) => d.id)).toEqual(["dev-2"]);
    expect((await store.listDevices({ search: "DEV-2" })).map((d) => d.id)).toEqual(["dev-2"]);
    expect(await store.countDevices({ online: true })).toBe(1);
    expect((await store.diagnoses("dev-2", 5))[0]?.fault).toBe("cloud_outage");
    await store.applyState(stateMessage(facts("dev-2"), "offline", now + 100, 60), now + 100);
    expect(await store.getDevice("dev-2")).toMatchObject({ online: false, onlineSince: null });
  });

  it("keeps exactly the newest history points per device, trimming the rest in chunks, a late spooled report included", async () => {
    const t0 = 1_800_000_000_000;
    const rows = async () => Number((await store.query("SELECT count(*) AS n FROM telemetry_history WHERE device_id = 'dev-h'")).rows[0]!.n);
    let most = 0;
    for (let i = 0; i < 99; i++) {
      await store.applyTelemetry(telemetryMessage(facts("dev-h"), i, t0 + i * 60_000, seededRandom(i)), t0 + i * 60_000, 20);
      most = Math.max(most, await rows());
    }
    // a report from the device's spool, older than everything held, arriving as the 100th, on a trim
    // turn: never among the newest 20, and the trim it triggers keeps the 20 newest points it finds
    await store.applyTelemetry(telemetryMessage(facts("dev-h"), 999, t0 - 60_000, seededRandom(999)), t0 + 100 * 60_000, 20);
    expect((await store.history("dev-h", 0, 1000)).map((p) => p.telemetry.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 79 + i));
    await store.applyTelemetry(telemetryMessage(facts("dev-h"), 99, t0 + 99 * 60_000, seededRandom(99)), t0 + 101 * 60_000, 20);
    expect((await store.history("dev-h", 0, 1000)).map((p) => p.telemetry.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 80 + i));
    expect((await store.history("dev-h", t0 + 95 * 60_000, 3)).map((p) => p.telemetry.seq)).toEqual([97, 98, 99]);
    // bounded storage: trimmed every second report (a tenth of the limit), at most two points over
    expect(most).toBe(22);
  });

  it("writes a turn's reports in one batch: each once, the device's latest kept, redeliveries and a second replica alike", async () => {
    const t0 = 1_810_000_000_000;
    const replica = new PostgresStore({ url: URL, schema });
    await replica.open();
    try {
      const msg = (dev: string, i: number) => telemetryMessage(facts(dev), i, t0 + i * 1000, seededRandom(i));
      // one turn of one replica: three reports of one device, and one of them redelivered in the same turn
      const [a1, a2, a3] = [msg("dev-b", 1), msg("dev-b", 2), msg("dev-b", 3)];
      await Promise.all([a1, a2, a3, a2].map((m, i) => store.applyTelemetry(m!, t0 + i, 100)));
      expect((await store.getDevice("dev-b"))?.telemetry?.seq).toBe(3);
      expect((await store.history("dev-b", 0, 100)).map((p) => p.telemetry.seq)).toEqual([1, 2, 3]);
      expect(await store.markSeen(a2!.msg_id, "dev-b", t0)).toBe("stored");
      // two replicas at once over the same five devices, each also redelivering what the other writes
      const reports = Array.from({ length: 200 }, (_, i) => msg(`dev-c${i % 5}`, 100 + i));
      await Promise.all(reports.flatMap((m, i) => [(i % 2 ? store : replica).applyTelemetry(m, t0, 100), ...(i % 10 === 0 ? [(i % 2 ? replica : store).applyTelemetry(m, t0, 100)] : [])]));
      for (let d = 0; d < 5; d++) expect(await store.history(`dev-c${d}`, 0, 1000)).toHaveLength(40);
      const seen = await store.query("SELECT count(*) AS n FROM seen_messages WHERE device_id LIKE 'dev-c%'");
      expect(Number(seen.rows[0]!.n)).toBe(200);
      // a device that sent more than its limit in one turn: what it reads is still its newest 10
      await Promise.all(Array.from({ length: 25 }, (_, i) => store.applyTelemetry(msg("dev-d", i), t0, 10)));
      expect((await store.history("dev-d", 0, 1000)).map((p) => p.telemetry.seq)).toEqual(Array.from({ length: 10 }, (_, i) => 15 + i));
    } finally {
      await replica.close();
    }
  });

  it("keeps a device's newest telemetry by the report's time: one that arrives after a newer one goes to the history only", async () => {
    const t0 = 1_815_000_000_000;
    const msg = (i: number) => telemetryMessage(facts("dev-late-t"), i, t0 + i * 1000, seededRandom(i));
    // a later turn brings an older report (another replica's share of a spool drain, a replayed dead letter)
    await store.applyTelemetry(msg(5), t0 + 5000, 100);
    await store.applyTelemetry(msg(3), t0 + 6000, 100);
    expect((await store.getDevice("dev-late-t"))?.telemetry?.seq).toBe(5);
    // in one turn, out of order: the newest by time is kept, not the last to arrive
    await Promise.all([msg(8), msg(6)].map((m) => store.applyTelemetry(m, t0 + 7000, 100)));
    expect((await store.getDevice("dev-late-t"))?.telemetry?.seq).toBe(8);
    expect((await store.history("dev-late-t", 0, 100)).map((p) => p.telemetry.seq)).toEqual([3, 5, 6, 8]);
    // a clock running years ahead: its report counts at its arrival, so the device's next reports still replace it
    const ahead = telemetryMessage(facts("dev-late-t"), 9, t0 + 3650 * 86_400_000, seededRandom(9));
    await store.applyTelemetry(ahead, t0 + 9000, 100);
    expect((await store.getDevice("dev-late-t"))?.telemetry?.seq).toBe(9);
    await store.applyTelemetry(msg(10), t0 + 10_000, 100);
    expect((await store.getDevice("dev-late-t"))?.telemetry?.seq).toBe(10);
    // in one turn too: the newest by capped time
    await Promise.all([telemetryMessage(facts("dev-late-t"), 12, t0 + 3650 * 86_400_000, seededRandom(12)), msg(11)].map((m) => store.applyTelemetry(m, t0 + 11_000, 100)));
    expect((await store.getDevice("dev-late-t"))?.telemetry?.seq).toBe(11);
  });

  it("fails only the report PostgreSQL refuses in a turn's batch: its neighbours are stored, and the error is the report's own", async () => {
    const t0 = 1_820_000_000_000;
    // a site constraint the fleet knows nothing of: a trigger refusing one device's reports
    await store.query(`CREATE FUNCTION refuse_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF NEW.device_id = 'dev-poison' THEN RAISE EXCEPTION 'dev-poison refused by the site constraint'; END IF; RETURN NEW; END $$`);
    await store.query("CREATE TRIGGER refuse_poison BEFORE INSERT ON telemetry_history FOR EACH ROW EXECUTE FUNCTION refuse_poison()");
    try {
      const devices = ["dev-p1", "dev-p2", "dev-poison", "dev-p3", "dev-p4", "dev-p5"];
      const reports = devices.map((d, i) => telemetryMessage(facts(d), 1, t0 + i, seededRandom(40 + i)));
      // one event-loop turn: one statement, which the poison fails, then halves down to the poison alone
      const got = await Promise.allSettled(reports.map((m) => store.applyTelemetry(m, t0, 100)));
      expect(got.map((g) => g.status)).toEqual(["fulfilled", "fulfilled", "rejected", "fulfilled", "fulfilled", "fulfilled"]);
      const err = (got[2] as PromiseRejectedResult).reason as Error & { code?: string };
      expect(err.message).toMatch(/dev-poison refused/);
      // P0001 raise_exception: the report's own, so the ingest counts it toward the dead letter (broker/store/failures.ts)
      expect(err.code).toBe("P0001");
      expect(isStoreFailure(err)).toBe(false);
      for (const d of ["dev-p1", "dev-p2", "dev-p3", "dev-p4", "dev-p5"]) expect(await store.history(d, 0, 10), d).toHaveLength(1);
      expect(await store.getDevice("dev-poison")).toBeNull();
      // its message id was not recorded: the redelivery is processed, not dropped as a duplicate
      expect(await store.markSeen(reports[2]!.msg_id, "dev-poison", t0)).toBe("new");
    } finally {
      await store.query("DROP TRIGGER refuse_poison ON telemetry_history");
      await store.query("DROP FUNCTION refuse_poison()");
    }
  });

  it("dead-letters a report PostgreSQL always refuses at its third attempt, records its id with it, and takes a redelivery as a duplicate", async () => {
    await store.query(`CREATE FUNCTION refuse_seq_13() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN
      IF (NEW.body->>'seq')::int = 13 THEN RAISE EXCEPTION 'seq 13 refused by the site constraint'; END IF; RETURN NEW; END $$`);
    await store.query("CREATE TRIGGER refuse_seq_13 BEFORE INSERT ON telemetry_history FOR EACH ROW EXECUTE FUNCTION refuse_seq_13()");
    try {
      const log = pino({ level: "silent" });
      const pipeline = () => {
        const events = new FleetEvents();
        const tickets = new TicketEngine({ store, events, log, config: TicketsConfig.parse({}), scheduler: new ManualScheduler() });
        return new IngestPipeline({ store, tickets, events, refusals: new Refusals(log), log, maxPayloadBytes: 65_536, historyPerDevice: 100, maxProcessingAttempts: 3 });
      };
      let ingest = pipeline();
      const at = Date.now();
      const send = (seq: number, m = telemetryMessage(facts("dev-dl"), seq, at + seq, seededRandom(seq))) => ingest.handle(topicFor("telemetry", "dev-dl"), Buffer.from(JSON.stringify(m)), "dev-dl");
      const poison = telemetryMessage(facts("dev-dl"), 13, at, seededRandom(13));
      await expect(send(13, poison)).rejects.toThrow(/seq 13 refused/);
      await expect(send(13, poison)).rejects.toThrow(/seq 13 refused/);
      expect(await send(13, poison)).toBe("dead_lettered");
      expect((await store.listDeadLetters()).find((l) => (l.body as { msg_id?: string }).msg_id === poison.msg_id)).toMatchObject({ target: "ingest:telemetry", attempts: 3, error: expect.stringMatching(/seq 13 refused/) });
      // the device's next report is stored; a redelivery of the poison (its PUBACK lost) is a duplicate, after a restart too
      expect(await send(14)).toBe("accepted");
      expect(await send(13, poison)).toBe("duplicate");
      ingest = pipeline();
      expect(await send(13, poison)).toBe("duplicate");
      expect((await store.history("dev-dl", 0, 10)).map((p) => p.telemetry.seq)).toEqual([14]);
      // replayed while the cause remains: it fails again and is kept, with the new error
      const letterOf = async (msgId: string) => (await store.listDeadLetters()).find((l) => (l.body as { msg_id?: string }).msg_id === msgId)!.id!;
      const replay = new DeadLetterReplay({ store, ingest, now: () => at, log: pino({ level: "silent" }) });
      expect(await replay.replay(await letterOf(poison.msg_id), "tech")).toMatchObject({ ok: false, reason: "failed", message: expect.stringMatching(/seq 13 refused/) });
      expect(await send(13, poison)).toBe("duplicate");
      // a newer report refused the same way, then the cause fixed: the replay stores it, once
      const newer = telemetryMessage(facts("dev-dl"), 13, at + 20, seededRandom(20));
      for (let i = 0; i < 2; i++) await expect(send(13, newer)).rejects.toThrow(/seq 13 refused/);
      expect(await send(13, newer)).toBe("dead_lettered");
      const id = await letterOf(newer.msg_id);
      await store.query("DROP TRIGGER refuse_seq_13 ON telemetry_history");
      expect(await replay.replay(id, "tech")).toMatchObject({ ok: true, outcome: "accepted" });
      expect((await store.history("dev-dl", 0, 10)).map((p) => p.telemetry.ts)).toEqual([at + 14, at + 20]);
      expect(await store.getDeadLetter(id)).toBeNull();
      expect(await replay.replay(id, "tech")).toBeNull();
      // the claim on the first letter: one holder at a time, until it lapses or is released
      const first = await letterOf(poison.msg_id);
      expect(await store.claimDeadLetter(first, at, at + 60_000)).toBe(true);
      expect(await store.claimDeadLetter(first, at + 1, at + 60_001)).toBe(false);
      expect(await replay.replay(first, "tech")).toMatchObject({ ok: false, reason: "busy" });
      expect(await store.claimDeadLetter(first, at + 60_001, at + 120_001)).toBe(true);
      // the lapsed claim's holder can neither release nor delete what the new claim holds
      await store.forgetSeen(poison.msg_id);
      await store.releaseDeadLetter(first, at + 60_000, "stale holder", { msgId: poison.msg_id, deviceId: "dev-dl", at });
      // (nor records the mark: the current claim decides)
      expect(await store.markSeen(poison.msg_id, "dev-dl", at)).toBe("new");
      expect(await store.deleteDeadLetter(first, at + 60_000)).toBe(false);
      expect(await store.getDeadLetter(first)).toMatchObject({ error: expect.not.stringMatching(/stale holder/) });
      await store.releaseDeadLetter(first, at + 120_001, "failed again", { msgId: poison.msg_id, deviceId: "dev-dl", at });
      expect(await store.getDeadLetter(first)).toMatchObject({ error: "failed again" });
      expect(await store.markSeen(poison.msg_id, "dev-dl", at)).toBe("stored");
    } finally {
      await store.query("DROP TRIGGER IF EXISTS refuse_seq_13 ON telemetry_history");
      await store.query("DROP FUNCTION refuse_seq_13()");
    }
  });

  it("a replica killed between a diagnosis's row and its ticket: the redelivery to another replica opens the ticket, once", async () => {
    const log = pino({ level: "silent" });
    const replicaB = new PostgresStore({ url: URL, schema });
    await replicaB.open();
    const pipelineOn = (s: PostgresStore) => {
      const events = new FleetEvents();
      const tickets = new TicketEngine({ store: s, events, log, config: TicketsConfig.parse({ group_wait_ms: 0 }), scheduler: new ManualScheduler() });
      return { tickets, ingest: new IngestPipeline({ store: s, tickets, events, refusals: new Refusals(log), log, maxPayloadBytes: 65_536, historyPerDevice: 100 }) };
    };
    try {
      const a = pipelineOn(store);
      const b = pipelineOn(replicaB);
      const d = diagnosisMessage(facts("dev-killed"), "cloud_outage", Date.now());
      const payload = Buffer.from(JSON.stringify(d));
      // replica A stores the diagnosis's row and id; its ticket work waits for the engine (its periodic pass),
      // and A dies there: no ticket statement, no PUBACK
      void a.tickets.serial(() => new Promise<void>(() => undefined));
      void a.ingest.handle(topicFor("diagnosis", "dev-killed"), payload, "dev-killed").catch(() => undefined);
      await waitFor(async () => (await store.diagnoses("dev-killed", 10)).length === 1, 5000, "replica A to store the diagnosis row");
      // the broker redelivers to replica B: not a duplicate; B opens the ticket and does not store the row twice
      expect(await b.ingest.handle(topicFor("diagnosis", "dev-killed"), payload, "dev-killed")).toBe("accepted");
      expect((await replicaB.listTickets({ deviceId: "dev-killed" })).map((t) => [t.fault, t.occurrences])).toEqual([["cloud_outage", 1]]);
      expect(await replicaB.diagnoses("dev-killed", 10)).toHaveLength(1);
      // finished: a further redelivery, on either replica, is a duplicate
      expect(await b.ingest.handle(topicFor("diagnosis", "dev-killed"), payload, "dev-killed")).toBe("duplicate");
      expect(await pipelineOn(store).ingest.handle(topicFor("diagnosis", "dev-killed"), payload, "dev-killed")).toBe("duplicate");
      expect((await replicaB.listTickets({ deviceId: "dev-killed" })).map((t) => t.occurrences)).toEqual([1]);
    } finally {
      await replicaB.close();
    }
  });

  it("a replica killed between a diagnosis's ticket and its finished mark: the redelivery to another replica counts it once", async () => {
    const log = pino({ level: "silent" });
    const [replicaA, replicaB] = [new PostgresStore({ url: URL, schema }), new PostgresStore({ url: URL, schema })];
    await Promise.all([replicaA.open(), replicaB.open()]);
    const pipelineOn = (s: PostgresStore) => {
      const events = new FleetEvents();
      const tickets = new TicketEngine({ store: s, events, log, config: TicketsConfig.parse({ group_wait_ms: 0 }), scheduler: new ManualScheduler() });
      return new IngestPipeline({ store: s, tickets, events, refusals: new Refusals(log), log, maxPayloadBytes: 65_536, historyPerDevice: 100 });
    };
    try {
      const d = diagnosisMessage(facts("dev-late"), "voice_capture", Date.now());
      const payload = Buffer.from(JSON.stringify(d));
      // replica A writes the row and the ticket, then dies before the mark's finish (every statement commits alone here)
      replicaA.finishSeen = () => new Promise<void>(() => undefined);
      void pipelineOn(replicaA).handle(topicFor("diagnosis", "dev-late"), payload, "dev-late").catch(() => undefined);
      await waitFor(async () => (await store.listTickets({ deviceId: "dev-late" })).length === 1, 5000, "replica A to write the ticket");
      expect(await store.seenMark(d.msg_id)).toBe("unfinished");
      // the broker redelivers to replica B: it redoes the ticket work, and the ticket still counts this diagnosis once
      expect(await pipelineOn(replicaB).handle(topicFor("diagnosis", "dev-late"), payload, "dev-late")).toBe("accepted");
      expect((await replicaB.listTickets({ deviceId: "dev-late" })).map((t) => [t.fault, t.occurrences])).toEqual([["voice_capture", 1]]);
      expect(await replicaB.seenMark(d.msg_id)).toBe("stored");
    } finally {
      await replicaB.close();
      await replicaA.close().catch(() => undefined);
    }
  });

  it("stores a report whose text carried U+0000 (PostgreSQL refuses it in text and jsonb; the decoder replaces it)", async () => {
    const now = Date.now();
    const d = diagnosisMessage(facts("dev-nul"), "cloud_outage", now);
    const text = JSON.stringify({ ...d, verdict: { ...d.verdict, summary: "vendor\u0000said no" } });
    const decoded = decodeMessage(topicFor("diagnosis", "dev-nul"), Buffer.from(text));
    if (!decoded.ok || decoded.kind !== "diagnosis") throw new Error("decode failed");
    await store.applyDiagnosis(decoded.message, now);
    expect((await store.diagnoses("dev-nul", 1))[0]?.summary).toBe("vendor\uFFFDsaid no");
  });

  it("ignores a late Last Will of an earlier connection, applies the current connection's", async () => {
    const now = Date.now();
    const online = (willId: string) => ({ ...stateMessage(facts("dev-w"), "online", now, 60), will_msg_id: willId });
    const will = (msgId: string) => ({ ...stateMessage(facts("dev-w"), "offline", now, 60), reason: "will" as const, msg_id: msgId });
    const [w1, w2, w3] = [newMessageId(now - 120_000), newMessageId(now - 60_000), newMessageId(now)];
    expect(await store.applyState(online(w1), now)).toBe(true);
    expect(await store.applyState(online(w2), now + 1)).toBe(true);
    expect(await store.applyState(will(w1), now + 2)).toBe(false);
    expect((await store.getDevice("dev-w"))?.online).toBe(true);
    expect(await store.applyState(will(w2), now + 3)).toBe(true);
    expect((await store.getDevice("dev-w"))?.online).toBe(false);
    // a later connection's will, its online state never seen: applies
    await store.applyState(online(w2), now + 4);
    expect(await store.applyState(will(w3), now + 5)).toBe(true);
    expect((await store.getDevice("dev-w"))?.online).toBe(false);
  });

  it("opens one live ticket per device and fingerprint even when two replicas insert at once", async () => {
    const at = Date.now();
    const [a, b] = await Promise.all([store.insertTicket(ticket("dev-3", at)), store.insertTicket(ticket("dev-3", at + 1))]);
    expect(a.id).toBe(b.id);
    const live = await store.listTickets({ deviceId: "dev-3", statuses: ["open"] });
    expect(live).toHaveLength(1);
    expect(live[0]!.occurrences).toBe(2);
    expect(live[0]!.labels).toEqual({ region: "eu-west" });
    // a resolved ticket frees the slot: the next fault opens a new one
    await store.updateTicket({ ...live[0]!, status: "resolved", resolvedAt: at + 5 });
    const again = await store.insertTicket(ticket("dev-3", at + 10));
    expect(again.id).not.toBe(a.id);
    expect((await store.findLatestTicket("cloud_outage:server", "dev-3"))?.id).toBe(again.id);
  });

  it("counts a diagnosis once when two replicas insert its ticket at once (a redelivery one of them was still working on)", async () => {
    const at = Date.now();
    const t = ticket("dev-4", at);
    const [a, b] = await Promise.all([store.insertTicket(t), store.insertTicket(t)]);
    expect(a.id).toBe(b.id);
    expect((await store.listTickets({ deviceId: "dev-4" })).map((x) => x.occurrences)).toEqual([1]);
    // another diagnosis of the same fault still counts
    await store.insertTicket(ticket("dev-4", at + 1));
    expect((await store.listTickets({ deviceId: "dev-4" })).map((x) => x.occurrences)).toEqual([2]);
  });

  it("keeps one live incident per key when replicas race to open it", async () => {
    const at = Date.now();
    const incident = {
      key: "cloud_outage:server", fingerprint: "cloud_outage:server", fault: "cloud_outage" as const, family: "server", side: "cloud", groupLabels: {},
      status: "open" as const, severity: "P0" as const, title: "AI service outage", openedAt: at, updatedAt: at, notifiedAt: null, acknowledgedAt: null,
      acknowledgedBy: null, resolvedAt: null, resolvedBy: null, closedAt: null, assignee: null, comments: [], deviceIds: [], peakDevices: 0, peakShare: 0,
      escalations: [], reopenCount: 0, flapping: false, regression: null, postmortem: null, respondBy: null, resolveBy: null,
    };
    const got = await Promise.all(Array.from({ length: 5 }, () => store.insertIncident(incident)));
    expect(new Set(got.map((i) => i.id)).size).toBe(1);
    expect(await store.listIncidents({ statuses: ["open"], key: "cloud_outage:server" })).toHaveLength(1);
    expect((await store.getIncident(got[0]!.id))?.severity).toBe("P0");
  });

  it("reports an unreachable database in one sentence that names the setting", async () => {
    const bad = new PostgresStore({ url: "postgres://nobody:secret@127.0.0.1:1/test" });
    await expect(bad.open()).rejects.toThrow(/^the PostgreSQL store at postgres:\/\/nobody:\[redacted\]@127\.0\.0\.1:1\/test cannot be opened .*check store\.url/);
  });
});
