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

describe("a diagnosis whose ticket work did not finish (SQLite)", () => {
  it("a fleet killed between the diagnosis's committed row and its ticket: after the restart the redelivery opens the ticket, once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "edge-unfinished-"));
    dirs.push(dir);
    const path = join(dir, "fleet.db");
    const clock = new ManualScheduler();
    const before = await fleetOn(path, clock);
    const payload = encode.diagnosis(diagnosisMsg("dev-k", clock.now(), { fault: "cloud_outage" }));
    // the engine is in its periodic pass: the diagnosis's mark and row commit in their turn, its ticket waits,
    // and the process dies there (the engine never comes back, the device never gets its PUBACK)
    void before.tickets.serial(() => new Promise<void>(() => undefined));
    void before.ingest.handle(topicFor("diagnosis", "dev-k"), payload, "dev-k").catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));

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
    const dir = mkdtempSync(join(tmpdir(), "edge-unfinished-"));
    dirs.push(dir);
    const path = join(dir, "fleet.db");
    const clock = new ManualScheduler();
    const before = await fleetOn(path, clock);
    const outage = encode.diagnosis(diagnosisMsg("dev-s", clock.now(), { fault: "cloud_outage" }));
    void before.tickets.serial(() => new Promise<void>(() => undefined));
    void before.ingest.handle(topicFor("diagnosis", "dev-s"), outage, "dev-s").catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
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

  it("a diagnosis processed in one go is finished: its redelivery is a duplicate and changes nothing", async () => {
    const dir = mkdtempSync(join(tmpdir(), "edge-unfinished-"));
    dirs.push(dir);
    const clock = new ManualScheduler();
    const fleet = await fleetOn(join(dir, "fleet.db"), clock);
    const payload = encode.diagnosis(diagnosisMsg("dev-f", clock.now(), { fault: "cloud_outage" }));
    expect(await fleet.ingest.handle(topicFor("diagnosis", "dev-f"), payload, "dev-f")).toBe("accepted");
    expect(await fleet.ingest.handle(topicFor("diagnosis", "dev-f"), payload, "dev-f")).toBe("duplicate");
    expect((await fleet.raw.listTickets({ deviceId: "dev-f" })).map((t) => t.occurrences)).toEqual([1]);
    expect(await fleet.raw.markSeen(JSON.parse(payload.toString()).msg_id, "dev-f", clock.now())).toBe("stored");
  });
});
