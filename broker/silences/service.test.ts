import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../store/sqlite/store.ts";
import { ManualScheduler } from "../testing/harness.ts";
import { matches, SilenceService } from "./service.ts";

let store: SqliteStore;
let clock: ManualScheduler;
let svc: SilenceService;

beforeEach(async () => {
  store = new SqliteStore(":memory:");
  await store.open();
  clock = new ManualScheduler();
  svc = new SilenceService(store, clock.now);
});
afterEach(() => store.close());

describe("silences", () => {
  it("matches labels by equality, with * for any present value", () => {
    expect(matches({ region: "eu", fault: "cloud_outage" }, { region: "eu", fault: "cloud_outage", model: "s1" })).toBe(true);
    expect(matches({ region: "eu" }, { region: "us" })).toBe(false);
    expect(matches({ firmware: "*" }, { region: "eu" })).toBe(false);
    expect(matches({ firmware: "*" }, { firmware: "fw-2" })).toBe(true);
  });

  it("is active only inside its window, and every change is audited", async () => {
    const now = clock.now();
    const s = await svc.create({ matchers: { region: "eu" }, startsAt: now + 60_000, endsAt: now + 120_000, comment: "router swap", createdBy: "ops" });
    expect(await svc.matching({ region: "eu" })).toBeNull();
    clock.t += 60_000;
    expect((await svc.matching({ region: "eu" }))?.id).toBe(s.id);
    await svc.update(s.id, { endsAt: now + 600_000 }, "lead");
    expect(await svc.expire(s.id, "ops")).toBe(true);
    expect(await svc.matching({ region: "eu" })).toBeNull();
    expect((await svc.list())[0]).toMatchObject({ id: s.id, comment: "router swap", createdBy: "ops", expiredAt: clock.now() });
    expect((await store.listAudit(`silence:${s.id}`)).map((a) => `${a.action} by ${a.actor}`)).toEqual(["silence.expire by ops", "silence.update by lead", "silence.create by ops"]);
  });
});
