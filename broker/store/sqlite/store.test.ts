import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { fleetConfig } from "../../config/load.ts";
import { ManualScheduler } from "../../testing/harness.ts";
import { diagnosisMsg, stateMsg, telemetryMsg } from "../../testing/messages.ts";
import { engineHarness } from "../../testing/engine-harness.ts";
import { Retention } from "../retention.ts";
import { MIGRATIONS } from "./migrations.ts";
import { SqliteStore } from "./store.ts";

let dir: string | null = null;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

const DAY = 86_400_000;

/** A fresh database file for the test (removed after it). */
function dbFile(): string {
  dir = mkdtempSync(join(tmpdir(), "fleet-store-"));
  return join(dir, "fleet.db");
}

describe("SQLite store", () => {
  it("keeps a device's newest telemetry by the report's time, after the upgrade too: one that arrives after a newer one goes to the history only", async () => {
    const path = dbFile();
    const t0 = 1_800_000_000_000;
    // a database from before migration 9, holding the device's report of t0 + 5 s
    const before = new SqliteStore(path);
    await before.open();
    await before.applyTelemetry(telemetryMsg("dev-a", t0 + 5000, 5), t0 + 5000, 100);
    before.db.exec("ALTER TABLE devices DROP COLUMN telemetry_ts; DELETE FROM schema_migrations WHERE version = 9");
    await before.close();

    const store = new SqliteStore(path);
    await store.open();
    try {
      // an older report arriving later (another replica's share of a spool drain, a replayed dead letter)
      await store.applyTelemetry(telemetryMsg("dev-a", t0 + 3000, 3), t0 + 6000, 100);
      expect((await store.getDevice("dev-a"))?.telemetry?.seq).toBe(5);
      await store.applyTelemetry(telemetryMsg("dev-a", t0 + 8000, 8), t0 + 8000, 100);
      await store.applyTelemetry(telemetryMsg("dev-a", t0 + 6000, 6), t0 + 9000, 100);
      expect((await store.getDevice("dev-a"))?.telemetry?.seq).toBe(8);
      expect((await store.history("dev-a", 0, 100)).map((p) => p.telemetry.seq)).toEqual([3, 5, 6, 8]);
      // the same time twice: the later arrival is the latest
      const again = { ...telemetryMsg("dev-a", t0 + 8000, 9) };
      await store.applyTelemetry(again, t0 + 10_000, 100);
      expect((await store.getDevice("dev-a"))?.telemetry?.seq).toBe(9);
      // a clock running years ahead: its report counts at its arrival, so the device's next reports still replace it
      await store.applyTelemetry(telemetryMsg("dev-a", t0 + 3650 * DAY, 10), t0 + 11_000, 100);
      expect((await store.getDevice("dev-a"))?.telemetry?.seq).toBe(10);
      await store.applyTelemetry(telemetryMsg("dev-a", t0 + 12_000, 11), t0 + 12_000, 100);
      expect((await store.getDevice("dev-a"))?.telemetry?.seq).toBe(11);
    } finally {
      await store.close();
    }
  });

  it("counts the devices each live incident affects when upgraded to per-device counts (migration 10), and keeps counting after", async () => {
    const h = await engineHarness({ group_wait_ms: 0 });
    try {
      const ids = Array.from({ length: 10 }, (_, i) => `dev-${i}`);
      const [a, b, c, d] = ids as [string, string, string, string];
      await h.online(ids);
      const diagnose = (id: string, fault: "cloud_outage" | "voice_cloud" | "cloud_latency") => h.engine.onDiagnosis(diagnosisMsg(id, h.scheduler.now(), { fault }), h.scheduler.now());
      for (const id of [a, b, c, d]) await diagnose(id, "cloud_outage");
      for (const id of [a, b]) for (const f of ["voice_cloud", "cloud_latency"] as const) await diagnose(id, f);
      const offline = async (id: string) => {
        const s = stateMsg(id, h.scheduler.now(), { status: "offline", reason: "will" });
        await h.store.applyState(s, h.scheduler.now());
        await h.engine.onState(s);
      };
      await offline(c);
      const [inc] = await h.store.listIncidents();
      // as a database from before migration 10 holds it: no per-device counts
      h.store.db.exec(`DROP TRIGGER incident_devices_active; DROP TRIGGER tickets_member_in; DROP TRIGGER tickets_member_out; DROP TRIGGER tickets_member_change;
                       ALTER TABLE incident_devices DROP COLUMN active; ALTER TABLE incident_counts DROP COLUMN active_devices`);
      h.store.db.exec(MIGRATIONS.find((m) => m.version === 10)!.sql);
      expect(await h.store.countIncidentMembers(inc!.id)).toEqual({ live: 8, active: 7, activeDevices: 3, flapping: 0, devices: 4 });
      await offline(a);
      expect(await h.store.getIncident(inc!.id)).toMatchObject({ deviceCount: 4, activeDevices: 2 });
    } finally {
      await h.close();
    }
  });

  it("upgrades a version-1 database in place, keeping its tickets and the one-live-ticket rule", async () => {
    const path = dbFile();
    const v1 = new DatabaseSync(path);
    v1.exec("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
    v1.exec(MIGRATIONS[0]!.sql);
    v1.prepare("INSERT INTO schema_migrations VALUES (1, 'registry and tickets', 0)").run();
    v1.prepare(`INSERT INTO tickets (fingerprint, device_id, fault, family, status, severity, title, opened_at, updated_at, last_seen, occurrences, evidence)
                VALUES ('voice_capture:-', 'dev-a', 'voice_capture', NULL, 'open', 'P2', 'old', 1, 1, 1, 3, '{}')`).run();
    v1.close();

    const store = new SqliteStore(path);
    await store.open();
    const [t] = await store.listTickets();
    expect(t).toMatchObject({ title: "old", occurrences: 3, incidentId: null, reopenCount: 0, suppressedBy: null, firstSeen: 1 });
    const { status: _s, id: _id, ...rest } = t!;
    await expect(store.insertTicket({ ...rest, status: "pending" })).rejects.toThrow(/UNIQUE/);
    await store.close();
  });

  it("purges closed tickets and incidents, old history, old message ids and old dead letters on the retention schedule", async () => {
    const store = new SqliteStore(":memory:");
    await store.open();
    const clock = new ManualScheduler();
    const now = clock.now();
    const d = diagnosisMsg("dev-a", now - 200 * DAY, { fault: "voice_capture" });
    const base = { fingerprint: "f", deviceId: "dev-a", fault: "voice_capture" as const, family: null, severity: "P2" as const, title: "t", openedAt: now, updatedAt: now, lastSeen: now, firstSeen: now, occurrences: 1, evidence: d,
      incidentId: null, resolvedAt: null, component: null, suppressedBy: null, healthySince: null, verifiedAt: null, reopenCount: 0, regression: null, transitions: [], flapping: false, labels: {}, content: null, acknowledgedAt: null };
    await store.insertTicket({ ...base, status: "closed", closedAt: now - 200 * DAY });
    await store.insertTicket({ ...base, fingerprint: "g", status: "closed", closedAt: now - 10 * DAY });
    await store.insertTicket({ ...base, fingerprint: "h", status: "open", closedAt: null });
    await store.applyTelemetry(telemetryMsg("dev-a", now - 40 * DAY), now, 100);
    await store.applyTelemetry(telemetryMsg("dev-a", now - DAY), now, 100);
    await store.markSeen("old-message-id", "dev-a", now - 8 * DAY);
    await store.markSeen("new-message-id", "dev-a", now);
    // dead letters are kept 30 days (retention.dead_letter_days), for an operator to look at
    await store.addDeadLetter({ at: now - 31 * DAY, target: "ingest:telemetry", attempts: 3, error: "old", body: null });
    await store.addDeadLetter({ at: now - 29 * DAY, target: "pager", attempts: 6, error: "recent", body: null });

    const retention = new Retention({ store, config: fleetConfig({}), scheduler: clock, log: pino({ level: "silent" }) });
    retention.start();
    await clock.advance(3_600_000);
    retention.stop();
    expect((await store.listTickets()).map((t) => t.fingerprint).sort()).toEqual(["g", "h"]);
    expect(await store.history("dev-a", 0, 10)).toHaveLength(1);
    expect(await store.markSeen("old-message-id", "dev-a", now)).toBe("new");
    expect(await store.markSeen("new-message-id", "dev-a", now)).toBe("stored");
    expect((await store.listDeadLetters()).map((l) => l.error)).toEqual(["recent"]);
    // a replay's claim on a dead letter: one holder at a time, until it lapses or is released
    const id = (await store.listDeadLetters())[0]!.id!;
    expect(await store.claimDeadLetter(id, now, now + 60_000)).toBe(true);
    expect(await store.claimDeadLetter(id, now + 1, now + 60_001)).toBe(false);
    expect(await store.claimDeadLetter(id, now + 60_001, now + 120_001)).toBe(true);
    // the lapsed claim's holder can neither release (nor record the mark) nor delete what the new claim holds
    await store.releaseDeadLetter(id, now + 60_000, "stale holder", { msgId: "m-x", deviceId: "dev-a", at: now });
    expect(await store.getDeadLetter(id)).toMatchObject({ error: "recent" });
    expect(await store.markSeen("m-x", "dev-a", now)).toBe("new");
    await store.forgetSeen("m-x");
    expect(await store.deleteDeadLetter(id, now + 60_000)).toBe(false);
    expect(await store.claimDeadLetter(id, now + 60_002, now + 1)).toBe(false);
    await store.releaseDeadLetter(id, now + 120_001, "failed again", { msgId: "m-x", deviceId: "dev-a", at: now });
    expect(await store.getDeadLetter(id)).toMatchObject({ error: "failed again" });
    expect(await store.markSeen("m-x", "dev-a", now)).toBe("stored");
    expect(await store.claimDeadLetter(id, now + 60_002, now + 120_002)).toBe(true);
    expect(await store.deleteDeadLetter(id)).toBe(true);
    expect(await store.claimDeadLetter(id, now, now + 1)).toBe(false);
    await store.close();
  });

  it("keeps a message id unfinished until its report's effects are stored; a dead letter records it finished, at the letter's time", async () => {
    const store = new SqliteStore(":memory:");
    await store.open();
    const now = 1_800_000_000_000;
    expect(await store.markSeen("m-d", "dev-a", now, true)).toBe("new");
    expect(await store.markSeen("m-d", "dev-a", now + 1)).toBe("unfinished");
    await store.finishSeen("m-d");
    expect(await store.markSeen("m-d", "dev-a", now + 2)).toBe("stored");
    // a report that keeps failing after its own write: its dead letter finishes the mark and moves it to the letter's time
    expect(await store.markSeen("m-p", "dev-a", now, true)).toBe("new");
    await store.addDeadLetter({ at: now + 10, target: "ingest:diagnosis", attempts: 3, error: "bug", body: null }, { msgId: "m-p", deviceId: "dev-a" });
    expect(await store.markSeen("m-p", "dev-a", now + 11)).toBe("stored");
    // so the replay, which forgets the letter's mark only, processes it again
    await store.forgetSeen("m-p", now);
    expect(await store.markSeen("m-p", "dev-a", now + 12)).toBe("stored");
    await store.forgetSeen("m-p", now + 10);
    expect(await store.markSeen("m-p", "dev-a", now + 13, true)).toBe("new");
    // a dead letter never takes over a mark another delivery finished (the report is stored whole): a replay finds it stored
    expect(await store.markSeen("m-s", "dev-a", now)).toBe("new");
    await store.addDeadLetter({ at: now + 20, target: "ingest:telemetry", attempts: 3, error: "bug", body: null }, { msgId: "m-s", deviceId: "dev-a" });
    await store.forgetSeen("m-s", now + 20);
    expect(await store.markSeen("m-s", "dev-a", now + 21)).toBe("stored");
    // a replay that failed again and is released: finished at the letter's time, whatever the replay left
    const [letter] = await store.listDeadLetters();
    expect(await store.claimDeadLetter(letter!.id!, now + 14, now + 60_000)).toBe(true);
    await store.releaseDeadLetter(letter!.id!, now + 60_000, "failed again", { msgId: "m-p", deviceId: "dev-a", at: now + 10 });
    expect(await store.markSeen("m-p", "dev-a", now + 15)).toBe("stored");
    await store.forgetSeen("m-p", now + 10);
    expect(await store.markSeen("m-p", "dev-a", now + 16)).toBe("new");
    await store.close();
  });

  it("keeps exactly the newest history points per device, trimming the rest in chunks, a late spooled report included", async () => {
    const store = new SqliteStore(":memory:");
    await store.open();
    const t0 = 1_800_000_000_000;
    const rows = () => (store.db.prepare("SELECT count(*) AS n FROM telemetry_history WHERE device_id = 'dev-a'").get() as { n: number }).n;
    let most = 0;
    for (let i = 0; i < 100; i++) {
      await store.applyTelemetry(telemetryMsg("dev-a", t0 + i * 60_000, i), t0 + i * 60_000, 20);
      most = Math.max(most, rows());
    }
    // a report from the device's spool, older than everything held: never among the newest 20
    await store.applyTelemetry(telemetryMsg("dev-a", t0 - 60_000, 999), t0 + 100 * 60_000, 20);
    await store.applyTelemetry(telemetryMsg("dev-b", t0, 0), t0, 20);
    expect((await store.history("dev-a", 0, 1000)).map((p) => p.telemetry.seq)).toEqual(Array.from({ length: 20 }, (_, i) => 80 + i));
    expect((await store.history("dev-a", t0 + 95 * 60_000, 3)).map((p) => p.telemetry.seq)).toEqual([97, 98, 99]);
    expect(await store.history("dev-b", 0, 1000)).toHaveLength(1);
    // bounded storage: at most a tenth over the limit before a trim
    expect(most).toBeLessThanOrEqual(22);
    expect(most).toBeGreaterThan(20);
    await store.close();
  });

  it("keeps trimming history correctly after a retention purge and after an upgrade from a database that held more", async () => {
    const path = dbFile();
    const t0 = 1_800_000_000_000;
    const old = new SqliteStore(path);
    await old.open();
    for (let i = 0; i < 30; i++) await old.applyTelemetry(telemetryMsg("dev-a", t0 + i, i), t0 + i, 1000);
    // as a fleet before the history count existed left it: rows uncounted
    old.db.exec("UPDATE devices SET history_count = 0, history_limit = NULL; DELETE FROM schema_migrations WHERE version = 4; ALTER TABLE devices DROP COLUMN history_count; ALTER TABLE devices DROP COLUMN history_limit");
    await old.close();

    const store = new SqliteStore(path);
    await store.open();
    await store.applyTelemetry(telemetryMsg("dev-a", t0 + 30, 30), t0 + 30, 10);
    expect((await store.history("dev-a", 0, 1000)).map((p) => p.telemetry.seq)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
    expect(await store.purge({ closedBefore: 0, historyBefore: t0 + 28, seenBefore: 0, deadLettersBefore: 0 })).toMatchObject({ history: 7 });
    for (let i = 31; i < 40; i++) await store.applyTelemetry(telemetryMsg("dev-a", t0 + i, i), t0 + i, 10);
    expect((await store.history("dev-a", 0, 1000)).map((p) => p.telemetry.seq)).toEqual([30, 31, 32, 33, 34, 35, 36, 37, 38, 39]);
    await store.close();
  });

  it("returns an inserted ticket exactly as a read gives it back, defaults included", async () => {
    const store = new SqliteStore(":memory:");
    await store.open();
    const now = 1_800_000_000_000;
    const evidence = diagnosisMsg("dev-a", now, { fault: "cloud_outage" });
    const full = { fingerprint: "f", deviceId: "dev-a", fault: "cloud_outage" as const, family: "server", status: "open" as const, severity: "P1" as const, title: "t", openedAt: now, updatedAt: now, lastSeen: now, firstSeen: now - 5, occurrences: 2, evidence,
      incidentId: null, resolvedAt: null, closedAt: null, component: "cloud", suppressedBy: "device_offline", healthySince: now, verifiedAt: now, reopenCount: 1, regression: null, transitions: [now - 5, now], flapping: true, labels: { region: "eu" },
      content: null, acknowledgedAt: now };
    const inserted = await store.insertTicket(full);
    expect(inserted).toStrictEqual(await store.getTicket(inserted.id));
    // a record from an older caller without the optional bookkeeping gets the stored defaults, as on a read
    const { component: _c, firstSeen: _f, suppressedBy: _s, healthySince: _h, verifiedAt: _v, reopenCount: _r, transitions: _t, flapping: _fl, labels: _l, content: _co, acknowledgedAt: _a, ...bare } = full;
    const sparse = await store.insertTicket({ ...bare, fingerprint: "g" } as typeof full);
    expect(sparse).toStrictEqual(await store.getTicket(sparse.id));
    expect(sparse).toMatchObject({ firstSeen: now, reopenCount: 0, transitions: [], labels: {}, suppressedBy: null });
    await store.close();
  });

  it("carries an incident's first 100 device ids in id order, as paging through its devices gives them", async () => {
    const h = await engineHarness({ group_wait_ms: 60_000 });
    // ids whose order differs between naive string orders: case, length, punctuation
    const ids = Array.from({ length: 150 }, (_, i) => [`dev-${i}`, `Dev.${i}`, `d:${i}`, `d${i}`][i % 4]!);
    await h.online(ids);
    for (const id of [...ids].reverse()) await h.diagnose(id, { fault: "cloud_outage" });
    const [incident] = await h.store.listIncidents();
    const paged = await h.store.listIncidentDevices(incident!.id, { limit: 100 });
    expect(incident!.deviceCount).toBe(150);
    expect(incident!.deviceIds).toEqual(paged);
    expect(incident!.deviceIds).toEqual([...ids].sort().slice(0, 100));
    expect((await h.store.getIncident(incident!.id))!.deviceIds).toEqual(paged);
    await h.close();
  });
});
