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
import { encode, telemetryMsg } from "../testing/messages.ts";
import { IngestPipeline } from "./pipeline.ts";

// A report the database itself refuses, every time: a trigger, as an operator's own constraint would be.
const POISON_TRIGGER = `CREATE TRIGGER refuse_seq_13 BEFORE INSERT ON telemetry_history
  WHEN json_extract(NEW.body, '$.seq') = 13 BEGIN SELECT RAISE(ABORT, 'seq 13 refused by the site constraint'); END`;

let raw: SqliteStore;
let ingest: IngestPipeline;
let refusals: Refusals;
let clock: ManualScheduler;

beforeEach(async () => {
  const log = pino({ level: "silent" });
  raw = new SqliteStore(":memory:");
  await raw.open();
  raw.db.exec(POISON_TRIGGER);
  // the fleet's own arrangement: one transaction per event-loop turn (tick-batch.ts)
  const store = batchPerTick(raw);
  clock = new ManualScheduler();
  refusals = new Refusals(log);
  const events = new FleetEvents();
  const tickets = new TicketEngine({ store, events, log, config: TicketsConfig.parse({ group_wait_ms: 0 }), scheduler: clock });
  ingest = new IngestPipeline({ store, tickets, events, refusals, log, maxPayloadBytes: 8192, historyPerDevice: 50, maxProcessingAttempts: 3, now: clock.now });
});

afterEach(async () => {
  await raw.close();
});

const report = (device: string, seq: number) => encode.telemetry(telemetryMsg(device, clock.now(), seq));
const send = (device: string, payload: Buffer) => ingest.handle(topicFor("telemetry", device), payload, device);

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
    expect(ingest.attempts.size).toBe(0);
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
    // the store: busy, read-only, I/O, full; PostgreSQL deadlock, out of connections, shutdown, timeout, lost connection
    for (const e of [sqlite(5), sqlite(8), sqlite(10 | (12 << 8)), sqlite(13), pg("40P01"), pg("53300"), pg("57P01"), pg("57014"), pg("08006"), pg("ECONNREFUSED"), new BatchRolledBackError()]) expect(isStoreFailure(e), String((e as { code?: unknown }).code)).toBe(true);
    // the message: a constraint (SQLite extended 1811 = trigger RAISE), a bad value, a PostgreSQL raise or check, a bug
    for (const e of [sqlite(1811), sqlite(1299), pg("P0001"), pg("23514"), pg("22P02"), new TypeError("cannot read properties of undefined")]) expect(isStoreFailure(e), String((e as { code?: unknown }).code)).toBe(false);
  });
});
