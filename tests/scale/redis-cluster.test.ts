import mqtt from "mqtt";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { fleetConfig } from "../../broker/config/load.ts";
import type { IngestPipeline } from "../../broker/ingest/pipeline.ts";
import { redisBackends, redisOptions } from "../../broker/mqtt/cluster.ts";
import { EmbeddedBroker } from "../../broker/mqtt/embedded.ts";
import { Refusals } from "../../broker/mqtt/refusals.ts";
import type { PostgresStore } from "../../broker/store/postgres/store.ts";
import type { FleetStore } from "../../broker/store/types.ts";
import { topicFor } from "../../shared/index.ts";
import { ChildFleet } from "../fault/helpers.ts";
import { startTestFleet, waitFor } from "../helpers/fleet.ts";
import { encode, stateMsg } from "../../broker/testing/messages.ts";
import { requireService, runToken } from "./services.ts";

const REDIS = "redis://127.0.0.1:6379/0";
const available = await requireService("Redis", "127.0.0.1", 6379);
const PG_URL = `postgres://${process.env.PGUSER ?? "postgres"}@127.0.0.1:5432/test`;

describe("redis backend options", () => {
  it("reads host, port, password and database from the URL, and refuses other schemes with a hint", () => {
    expect(redisOptions("redis://:s3cret@10.0.0.5:6380/2")).toEqual({ host: "10.0.0.5", port: 6380, db: 2, password: "s3cret" });
    expect(() => redisOptions("http://x")).toThrow(/use redis:\/\/host:6379/);
  });

  it("refuses a fleet config whose mqtt.cluster.redis_url is not a Redis URL, naming the setting", () => {
    expect(() => fleetConfig({ mqtt: { cluster: { redis_url: "127.0.0.1:6379" } } })).toThrow(/mqtt\.cluster\.redis_url: must be a redis:\/\/ URL/);
  });
});

describe.runIf(available)("embedded broker on several processes through Redis", () => {
  const token = runToken();
  let cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const c of cleanup.reverse()) await c();
    cleanup = [];
  });

  /**
   * One broker node with the product's hooks, sharing Redis with the others. Anonymous devices and a
   * no-op ingest keep this test about the bus and the sessions, not about authentication.
   */
  async function node(): Promise<EmbeddedBroker> {
    const log = pino({ level: "silent" });
    const cfg = fleetConfig({ mqtt: { host: "127.0.0.1", port: 0, allow_anonymous: true } }).mqtt;
    const backends = await redisBackends(REDIS);
    const broker = new EmbeddedBroker(
      cfg,
      {
        store: { getCredential: async () => null } as unknown as FleetStore,
        ingest: { handle: async () => "accepted" } as unknown as IngestPipeline,
        refusals: new Refusals(log),
        allowAnonymous: true,
        maxPayloadBytes: cfg.max_payload_bytes,
        maxTopicLevels: cfg.max_topic_levels,
        publishRate: cfg.publish_rate,
        connectRatePerMinute: cfg.connect_rate.per_minute_per_address,
      },
      log,
      backends,
    );
    await broker.start();
    cleanup.push(async () => {
      await broker.stop();
      await backends.close();
    });
    return broker;
  }

  async function deviceOn(broker: EmbeddedBroker, id: string, clean: boolean): Promise<mqtt.MqttClient> {
    const c = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.ports.tcp}`, { clientId: id, clean, protocolVersion: 4, reconnectPeriod: 0 });
    cleanup.push(() => c.endAsync(true));
    return c;
  }

  it("delivers a command published through one broker to a device connected to the other", async () => {
    const a = await node();
    const b = await node();
    const id = `rc-${token}-1`;
    const dev = await deviceOn(a, id, true);
    await dev.subscribeAsync(topicFor("command", id), { qos: 1 });
    const got = new Promise<string>((r) => dev.on("message", (_t, p) => r(p.toString())));
    await b.publish(topicFor("command", id), Buffer.from('{"n":1}'));
    expect(await got).toBe('{"n":1}');
  });

  it("queues a command for an offline device and delivers it when it reconnects to the other broker", async () => {
    const a = await node();
    const b = await node();
    const id = `rc-${token}-2`;
    const first = await deviceOn(a, id, false);
    await first.subscribeAsync(topicFor("command", id), { qos: 1 });
    await first.endAsync();
    // the session (subscription + offline queue) lives in Redis, not in broker a's memory
    await a.publish(topicFor("command", id), Buffer.from('{"n":2}'));
    const again = mqtt.connect(`mqtt://127.0.0.1:${b.ports.tcp}`, { clientId: id, clean: false, protocolVersion: 4, reconnectPeriod: 0 });
    cleanup.push(() => again.endAsync(true));
    const got = await new Promise<string>((r) => again.on("message", (_t, p) => r(p.toString())));
    expect(got).toBe('{"n":2}');
    // leave nothing behind in Redis for this id
    await again.endAsync();
    const wipe = await deviceOn(b, id, true);
    await wipe.endAsync();
  });
});

// two fleet processes from configuration alone, the way an operator deploys them: the same Redis for
// the brokers (mqtt.cluster), the same PostgreSQL for the registry and the commands
const withPostgres = available && (await requireService("PostgreSQL", "127.0.0.1", 5432));

describe.runIf(withPostgres)("two fleets configured with mqtt.cluster", () => {
  const fleets: Awaited<ReturnType<typeof startTestFleet>>[] = [];
  let device: mqtt.MqttClient | undefined;
  afterEach(async () => {
    await device?.endAsync(true);
    device = undefined;
    await (fleets[0]?.fleet.store as PostgresStore | undefined)?.dropSchema();
    for (const f of fleets.splice(0).reverse()) await f.stop();
  });

  it("a device connected to one fleet receives a command sent through the other's command service", async () => {
    const token = runToken();
    const config = { mqtt: { cluster: { redis_url: REDIS } }, store: { driver: "postgres" as const, url: PG_URL, schema: `rc_${token}` } };
    fleets.push(await startTestFleet(config));
    fleets.push(await startTestFleet(config));
    const [a, b] = fleets as [Awaited<ReturnType<typeof startTestFleet>>, Awaited<ReturnType<typeof startTestFleet>>];
    const { id, secret } = await a.provision(`rcf-${token}`);
    // a persistent session, as the agent keeps (with a clean one aedes-persistence-redis cannot name the acked packet)
    const opts = { clientId: id, username: id, password: secret, protocolVersion: 4 as const, reconnectPeriod: 0 };
    device = await mqtt.connectAsync(a.mqttUrl, { ...opts, clean: false });
    await device.subscribeAsync(topicFor("command", id), { qos: 1 });
    const got = new Promise<{ id: string; name: string }>((r) => device!.on("message", (_t, p) => r(JSON.parse(p.toString()) as { id: string; name: string })));

    const sent = await b.fleet.commands.send({ deviceId: id, name: "diagnose", issuer: "test" });
    expect(sent.status).toBe("queued");
    expect(await got).toMatchObject({ id: sent.id, name: "diagnose" });
    // the device's PUBACK reaches fleet a; the shared command table lets fleet b see the delivery
    await waitFor(async () => (await b.fleet.commands.get(sent.id))?.status === "delivered", 10_000, "command delivered as seen from the sending fleet");
    // leave no session behind in Redis
    await device.endAsync();
    device = await mqtt.connectAsync(b.mqttUrl, { ...opts, clean: true });
  }, 30_000);
});

describe.runIf(withPostgres)("a fleet process of the cluster dies", () => {
  let dead: ChildFleet | undefined;
  let alive: Awaited<ReturnType<typeof startTestFleet>> | undefined;
  let device: mqtt.MqttClient | undefined;
  afterEach(async () => {
    device?.end(true);
    await dead?.dispose();
    await (alive?.fleet.store as PostgresStore | undefined)?.dropSchema();
    await alive?.stop();
    [dead, alive, device] = [undefined, undefined, undefined];
  });

  it("a surviving fleet publishes the Last Will of each device that was connected to it, and the device shows offline", async () => {
    const token = runToken();
    // 1 s heartbeats: the dead broker is noticed after 3 s, its wills published at the next 4 s check
    const config = { mqtt: { cluster: { redis_url: REDIS, heartbeat_interval_ms: 1000 } }, store: { driver: "postgres" as const, url: PG_URL, schema: `rw_${token}` } };
    alive = await startTestFleet(config);
    dead = new ChildFleet(config);
    await dead.start();
    const { id, secret } = await alive.provision(`rcw-${token}`);
    const will = { topic: topicFor("state", id), payload: encode.state(stateMsg(id, Date.now(), { status: "offline", reason: "will" })), qos: 1 as const, retain: true };
    device = await mqtt.connectAsync(dead.url, { clientId: id, username: id, password: secret, clean: false, protocolVersion: 4, reconnectPeriod: 0, will });
    await device.publishAsync(topicFor("state", id), encode.state(stateMsg(id, Date.now())), { qos: 1, retain: true });
    await waitFor(async () => (await alive!.fleet.store.getDevice(id))?.online === true, 10_000, "device online as seen by the surviving fleet");

    // no DISCONNECT, no will from the dead process itself: only the surviving one can say the device is gone
    await dead.kill();
    await waitFor(async () => (await alive!.fleet.store.getDevice(id))?.online === false, 20_000, "device offline after its broker died");
  }, 40_000);
});
