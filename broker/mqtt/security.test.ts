import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { WebSocket } from "ws";
import { afterEach, beforeAll, afterAll, describe, expect, it } from "vitest";
import { topicFor } from "../../shared/index.ts";
import { hashSecret } from "../auth/secrets.ts";
import { diagnosisMsg, encode, stateMsg } from "../testing/messages.ts";
import { settle, startFleet, type Harness } from "../testing/harness.ts";

let h: Harness | null = null;
const clients: MqttClient[] = [];

afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.endAsync(true).catch(() => {})));
  await h?.close();
  h = null;
});

function connect(url: string, opts: mqtt.IClientOptions): Promise<MqttClient> {
  return mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts }).then((c) => (clients.push(c), c));
}

/** Resolves with the reason a connection attempt failed; fails the test if it succeeds. */
function refusedConnect(url: string, opts: mqtt.IClientOptions): Promise<Error> {
  return new Promise((resolve, reject) => {
    const c = mqtt.connect(url, { reconnectPeriod: 0, connectTimeout: 5000, ...opts });
    clients.push(c);
    c.once("connect", () => reject(new Error(`connected as ${String(opts.clientId)}`)));
    c.once("error", (err) => resolve(err));
    c.once("close", () => resolve(new Error("connection closed")));
  });
}

/** The granted QoS of one subscription, or 128 when the broker refused it. */
const grant = (c: MqttClient, topic: string): Promise<number> =>
  c.subscribeAsync(topic, { qos: 1 }).then((g) => g[0]!.qos, (err: { packet?: { granted?: number[] } }) => err.packet?.granted?.[0] ?? -1);

/** Waits until a client is closed by the broker. */
function closed(c: MqttClient): Promise<void> {
  return new Promise((r) => (c.disconnected || !c.connected ? r() : c.once("close", () => r())));
}

describe("MQTT over TCP", () => {
  it("accepts a provisioned device, refuses wrong secrets and identities, and stores its reports", async () => {
    h = await startFleet();
    const secret = await h.addDevice("dev-a");
    expect((await refusedConnect(h.mqttUrl, { clientId: "dev-a", username: "dev-a", password: "wrong" })).message).toMatch(/Bad username or password|Not authorized/i);
    expect((await refusedConnect(h.mqttUrl, { clientId: "dev-b", username: "dev-a", password: secret })).message).toMatch(/Not authorized|identifier/i);
    const a = await connect(h.mqttUrl, { clientId: "dev-a", username: "dev-a", password: secret });
    await a.publishAsync(topicFor("state", "dev-a"), encode.state(stateMsg("dev-a", h.scheduler.now())), { qos: 1, retain: true });
    expect((await h.fleet.store.getDevice("dev-a"))?.online).toBe(true);
    expect(h.fleet.refusals.snapshot()).toMatchObject({ auth_failed: 1, identity_mismatch: 1 });
    // the store holds the state; the broker keeps no retained copy in memory (issue #9: ~0.6 KB per device ever seen)
    await settle(); // aedes stores a retained message after the PUBACK
    const retained: unknown[] = [];
    const persistence = (h.fleet.broker.aedes as unknown as { persistence: { createRetainedStream(pattern: string): AsyncIterable<unknown> } }).persistence;
    for await (const p of persistence.createRetainedStream("#")) retained.push(p);
    expect(retained).toEqual([]);
  });

  it("start() arms the periodic units and stop() cancels every timer it started", async () => {
    h = await startFleet();
    expect(h.scheduler.pending()).toBe(3); // credential check, ticket evaluation, retention
    const scheduler = h.scheduler;
    await h.close();
    h = null;
    expect(scheduler.pending()).toBe(0);
  });

  it("a Last Will anywhere but the device's own state topic refuses the connection (aedes stores wills without asking authorizePublish)", async () => {
    h = await startFleet();
    const sa = await h.addDevice("dev-a");
    await h.addDevice("dev-b");
    const payload = Buffer.from("{}");
    for (const topic of [topicFor("state", "dev-b"), topicFor("command", "dev-b"), "edge/v1/dev-a/telemetry"]) {
      const err = await refusedConnect(h.mqttUrl, { clientId: "dev-a", username: "dev-a", password: sa, will: { topic, payload, qos: 1, retain: false } });
      expect(err.message).toMatch(/Not authorized/i);
    }
    expect(h.fleet.refusals.counts.get("not_authorized")).toBe(3);
    await connect(h.mqttUrl, { clientId: "dev-a", username: "dev-a", password: sa, will: { topic: topicFor("state", "dev-a"), payload, qos: 1, retain: true } });
  });

  it("device A cannot publish on B's topics nor read B's commands, and $SYS stays reserved", async () => {
    h = await startFleet();
    const sa = await h.addDevice("dev-a");
    await h.addDevice("dev-b");
    const a = await connect(h.mqttUrl, { clientId: "dev-a", username: "dev-a", password: sa });
    for (const t of [topicFor("command", "dev-b"), "$SYS/#", "edge/v1/#"]) expect(await grant(a, t)).toBe(128);
    expect(await grant(a, topicFor("command", "dev-a"))).toBe(1);
    // publishing as B closes A's connection (MQTT 3.1.1 §3.3.5) and stores nothing for B
    const gone = closed(a);
    a.publish(topicFor("diagnosis", "dev-b"), encode.diagnosis(diagnosisMsg("dev-b", h.scheduler.now(), { fault: "voice_capture" })), { qos: 1 });
    await gone;
    expect(await h.fleet.store.diagnoses("dev-b", 10)).toEqual([]);
    expect((await h.fleet.store.getDevice("dev-b"))?.fault).toBeNull();
    expect(await h.fleet.store.listTickets()).toEqual([]);
    expect(h.fleet.refusals.snapshot()).toMatchObject({ acl_subscribe: 3, not_authorized: 1 });
  });

  it("refuses an oversized or invalid message, counts it, and keeps serving the sender and others", async () => {
    h = await startFleet({ mqtt: { max_payload_bytes: 4096 } });
    const sa = await h.addDevice("dev-a");
    const sb = await h.addDevice("dev-b");
    const a = await connect(h.mqttUrl, { clientId: "dev-a", username: "dev-a", password: sa });
    const b = await connect(h.mqttUrl, { clientId: "dev-b", username: "dev-b", password: sb });
    await a.publishAsync(topicFor("telemetry", "dev-a"), Buffer.alloc(8192, 0x7b), { qos: 1 });
    await a.publishAsync(topicFor("telemetry", "dev-a"), Buffer.from("{not json"), { qos: 1 });
    await a.publishAsync(topicFor("state", "dev-a"), Buffer.from(JSON.stringify({ device_id: "dev-a" })), { qos: 1 });
    // a topic deeper than the limit is refused before anything else
    const deep = closed(b);
    b.publish("edge/v1/dev-b/a/b/c/d/e/f/g", "x", { qos: 1 });
    await deep;
    await a.publishAsync(topicFor("state", "dev-a"), encode.state(stateMsg("dev-a", h.scheduler.now())), { qos: 1 });
    expect((await h.fleet.store.getDevice("dev-a"))?.online).toBe(true);
    expect(h.fleet.refusals.snapshot()).toMatchObject({ oversized: 1, invalid_json: 1, invalid_schema: 1, topic_too_deep: 1 });
    expect(a.connected).toBe(true);
  });

  it("limits each client's publish rate and each address's connection rate", async () => {
    h = await startFleet({ mqtt: { publish_rate: { per_second: 1, burst: 2 }, connect_rate: { per_minute_per_address: 6 } } });
    const sa = await h.addDevice("dev-a");
    const a = await connect(h.mqttUrl, { clientId: "dev-a", username: "dev-a", password: sa });
    const t = topicFor("state", "dev-a");
    await a.publishAsync(t, encode.state(stateMsg("dev-a", h.scheduler.now())), { qos: 1 });
    await a.publishAsync(t, encode.state(stateMsg("dev-a", h.scheduler.now())), { qos: 1 });
    const gone = closed(a);
    a.publish(t, encode.state(stateMsg("dev-a", h.scheduler.now())), { qos: 1 });
    await gone;
    expect(h.fleet.refusals.snapshot().rate_limited).toBe(1);
    // burst of ceil(6/6) = 1 connection per address, and the clock does not move
    await refusedConnect(h.mqttUrl, { clientId: "dev-a", username: "dev-a", password: sa });
    expect(h.fleet.refusals.snapshot().connect_rate).toBeGreaterThanOrEqual(1);
  });

  it("disconnects a revoked device at once via the fleet, and one revoked by the CLI at the next credential check", async () => {
    h = await startFleet();
    const sa = await h.addDevice("dev-a");
    const sb = await h.addDevice("dev-b");
    const sc = await h.addDevice("dev-c");
    const a = await connect(h.mqttUrl, { clientId: "dev-a", username: "dev-a", password: sa });
    const c = await connect(h.mqttUrl, { clientId: "dev-c", username: "dev-c", password: sc });
    await a.publishAsync(topicFor("state", "dev-a"), encode.state(stateMsg("dev-a", h.scheduler.now())), { qos: 1 });
    const b = await connect(h.mqttUrl, { clientId: "dev-b", username: "dev-b", password: sb, will: { topic: topicFor("state", "dev-b"), payload: encode.state(stateMsg("dev-b", h.scheduler.now(), { status: "offline", reason: "will" })), qos: 1, retain: true } });
    await b.publishAsync(topicFor("state", "dev-b"), encode.state(stateMsg("dev-b", h.scheduler.now())), { qos: 1 });

    const goneA = closed(a);
    expect(await h.fleet.revokeDevice("dev-a")).toBe(true);
    await goneA;
    expect((await refusedConnect(h.mqttUrl, { clientId: "dev-a", username: "dev-a", password: sa })).message).toMatch(/Not authorized/i);

    // the CLI writes only the store; the running fleet notices at its next check and B's Last Will marks it offline
    await h.fleet.store.setCredentialStatus("dev-b", "revoked");
    const goneB = closed(b);
    await h.scheduler.advance(30_000);
    await goneB;
    await settle();
    expect((await h.fleet.store.getDevice("dev-b"))?.online).toBe(false);
    // a device whose credential stands keeps its connection through the check
    expect(c.connected).toBe(true);
    await c.endAsync();
  });

  it("marks a device offline when its Last Will fires on a lost connection, and a redelivered diagnosis opens one ticket", async () => {
    h = await startFleet({ tickets: { group_wait_ms: 0 } });
    const sa = await h.addDevice("dev-a");
    const will = encode.state(stateMsg("dev-a", h.scheduler.now(), { status: "offline", reason: "will" }));
    const a = await connect(h.mqttUrl, { clientId: "dev-a", username: "dev-a", password: sa, will: { topic: topicFor("state", "dev-a"), payload: will, qos: 1, retain: true } });
    await a.publishAsync(topicFor("state", "dev-a"), encode.state(stateMsg("dev-a", h.scheduler.now())), { qos: 1, retain: true });
    const diag = encode.diagnosis(diagnosisMsg("dev-a", h.scheduler.now(), { fault: "voice_capture" }));
    await a.publishAsync(topicFor("diagnosis", "dev-a"), diag, { qos: 1 });
    await a.publishAsync(topicFor("diagnosis", "dev-a"), diag, { qos: 1, dup: true });
    const tickets = await h.fleet.store.listTickets();
    expect(tickets).toHaveLength(1);
    expect(tickets[0]).toMatchObject({ deviceId: "dev-a", fault: "voice_capture", occurrences: 1 });
    expect((await h.fleet.store.getDevice("dev-a"))?.online).toBe(true);
    const offline = new Promise<void>((r) => h!.fleet.events.on("state", (s) => s.status === "offline" && r()));
    a.stream.destroy(); // no DISCONNECT: the broker must publish the will
    await offline;
    expect((await h.fleet.store.getDevice("dev-a"))?.online).toBe(false);
  });

  it("lets a service account read every device's reports and publish commands, but never speak for a device", async () => {
    h = await startFleet({ mqtt: { service_accounts: [{ username: "svc-ops", secret_hash: await hashSecret("ops-secret-1") }] } });
    const sa = await h.addDevice("dev-a");
    const svc = await connect(h.mqttUrl, { clientId: "ops-1", username: "svc-ops", password: "ops-secret-1" });
    expect(await grant(svc, "edge/v1/+/state")).toBe(1);
    expect(await grant(svc, "$SYS/#")).toBe(1);
    const got = new Promise<string>((r) => svc.on("message", (topic) => topic.startsWith("edge/") && r(topic)));
    const a = await connect(h.mqttUrl, { clientId: "dev-a", username: "dev-a", password: sa });
    await a.publishAsync(topicFor("state", "dev-a"), encode.state(stateMsg("dev-a", h.scheduler.now())), { qos: 1 });
    expect(await got).toBe(topicFor("state", "dev-a"));
    const gone = closed(svc);
    svc.publish(topicFor("diagnosis", "dev-a"), encode.diagnosis(diagnosisMsg("dev-a", h.scheduler.now(), { fault: "voice_capture" })), { qos: 1 });
    await gone;
    expect(await h.fleet.store.listTickets()).toEqual([]);
  });
});

describe("MQTT over TLS and WebSocket", () => {
  let pki: string;
  const pem = (name: string) => readFileSync(join(pki, name));

  beforeAll(() => {
    pki = mkdtempSync(join(tmpdir(), "fleet-pki-"));
    const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: pki, stdio: "pipe" });
    writeFileSync(join(pki, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test-ca");
    ssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "rogue.key", "-out", "rogue-ca.pem", "-days", "2", "-subj", "/CN=rogue-ca");
    const leaf = (name: string, cn: string, ca: string, ext: boolean) => {
      ssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", `/CN=${cn}`);
      ssl("x509", "-req", "-in", `${name}.csr`, "-CA", `${ca}.pem`, "-CAkey", `${ca === "ca" ? "ca" : "rogue"}.key`, "-CAcreateserial", "-out", `${name}.pem`, "-days", "2", ...(ext ? ["-extfile", "san.ext"] : []));
    };
    leaf("server", "localhost", "ca", true);
    leaf("dev-a", "dev-a", "ca", false);
    leaf("evil", "dev-a", "rogue-ca", false);
  }, 30_000);

  afterAll(() => rmSync(pki, { recursive: true, force: true }));

  it("authenticates a device by its certificate's CN with mutual TLS, and refuses other CAs and other ids", async () => {
    h = await startFleet({ mqtt: { tls: { port: 0, cert_file: join(pki, "server.pem"), key_file: join(pki, "server.key"), ca_file: join(pki, "ca.pem"), require_client_cert: true } } });
    await h.addDevice("dev-a");
    const url = `mqtts://127.0.0.1:${h.fleet.broker.ports.tls}`;
    const tls = { ca: pem("ca.pem"), rejectUnauthorized: true };
    const a = await connect(url, { ...tls, clientId: "dev-a", cert: pem("dev-a.pem"), key: pem("dev-a.key") });
    await a.publishAsync(topicFor("state", "dev-a"), encode.state(stateMsg("dev-a", h.scheduler.now())), { qos: 1 });
    expect((await h.fleet.store.getDevice("dev-a"))?.online).toBe(true);
    await a.endAsync();
    // the CN binds the identity: the same certificate cannot connect as another device
    await refusedConnect(url, { ...tls, clientId: "dev-b", cert: pem("dev-a.pem"), key: pem("dev-a.key") });
    expect(h.fleet.refusals.snapshot().identity_mismatch).toBe(1);
    // a certificate from another CA never completes the handshake
    await refusedConnect(url, { ...tls, clientId: "dev-a", cert: pem("evil.pem"), key: pem("evil.key") });
    await refusedConnect(url, { ...tls, clientId: "dev-a" });
  });

  it("serves MQTT over WebSocket with the same authentication", async () => {
    h = await startFleet({ mqtt: { ws: { port: 0 } } });
    const sa = await h.addDevice("dev-a");
    const url = `ws://127.0.0.1:${h.fleet.broker.ports.ws}`;
    await refusedConnect(url, { clientId: "dev-a", username: "dev-a", password: "nope" });
    const a = await connect(url, { clientId: "dev-a", username: "dev-a", password: sa });
    await a.publishAsync(topicFor("state", "dev-a"), encode.state(stateMsg("dev-a", h.scheduler.now())), { qos: 1 });
    expect((await h.fleet.store.getDevice("dev-a"))?.online).toBe(true);
    // one WebSocket frame over the packet limit (1 MiB by default): ws refuses it at its header (1009,
    // message too big) instead of buffering 100 MiB, before the MQTT parser sees a byte of it
    const raw = new WebSocket(url, "mqtt");
    await new Promise((r) => raw.once("open", r));
    const code = new Promise<number>((r) => raw.once("close", (c: number) => r(c)));
    raw.send(Buffer.alloc(2 * 1024 * 1024));
    expect(await code).toBe(1009);
    expect(h.fleet.refusals.counts.get("oversized") ?? 0).toBe(0);
  });
});
