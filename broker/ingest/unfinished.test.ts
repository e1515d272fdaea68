import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { topicFor } from "../../shared/index.ts";
import { TicketsConfig } from "../config/schema.ts";
import { FleetEvents } from "../events.ts";
import { Refusals } from "../mqtt/refusals.ts";
import { SqliteStore } from "../store/sqlite/store.ts";
import { batchPerTick } from "../store/tick-batch.ts";
import { ManualScheduler } from "../testing/harness.ts";
import { diagnosisMsg, encode } from "../testing/messages.ts";
import { TicketEngine } from "../tickets/engine.ts";
import { IngestPipeline } from "./pipeline.ts";

const dirs: string[] = [];
const stores: SqliteStore[] = [];
afterEach(async () => {
  await Promise.all(stores.splice(0).map((s) => s.close()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A fleet process over the database file: the store batched per turn and the pipeline, as the fleet builds them. */
async function fleetOn(path: string, clock: ManualScheduler) {
  const raw = new SqliteStore(path);
  await raw.open();
  stores.push(raw);
  const log = pino({ level: "silent" });
  const store = batchPerTick(raw);
  const events = new FleetEvents();
  const tickets = new TicketEngine({ store, events, log, config: TicketsConfig.parse({ group_wait_ms: 0 }), scheduler: clock });
  const ingest = new IngestPipeline({ store, tickets, events, refusals: new Refusals(log), log, maxPayloadBytes: 8192, historyPerDevice: 50, now: clock.now });
  return { raw, tickets, ingest };
}

/** A fleet over `path` that stores this diagnosis's row and mark and dies before its ticket work (the engine busy). */
async function killedMidTicket(path: string, clock: ManualScheduler, payload: Buffer, device: string): Promise<void> {
  const dying = await fleetOn(path, clock);
  void dying.tickets.serial(() => new Promise<void>(() => undefined));
  void dying.ingest.handle(topicFor("diagnosis", device), payload, device).catch(() => undefined);
  await new Promise((r) => setImmediate(r));
  await new Promise((r) => setImmediate(r));
}

function dbPath(): string {
  const dir = mkdtempSync(join(tmpdir(), "edge-unfinished-"));
  dirs.push(dir);
  return join(dir, "fleet.db");
}

describe("a diagnosis whose ticket work did not finish (SQLite)", () => {
  it("a fleet killed between the diagnosis's committed row and its ticket: after the restart the redelivery opens the ticket, once", async () => {
    const path = dbPath();
    const clock = new ManualScheduler();
    const payload = encode.diagnosis(diagnosisMsg("dev-k", clock.now(), { fault: "cloud_outage" }));
    // the engine is in its periodic pass: the diagnosis's mark and row commit in their turn, its ticket waits,
    // and the process dies there (the engine never comes back, the device never gets its PUBACK)
    await killedMidTicket(path, clock, payload, "dev-k");

    // the restarted fleet reads what the dead one committed: the row, and no ticket
    const after = await fleetOn(path, clock);
    expect(await after.raw.diagnoses("dev-k", 10)).toHaveLength(1);
    expect(await after.raw.listTickets({ deviceId: "dev-k" })).toEqual([]);
    // the device sends it again: not a duplicate; the ticket opens and the row is not stored twice
    expect(await after.ingest.handle(topicFor("diagnosis", "dev-k"), payload, "dev-k")).toBe("accepted");
    expect((await after.raw.listTickets({ deviceId: "dev-k" })).map((t) => [t.fault, t.occurrences])).toEqual([["cloud_outage", 1]]);
    expect(await after.raw.diagnoses("dev-k", 10)).toHaveLength(1);
    // finished now: another redelivery (its PUBACK lost) is a duplicate, after one more restart too
    expect(await after.ingest.handle(topicFor("diagnosis", "dev-k"), payload, "dev-k")).toBe("duplicate");
    const again = await fleetOn(path, clock);
    expect(await again.ingest.handle(topicFor("diagnosis", "dev-k"), payload, "dev-k")).toBe("duplicate");
    expect((await again.raw.listTickets({ deviceId: "dev-k" })).map((t) => t.occurrences)).toEqual([1]);
  });

  it("an unfinished diagnosis redelivered after a newer one of its device: acknowledged without its ticket work (the newer one has the last word)", async () => {
    const path = dbPath();
    const clock = new ManualScheduler();
    const outage = encode.diagnosis(diagnosisMsg("dev-s", clock.now(), { fault: "cloud_outage" }));
    await killedMidTicket(path, clock, outage, "dev-s");
    // after the restart the device's newer, healthy diagnosis arrives first (its spool sends several at once)
    const after = await fleetOn(path, clock);
    const healthy = encode.diagnosis(diagnosisMsg("dev-s", clock.now() + 60_000, { fault: "none" }));
    expect(await after.ingest.handle(topicFor("diagnosis", "dev-s"), healthy, "dev-s")).toBe("accepted");
    expect(await after.ingest.handle(topicFor("diagnosis", "dev-s"), outage, "dev-s")).toBe("ignored");
    expect(await after.raw.listTickets({ deviceId: "dev-s" })).toEqual([]);
    expect((await after.raw.getDevice("dev-s"))?.fault).toBe("none");
    // its mark is finished: a further redelivery is a duplicate
    expect(await after.ingest.handle(topicFor("diagnosis", "dev-s"), outage, "dev-s")).toBe("duplicate");
  });

  it("an unfinished diagnosis redelivered after a newer one of another fault still opens its ticket, as in order", async () => {
    const path = dbPath();
    const clock = new ManualScheduler();
    const outage = encode.diagnosis(diagnosisMsg("dev-o", clock.now(), { fault: "cloud_outage" }));
    await killedMidTicket(path, clock, outage, "dev-o");
    const after = await fleetOn(path, clock);
    const voice = encode.diagnosis(diagnosisMsg("dev-o", clock.now() + 60_000, { fault: "voice_capture" }));
    expect(await after.ingest.handle(topicFor("diagnosis", "dev-o"), voice, "dev-o")).toBe("accepted");
    expect(await after.ingest.handle(topicFor("diagnosis", "dev-o"), outage, "dev-o")).toBe("accepted");
    expect((await after.raw.listTickets({ deviceId: "dev-o" })).map((t) => t.fault).sort()).toEqual(["cloud_outage", "voice_capture"]);
  });

  it("compares with every newer diagnosis, not the last one written: a late older report does not bring a superseded fault back", async () => {
    const path = dbPath();
    const clock = new ManualScheduler();
    const t0 = clock.now();
    const outage = encode.diagnosis(diagnosisMsg("dev-l", t0, { fault: "cloud_outage" }));
    await killedMidTicket(path, clock, outage, "dev-l");
    const after = await fleetOn(path, clock);
    // healthy a minute later, then a spooled healthy report from before the outage arrives late
    expect(await after.ingest.handle(topicFor("diagnosis", "dev-l"), encode.diagnosis(diagnosisMsg("dev-l", t0 + 60_000)), "dev-l")).toBe("accepted");
    expect(await after.ingest.handle(topicFor("diagnosis", "dev-l"), encode.diagnosis(diagnosisMsg("dev-l", t0 - 60_000)), "dev-l")).toBe("accepted");
    expect(await after.ingest.handle(topicFor("diagnosis", "dev-l"), outage, "dev-l")).toBe("ignored");
    expect(await after.raw.listTickets({ deviceId: "dev-l" })).toEqual([]);
  });

  it("an unfinished healthy diagnosis redelivered after a newer fault does not start that fault's hold-down", async () => {
    const path = dbPath();
    const clock = new ManualScheduler();
    const healthy = encode.diagnosis(diagnosisMsg("dev-h", clock.now()));
    await killedMidTicket(path, clock, healthy, "dev-h");
    const after = await fleetOn(path, clock);
    expect(await after.ingest.handle(topicFor("diagnosis", "dev-h"), encode.diagnosis(diagnosisMsg("dev-h", clock.now() + 60_000, { fault: "voice_capture" })), "dev-h")).toBe("accepted");
    expect(await after.ingest.handle(topicFor("diagnosis", "dev-h"), healthy, "dev-h")).toBe("ignored");
    expect((await after.raw.listTickets({ deviceId: "dev-h" })).map((t) => [t.fault, t.healthySince])).toEqual([["voice_capture", null]]);
  });

  it("a diagnosis processed in one go is finished: its redelivery is a duplicate and changes nothing", async () => {
    const clock = new ManualScheduler();
    const fleet = await fleetOn(dbPath(), clock);
    const payload = encode.diagnosis(diagnosisMsg("dev-f", clock.now(), { fault: "cloud_outage" }));
    expect(await fleet.ingest.handle(topicFor("diagnosis", "dev-f"), payload, "dev-f")).toBe("accepted");
    expect(await fleet.ingest.handle(topicFor("diagnosis", "dev-f"), payload, "dev-f")).toBe("duplicate");
    expect((await fleet.raw.listTickets({ deviceId: "dev-f" })).map((t) => t.occurrences)).toEqual([1]);
    expect(await fleet.raw.markSeen(JSON.parse(payload.toString()).msg_id, "dev-f", clock.now())).toBe("stored");
  });
});
