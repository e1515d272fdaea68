import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { topicFor } from "../../shared/index.ts";
import { TicketsConfig } from "../config/schema.ts";
import { FleetEvents } from "../events.ts";
import { Refusals } from "../mqtt/refusals.ts";
import { BatchRolledBackError, isStoreFailure } from "../store/failures.ts";
import { SqliteStore } from "../store/sqlite/store.ts";
import { batchPerTick } from "../store/tick-batch.ts";
import { TicketEngine } from "../tickets/engine.ts";
import { ManualScheduler } from "../testing/harness.ts";
import { diagnosisMsg, encode, stateMsg, telemetryMsg } from "../testing/messages.ts";
import { IngestPipeline } from "./pipeline.ts";
import { DeadLetterReplay } from "./replay.ts";

// A report the database itself refuses, every time: a trigger, as an operator's own constraint would be.
const POISON_TRIGGER = `CREATE TRIGGER refuse_seq_13 BEFORE INSERT ON telemetry_history
  WHEN json_extract(NEW.body, '$.seq') = 13 BEGIN SELECT RAISE(ABORT, 'seq 13 refused by the site constraint'); END`;

let raw: SqliteStore;
let ingest: IngestPipeline;
let tickets: TicketEngine;
let refusals: Refusals;
let clock: ManualScheduler;

/** The pipeline as the fleet builds it (a restart builds a new one over the same store). */
function pipeline(): IngestPipeline {
  const log = pino({ level: "silent" });
  // the fleet's own arrangement: one transaction per event-loop turn (tick-batch.ts)
  const store = batchPerTick(raw);
  refusals = new Refusals(log);
  const events = new FleetEvents();
  tickets = new TicketEngine({ store, events, log, config: TicketsConfig.parse({ group_wait_ms: 0 }), scheduler: clock });
  return new IngestPipeline({ store, tickets, events, refusals, log, maxPayloadBytes: 8192, historyPerDevice: 50, maxProcessingAttempts: 3, now: clock.now });
}

beforeEach(async () => {
  raw = new SqliteStore(":memory:");
  await raw.open();
  raw.db.exec(POISON_TRIGGER);
  clock = new ManualScheduler();
  ingest = pipeline();
});

afterEach(async () => {
  await raw.close();
});

const report = (device: string, seq: number) => encode.telemetry(telemetryMsg(device, clock.now(), seq));
const send = (device: string, payload: Buffer) => ingest.handle(topicFor("telemetry", device), payload, device);

/**
 * A cloud_outage diagnosis from `device` sent while the ticket engine is busy (its periodic pass, say), so its
 * ticket work runs in a later turn than its dedup mark and row; `release` lets the engine go on.
 */
function diagnosisBehindBusyEngine(device: string) {
  let release!: () => void;
  void tickets.serial(() => new Promise<void>((r) => (release = r)));
  const payload = encode.diagnosis(diagnosisMsg(device, clock.now(), { fault: "cloud_outage" }));
  const handled = ingest.handle(topicFor("diagnosis", device), payload, device);
  handled.catch(() => undefined); // awaited by the test
  // (the engine takes up the hold a microtask later: read it when called)
  return { payload, handled, release: () => release() };
}

describe("a report whose processing keeps failing (poison message)", () => {
  it("is refused twice, then kept as a dead letter and acknowledged, and its device's next report is stored", async () => {
    const poison = report("dev-a", 13);
    await expect(send("dev-a", poison)).rejects.toThrow(/seq 13 refused/);
    await expect(send("dev-a", poison)).rejects.toThrow(/seq 13 refused/);
    // the third failure: acknowledged (the hooks PUBACK any resolved outcome), kept for an operator
    expect(await send("dev-a", poison)).toBe("dead_lettered");
    const [letter, ...more] = await raw.listDeadLetters();
    expect(more).toEqual([]);
    expect(letter).toMatchObject({ target: "ingest:telemetry", attempts: 3, error: expect.stringMatching(/seq 13 refused/), body: { device_id: "dev-a", seq: 13, msg_id: JSON.parse(poison.toString()).msg_id } });
    expect(refusals.snapshot()).toEqual({ dead_lettered: 1 });
    expect(ingest.stats).toMatchObject({ accepted: 0, deadLettered: 1 });
    // the device is not blocked behind it
    clock.t += 60_000;
    expect(await send("dev-a", report("dev-a", 14))).toBe("accepted");
    expect((await raw.history("dev-a", 0, 10)).map((p) => p.telemetry.seq)).toEqual([14]);
  });

  it("acknowledges a redelivery of a dead-lettered report as a duplicate, after a restart too (its id is recorded with the dead letter)", async () => {
    const poison = report("dev-a", 13);
    for (let i = 0; i < 2; i++) await expect(send("dev-a", poison)).rejects.toThrow(/seq 13 refused/);
    expect(await send("dev-a", poison)).toBe("dead_lettered");
    // its PUBACK was lost: the device sends it again
    expect(await send("dev-a", poison)).toBe("duplicate");
    ingest = pipeline(); // the fleet restarted: nothing in memory
    expect(await send("dev-a", poison)).toBe("duplicate");
    expect(await raw.listDeadLetters()).toHaveLength(1);
  });

  it("acknowledges a redelivery of a dead-lettered state message as a duplicate after a restart (state ids are checked only when it fails)", async () => {
    raw.db.exec(`CREATE TRIGGER refuse_fw_poison BEFORE UPDATE ON devices WHEN NEW.firmware_version = 'fw-poison'
      BEGIN SELECT RAISE(ABORT, 'firmware fw-poison refused by the site constraint'); END`);
    const state = encode.state(stateMsg("dev-s", clock.now(), { firmware_version: "fw-poison" }));
    const sendState = () => ingest.handle(topicFor("state", "dev-s"), state, "dev-s");
    for (let i = 0; i < 2; i++) await expect(sendState()).rejects.toThrow(/fw-poison refused/);
    expect(await sendState()).toBe("dead_lettered");
    expect(await sendState()).toBe("duplicate");
    ingest = pipeline(); // the fleet restarted: nothing in memory
    expect(await sendState()).toBe("duplicate");
    expect(await sendState()).toBe("duplicate");
    expect((await raw.listDeadLetters()).map((l) => l.target)).toEqual(["ingest:state"]);
    // a state message that succeeds is applied every time, as before (a Last Will reuses its id)
    const online = encode.state(stateMsg("dev-s", clock.now()));
    expect(await ingest.handle(topicFor("state", "dev-s"), online, "dev-s")).toBe("accepted");
    expect(await ingest.handle(topicFor("state", "dev-s"), online, "dev-s")).toBe("accepted");
  });

  it("does not count the reports its rolled-back batch took with it: they are stored when sent again", async () => {
    // one event-loop turn, one SQLite transaction: the poison rolls back its neighbours' writes too
    const neighbours = [report("dev-b", 1), report("dev-c", 1)];
    const first = await Promise.allSettled([send("dev-a", report("dev-a", 13)), ...neighbours.map((p, i) => send(i ? "dev-c" : "dev-b", p))]);
    expect(first.map((r) => r.status)).toEqual(["rejected", "rejected", "rejected"]);
    const errors = first.map((r) => (r as PromiseRejectedResult).reason as Error);
    expect(errors[1]).toBeInstanceOf(BatchRolledBackError);
    expect(errors[2]).toBeInstanceOf(BatchRolledBackError);
    expect(isStoreFailure(errors[0])).toBe(false);
    // only the culprit has a failure on record
    expect(ingest.attempts.size).toBe(1);
    expect(await send("dev-b", neighbours[0]!)).toBe("accepted");
    expect(await send("dev-c", neighbours[1]!)).toBe("accepted");
    expect(await raw.getDevice("dev-a")).toBeNull();
  });

  it("refuses a report whose diagnosis waited for the ticket engine when a poison rolled back the turn it began in, and processes its redelivery", async () => {
    const { payload: diagnosis, handled: d, release } = diagnosisBehindBusyEngine("dev-b");
    // the poison fails in the same turn as the diagnosis's dedup mark and row
    await expect(send("dev-a", report("dev-a", 13))).rejects.toThrow(/seq 13 refused/);
    release();
    // its mark and row were rolled back, so its ticket is not written either: refused, nothing of it stored
    await expect(d).rejects.toBeInstanceOf(BatchRolledBackError);
    expect(await raw.diagnoses("dev-b", 10)).toEqual([]);
    expect(await raw.listTickets({ deviceId: "dev-b" })).toEqual([]);
    // the device sends it again: processed (not a duplicate), one ticket seen once
    expect(await ingest.handle(topicFor("diagnosis", "dev-b"), diagnosis, "dev-b")).toBe("accepted");
    expect(await raw.diagnoses("dev-b", 10)).toHaveLength(1);
    expect((await raw.listTickets({ deviceId: "dev-b" })).map((t) => t.occurrences)).toEqual([1]);
  });

  it("leaves the dedup mark of a diagnosis whose first turn committed and whose ticket's turn was rolled back unfinished, so its redelivery opens the ticket", async () => {
    const { payload: diagnosis, handled: d, release } = diagnosisBehindBusyEngine("dev-c");
    // its dedup mark and row commit on their own
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    expect(await raw.diagnoses("dev-c", 10)).toHaveLength(1);
    // then its ticket work shares a turn with a poison, which rolls that turn back
    release();
    await expect(send("dev-a", report("dev-a", 13))).rejects.toThrow(/seq 13 refused/);
    await expect(d).rejects.toBeInstanceOf(BatchRolledBackError);
    expect(await raw.listTickets({ deviceId: "dev-c" })).toEqual([]);
    // its mark is unfinished: the redelivery opens the ticket instead of passing for a duplicate, the row not written twice
    expect(await ingest.handle(topicFor("diagnosis", "dev-c"), diagnosis, "dev-c")).toBe("accepted");
    expect((await raw.listTickets({ deviceId: "dev-c" })).map((t) => t.occurrences)).toEqual([1]);
    expect(await raw.diagnoses("dev-c", 10)).toHaveLength(1);
  });

  it("holds a copy of a diagnosis that arrives while the first is in flight until the first settles: it then finishes what the first could not, once", async () => {
    const { payload: diagnosis, handled: first, release } = diagnosisBehindBusyEngine("dev-d");
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    // the device resends it on a new connection while the first delivery waits for the engine
    const copy = ingest.handle(topicFor("diagnosis", "dev-d"), diagnosis, "dev-d");
    let copyDone = false;
    void copy.finally(() => (copyDone = true)).catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    expect(copyDone).toBe(false);
    // the first's ticket turn is rolled back by a poison: refused; the copy then opens the ticket
    release();
    await expect(send("dev-a", report("dev-a", 13))).rejects.toThrow(/seq 13 refused/);
    await expect(first).rejects.toBeInstanceOf(BatchRolledBackError);
    expect(await copy).toBe("accepted");
    expect((await raw.listTickets({ deviceId: "dev-d" })).map((t) => t.occurrences)).toEqual([1]);
    expect(await raw.diagnoses("dev-d", 10)).toHaveLength(1);
    // and a copy behind one that succeeds is a duplicate
    const second = diagnosisBehindBusyEngine("dev-e");
    const copy2 = ingest.handle(topicFor("diagnosis", "dev-e"), second.payload, "dev-e");
    await new Promise((r) => setImmediate(r));
    second.release();
    expect(await second.handled).toBe("accepted");
    expect(await copy2).toBe("duplicate");
    expect((await raw.listTickets({ deviceId: "dev-e" })).map((t) => t.occurrences)).toEqual([1]);
  });

  it("replays a dead letter that fails again as a refusal, never as a fresh dead letter (max_processing_attempts 1 too)", async () => {
    const log = pino({ level: "silent" });
    const store = batchPerTick(raw);
    const events = new FleetEvents();
    const engine = new TicketEngine({ store, events, log, config: TicketsConfig.parse({}), scheduler: clock });
    const once = new IngestPipeline({ store, tickets: engine, events, refusals: new Refusals(log), log, maxPayloadBytes: 8192, historyPerDevice: 50, maxProcessingAttempts: 1, now: clock.now });
    expect(await once.handle(topicFor("telemetry", "dev-a"), report("dev-a", 13), "dev-a")).toBe("dead_lettered");
    const [letter] = await raw.listDeadLetters();
    const replay = new DeadLetterReplay({ store, ingest: once, now: clock.now, log });
    expect(await replay.replay(letter!.id!, "tech")).toMatchObject({ ok: false, reason: "failed", message: expect.stringMatching(/seq 13 refused/) });
    expect((await raw.listDeadLetters()).map((l) => l.id)).toEqual([letter!.id]);
    raw.db.exec("DROP TRIGGER refuse_seq_13");
    expect(await replay.replay(letter!.id!, "tech")).toMatchObject({ ok: true, outcome: "accepted" });
    expect(await raw.listDeadLetters()).toEqual([]);
  });

  it("never dead-letters a report because the store failed: it is refused as often as the store is down, then stored", async () => {
    const payload = report("dev-a", 1);
    raw.db.exec("PRAGMA query_only = ON"); // SQLITE_READONLY: a database that cannot take writes
    for (let i = 0; i < 5; i++) await expect(send("dev-a", payload)).rejects.toThrow(/readonly database/);
    expect(ingest.attempts.size).toBe(0);
    raw.db.exec("PRAGMA query_only = OFF");
    expect(await send("dev-a", payload)).toBe("accepted");
    expect(await raw.listDeadLetters()).toEqual([]);
  });

  it("stays with its device when even the dead letter cannot be stored, and is dead-lettered at its next delivery", async () => {
    const poison = report("dev-a", 13);
    await expect(send("dev-a", poison)).rejects.toThrow(/seq 13 refused/);
    await expect(send("dev-a", poison)).rejects.toThrow(/seq 13 refused/);
    raw.db.exec("PRAGMA query_only = ON");
    await expect(send("dev-a", poison)).rejects.toThrow(/readonly database/);
    raw.db.exec("PRAGMA query_only = OFF");
    expect(await send("dev-a", poison)).toBe("dead_lettered");
    expect(await raw.listDeadLetters()).toHaveLength(1);
  });
});

describe("isStoreFailure", () => {
  it("tells the store's failures from a message's own", () => {
    const sqlite = (errcode: number) => Object.assign(new Error("x"), { code: "ERR_SQLITE_ERROR", errcode });
    const pg = (code: string) => Object.assign(new Error("x"), { code });
    // the store: SQLite busy, read-only, I/O, full, a missing table; PostgreSQL deadlock, out of connections,
    // shutdown, timeout, read-only (a standby after failover), authentication, no such database, permission,
    // missing table, lock timeout; a lost connection; the store closed; a neighbour's rolled-back batch
    for (const e of [sqlite(5), sqlite(8), sqlite(10 | (12 << 8)), sqlite(13), sqlite(1), pg("40P01"), pg("53300"), pg("57P01"), pg("57014"), pg("25006"), pg("28P01"), pg("3D000"), pg("42501"), pg("42P01"), pg("55P03"), pg("08006"), pg("ECONNREFUSED"), pg("ENOSPC"), pg("EACCES"), pg("ABORT_ERR"), pg("ERR_INVALID_STATE"), new Error("store is not open"), new BatchRolledBackError()]) {
      expect(isStoreFailure(e), String((e as { code?: unknown }).code ?? e.message)).toBe(true);
    }
    // the report: a constraint (SQLite extended 1811 = trigger RAISE, 1299 NOT NULL), a value too big or of the wrong
    // type, a PostgreSQL raise, check, unique or bad value (its message may quote anything), a bug its content reaches
    for (const e of [sqlite(1811), sqlite(1299), sqlite(18), sqlite(20), pg("P0001"), pg("23514"), pg("23505"), Object.assign(new Error('invalid input syntax for type bigint: "store is not open"'), { code: "22P02" }), new TypeError("cannot read properties of undefined"), pg("ERR_INVALID_ARG_TYPE")]) {
      expect(isStoreFailure(e), String((e as { code?: unknown }).code ?? e.message)).toBe(false);
    }
  });
});
