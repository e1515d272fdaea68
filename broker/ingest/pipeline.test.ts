import pino from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newMessageId, topicFor } from "../../shared/index.ts";
import { TicketsConfig } from "../config/schema.ts";
import { FleetEvents } from "../events.ts";
import { Refusals } from "../mqtt/refusals.ts";
import { SqliteStore } from "../store/sqlite/store.ts";
import { TicketEngine } from "../tickets/engine.ts";
import { ManualScheduler } from "../testing/harness.ts";
import { diagnosisMsg, encode, stateMsg, telemetryMsg } from "../testing/messages.ts";
import { IngestPipeline } from "./pipeline.ts";

let store: SqliteStore;
let ingest: IngestPipeline;
let refusals: Refusals;
let clock: ManualScheduler;

beforeEach(async () => {
  const log = pino({ level: "silent" });
  store = new SqliteStore(":memory:");
  await store.open();
  clock = new ManualScheduler();
  refusals = new Refusals(log);
  const events = new FleetEvents();
  const tickets = new TicketEngine({ store, events, log, config: TicketsConfig.parse({ group_wait_ms: 0 }), scheduler: clock });
  ingest = new IngestPipeline({ store, tickets, events, refusals, log, maxPayloadBytes: 8192, historyPerDevice: 10, now: clock.now });
});

afterEach(async () => {
  await store.close();
});

describe("ingest", () => {
  it("registers state, labels, latest samples, a bounded history and the diagnosis history", async () => {
    await ingest.handle(topicFor("state", "dev-a"), encode.state(stateMsg("dev-a", clock.now(), { region: "apac", model: "s2", labels: { room: "kitchen" } })), "dev-a");
    for (let i = 0; i < 15; i++) {
      clock.t += 60_000;
      await ingest.handle(topicFor("telemetry", "dev-a"), encode.telemetry(telemetryMsg("dev-a", clock.now(), i)), "dev-a");
    }
    await ingest.handle(topicFor("diagnosis", "dev-a"), encode.diagnosis(diagnosisMsg("dev-a", clock.now(), { fault: "voice_capture" })), "dev-a");
    const d = await store.getDevice("dev-a");
    expect(d).toMatchObject({ online: true, region: "apac", model: "s2", labels: { room: "kitchen" }, agentVersion: "1.0.0", firmwareVersion: "fw-1", fault: "voice_capture", lastSeen: clock.now() });
    expect(d!.telemetry!.seq).toBe(14);
    const history = await store.history("dev-a", 0, 100);
    expect(history.map((p) => p.telemetry.seq)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    expect((await store.diagnoses("dev-a", 10)).map((x) => x.fault)).toEqual(["voice_capture"]);
  });

  it("marks a device offline when its Last Will arrives", async () => {
    await ingest.handle(topicFor("state", "dev-a"), encode.state(stateMsg("dev-a", clock.now())), "dev-a");
    await ingest.handle(topicFor("state", "dev-a"), encode.state(stateMsg("dev-a", clock.now(), { status: "offline", reason: "will" })), "dev-a");
    expect(await store.getDevice("dev-a")).toMatchObject({ online: false, onlineSince: null });
  });

  it("ignores a late Last Will of an earlier connection: the device stays online until its current connection's will", async () => {
    const state = (o: Parameters<typeof stateMsg>[2]) => encode.state(stateMsg("dev-a", clock.now(), o));
    // wills are made at connect with time-ordered ids: the first connection's sorts below the second's
    const oldWill = { status: "offline" as const, reason: "will" as const, msg_id: newMessageId(1_800_000_000_000) };
    const newWill = { status: "offline" as const, reason: "will" as const, msg_id: newMessageId(1_800_000_060_000) };
    expect(await ingest.handle(topicFor("state", "dev-a"), state({ will_msg_id: oldWill.msg_id }), "dev-a")).toBe("accepted");
    // the device reconnected (its broker died, or a takeover) before the old session's will was published
    expect(await ingest.handle(topicFor("state", "dev-a"), state({ will_msg_id: newWill.msg_id }), "dev-a")).toBe("accepted");
    expect(await ingest.handle(topicFor("state", "dev-a"), state(oldWill), null)).toBe("ignored");
    expect((await store.getDevice("dev-a"))?.online).toBe(true);
    expect(await ingest.handle(topicFor("state", "dev-a"), state(newWill), null)).toBe("accepted");
    expect((await store.getDevice("dev-a"))?.online).toBe(false);
    // a will of a connection whose online state the fleet never saw (it dropped before storing it, or a
    // fleet restarted): later than the one stored, so it applies
    await ingest.handle(topicFor("state", "dev-a"), state({ will_msg_id: newWill.msg_id }), "dev-a");
    expect(await ingest.handle(topicFor("state", "dev-a"), state({ ...newWill, msg_id: newMessageId(1_800_000_120_000) }), null)).toBe("accepted");
    expect((await store.getDevice("dev-a"))?.online).toBe(false);
    // an agent that names no will (older versions): every will applies, as before
    await ingest.handle(topicFor("state", "dev-b"), encode.state(stateMsg("dev-b", clock.now())), "dev-b");
    await ingest.handle(topicFor("state", "dev-b"), encode.state(stateMsg("dev-b", clock.now(), oldWill)), null);
    expect((await store.getDevice("dev-b"))?.online).toBe(false);
  });

  it("refuses invalid messages with a reason, counts them, and never turns them into state", async () => {
    const outcomes = [
      await ingest.handle(topicFor("state", "dev-a"), Buffer.from("{"), "dev-a"),
      await ingest.handle(topicFor("state", "dev-a"), Buffer.from(JSON.stringify({ ...stateMsg("dev-a", clock.now()), status: "maybe" })), "dev-a"),
      await ingest.handle(topicFor("state", "dev-a"), encode.state(stateMsg("dev-b", clock.now())), "dev-a"),
      await ingest.handle(topicFor("telemetry", "dev-a"), Buffer.alloc(9000, 0x20), "dev-a"),
      await ingest.handle(topicFor("diagnosis", "dev-a"), Buffer.from([0xff, 0xfe]), "dev-a"),
      await ingest.handle("other/dev-a/state", encode.state(stateMsg("dev-a", clock.now())), "dev-a"),
    ];
    expect(outcomes.every((o) => o === "refused")).toBe(true);
    expect(refusals.snapshot()).toEqual({ invalid_json: 1, invalid_schema: 1, device_mismatch: 1, oversized: 1, invalid_utf8: 1, topic_outside_namespace: 1 });
    expect(await store.getDevice("dev-a")).toBeNull();
    expect(await store.getDevice("dev-b")).toBeNull();
    // a valid message right after is served normally
    expect(await ingest.handle(topicFor("state", "dev-a"), encode.state(stateMsg("dev-a", clock.now())), "dev-a")).toBe("accepted");
  });

  it("is idempotent by msg_id", async () => {
    const t = encode.telemetry(telemetryMsg("dev-a", clock.now(), 1));
    expect(await ingest.handle(topicFor("telemetry", "dev-a"), t, "dev-a")).toBe("accepted");
    expect(await ingest.handle(topicFor("telemetry", "dev-a"), t, "dev-a")).toBe("duplicate");
    expect(await store.history("dev-a", 0, 10)).toHaveLength(1);
    expect(ingest.stats).toMatchObject({ accepted: 1, duplicates: 1 });
  });
});
