import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt from "mqtt";
import pino from "pino";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { fleetConfig } from "../../broker/config/load.ts";
import { FleetServer } from "../../broker/fleet.ts";
import { SqliteStore } from "../../broker/store/sqlite/store.ts";
import { encodeMessage, topicFor } from "../../shared/index.ts";
import { diagnosisMessage } from "../../sim/fleet/messages.ts";
import { waitFor } from "../helpers/fleet.ts";
import { requireService, runToken } from "./services.ts";

// Mosquitto 2 on the default port, anonymous (the CI machine's broker); MQTT 5 shared subscriptions
const URL = "mqtt://127.0.0.1:1883";
const available = await requireService("Mosquitto", "127.0.0.1", 1883);

describe.runIf(available)("external broker mode: replicas consuming one shared subscription", () => {
  const token = runToken();
  const dir = mkdtempSync(join(tmpdir(), "edge-ext-"));
  const dbPath = join(dir, "fleet.db");
  let cleanup: (() => Promise<void>)[] = [];

  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup = [];
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /** A replica: its own process in production, here its own FleetServer on a store shared through one file. */
  async function replica(name: string, o: { batched?: boolean } = {}): Promise<FleetServer> {
    const config = fleetConfig({
      mqtt: { mode: "external", external: { url: URL, client_id: `t-${name}-${token}`, share_group: `g${token}` } },
      http: { host: "127.0.0.1", port: 0 },
      store: { driver: "sqlite", path: dbPath },
    });
    // each replica its own connection to one file (in production: its own process, and PostgreSQL).
    // Unbatched: two per-tick transactions in one process would wait on each other's write lock.
    // Batched (the fleet's own store, as in production) where one replica runs alone.
    const fleet = new FleetServer({ config, log: pino({ level: "silent" }), ...(o.batched ? {} : { store: new SqliteStore(dbPath) }) });
    await fleet.start();
    cleanup.push(async () => {
      await fleet.stop();
      // drop the persistent session so Mosquitto keeps nothing queued for this run after it
      const wipe = await mqtt.connectAsync(URL, { clientId: fleet.external!.clientId, protocolVersion: 5, clean: true, properties: { sessionExpiryInterval: 0 } });
      await wipe.endAsync();
    });
    return fleet;
  }

  async function device(): Promise<mqtt.MqttClient> {
    const c = await mqtt.connectAsync(URL, { clientId: `dev-${token}-${Math.random().toString(36).slice(2, 8)}`, protocolVersion: 4 });
    cleanup.push(() => c.endAsync());
    return c;
  }

  const facts = (i: number) => ({ id: `x${token}-${i}`, model: "m", region: "eu", firmware: "fw", appId: "app" });

  async function publishReports(from: number, to: number): Promise<void> {
    const c = await device();
    for (let i = from; i < to; i++) {
      const d = facts(i);
      await c.publishAsync(topicFor("diagnosis", d.id), encodeMessage("diagnosis", diagnosisMessage(d, "cloud_outage", Date.now())), { qos: 1 });
    }
  }

  async function ticketsOfRun(store: SqliteStore): Promise<Map<string, number>> {
    const all = await store.listTickets({ limit: 100_000 });
    const byDevice = new Map<string, number>();
    for (const t of all) if (t.deviceId.startsWith(`x${token}-`)) byDevice.set(t.deviceId, (byDevice.get(t.deviceId) ?? 0) + t.occurrences);
    return byDevice;
  }

  it("splits the reports between two replicas and processes each exactly once", async () => {
    const a = await replica("a");
    const b = await replica("b");
    await publishReports(0, 200);
    const reader = new SqliteStore(dbPath);
    await reader.open();
    cleanup.push(() => reader.close());
    const tickets = await waitFor(async () => {
      const m = await ticketsOfRun(reader);
      return m.size === 200 ? m : null;
    }, 20_000, "200 tickets");
    // one ticket per report, none counted twice
    expect([...tickets.values()].every((n) => n === 1)).toBe(true);
    // (retained states other runs left in Mosquitto arrive on subscribe too, hence "at least")
    expect(a.ingest.stats.accepted + b.ingest.stats.accepted).toBeGreaterThanOrEqual(200);
    expect(a.ingest.stats.accepted).toBeGreaterThan(0);
    expect(b.ingest.stats.accepted).toBeGreaterThan(0);
  });

  it("loses no report when a replica is killed mid-stream and restarts", async () => {
    const a = await replica("k");
    const b = await replica("l");
    const sent = publishReports(1000, 1300);
    await waitFor(() => a.ingest.stats.accepted >= 30, 20_000, "replica a to be mid-stream");
    // the process dies: no DISCONNECT, no PUBACK for what it was handling
    a.external!.kill();
    await sent;
    // a restarted replica resumes its persistent session and receives what was queued for it
    const a2 = await replica("k");
    const reader = new SqliteStore(dbPath);
    await reader.open();
    cleanup.push(() => reader.close());
    const tickets = await waitFor(async () => {
      const m = await ticketsOfRun(reader);
      return [...m.keys()].filter((k) => Number(k.split("-").at(-1)) >= 1000).length === 300 ? m : null;
    }, 20_000, "all 300 reports stored");
    expect([...tickets.entries()].filter(([k, n]) => Number(k.split("-").at(-1)) >= 1000 && n !== 1)).toEqual([]);
    expect(b.ingest.stats.accepted + a2.ingest.stats.accepted).toBeGreaterThan(0);
  });

  it("a report whose storage fails is delivered again at once: the replica reconnects into its session instead of leaving it unacknowledged", async () => {
    const a = await replica("retry");
    // the store fails for the first report only (a database hiccup)
    const handle = a.ingest.handle.bind(a.ingest);
    let failures = 0;
    a.ingest.handle = async (...args) => {
      if (failures++ === 0) throw new Error("database is locked");
      return handle(...args);
    };
    await publishReports(2000, 2001);
    const tickets = await waitFor(async () => {
      const m = await ticketsOfRun(a.store as SqliteStore);
      return m.get(`x${token}-2000`) ? m : null;
    }, 10_000, "the report stored after the failed attempt");
    expect(tickets.get(`x${token}-2000`)).toBe(1);
    expect(failures).toBe(2);
  });

  it("keeps consuming past a report that always fails: after 3 attempts it is a dead letter, acknowledged, and the reports behind it are stored", async () => {
    // the fleet's own store: a report's dedup mark commits with its effects or not at all
    const a = await replica("poison", { batched: true });
    const poisonId = `x${token}-poison`;
    // a report the store refuses every time (a site constraint; in production, a bug its content reaches)
    const admin = new SqliteStore(dbPath);
    await admin.open();
    cleanup.push(() => admin.close());
    admin.db.exec(`CREATE TRIGGER refuse_${token} BEFORE INSERT ON diagnoses WHEN NEW.device_id = '${poisonId}' BEGIN SELECT RAISE(ABORT, 'refused by the site constraint'); END`);
    cleanup.push(async () => admin.db.exec(`DROP TRIGGER refuse_${token}`));
    const c = await device();
    const publish = (d: ReturnType<typeof facts>) => c.publishAsync(topicFor("diagnosis", d.id), encodeMessage("diagnosis", diagnosisMessage(d, "cloud_outage", Date.now())), { qos: 1 });
    for (let i = 3000; i < 3010; i++) await publish(facts(i));
    await publish({ ...facts(0), id: poisonId });
    for (let i = 3010; i < 3020; i++) await publish(facts(i));
    // before, the replica stopped here: the poison came back at every reconnect, and nothing behind it was handled
    const tickets = await waitFor(async () => {
      const m = await ticketsOfRun(admin);
      return [...m.keys()].filter((k) => Number(k.split("-").at(-1)) >= 3000).length === 20 ? m : null;
    }, 20_000, "the 20 reports around the poison stored");
    expect([...tickets.keys()].filter((k) => Number(k.split("-").at(-1)) >= 3000 && tickets.get(k) !== 1)).toEqual([]);
    const letters = (await admin.listDeadLetters()).filter((l) => (l.body as { device_id?: string }).device_id === poisonId);
    expect(letters).toMatchObject([{ target: "ingest:diagnosis", attempts: 3, error: expect.stringMatching(/refused by the site constraint/) }]);
    expect(a.refusals.snapshot().dead_lettered).toBe(1);
    expect(tickets.has(poisonId)).toBe(false);
  });

  it("publishes commands through the external broker", async () => {
    const f = await replica("c");
    const c = await device();
    const id = `x${token}-cmd`;
    await c.subscribeAsync(topicFor("command", id), { qos: 1 });
    const got = new Promise<string>((r) => c.on("message", (_t, p) => r(p.toString())));
    await f.mqtt.publish(topicFor("command", id), Buffer.from('{"hello":1}'));
    expect(await got).toBe('{"hello":1}');
  });

  it("fails to start with one sentence when the broker is unreachable", async () => {
    const config = fleetConfig({
      mqtt: { mode: "external", external: { url: "mqtt://127.0.0.1:1", client_id: `t-u-${token}` } },
      http: { host: "127.0.0.1", port: 0 },
      store: { driver: "sqlite", path: join(dir, "u.db") },
    });
    const fleet = new FleetServer({ config, log: pino({ level: "silent" }) });
    await expect(fleet.start()).rejects.toThrow(/cannot reach the external MQTT broker at mqtt:\/\/127\.0\.0\.1:1 .*check mqtt\.external\.url/);
  });
});
