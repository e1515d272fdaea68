import { createHash } from "node:crypto";
import { DatabaseSync } from "node:sqlite";
import { gzipSync } from "node:zlib";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { CommandRequest, type BundleChunk } from "../../shared/index.ts";
import { FleetEvents } from "../events.ts";
import { CommandInputError, CommandService, MemoryCommandStore, SqliteCommandStore, type CommandRecord, type CommandStore } from "./index.ts";

let now = 1_750_000_000_000;
const services: CommandService[] = [];

async function setup(store: CommandStore = new MemoryCommandStore(), uploadOrigins: string[] = []) {
  const published: { topic: string; payload: Buffer; qos: number }[] = [];
  const events = new FleetEvents();
  const svc = new CommandService({ publish: async (topic, payload, qos) => void published.push({ topic, payload, qos }), events, store, log: pino({ level: "silent" }), now: () => now, uploadOrigins });
  await svc.start();
  services.push(svc);
  const updates: CommandRecord[] = [];
  svc.on("update", (r) => updates.push(r));
  return { svc, events, published, updates };
}

const env = (id: string) => ({ v: 1 as const, device_id: "speaker-1", ts: now, msg_id: `m${Math.random().toString(36).slice(2, 12)}` , id });

afterEach(async () => {
  for (const s of services.splice(0)) await s.stop();
});

describe("CommandService", () => {
  it("publishes a valid request at QoS 1 on the device's cmd/req topic and tracks it to ok", async () => {
    const { svc, events, published, updates } = await setup();
    const rec = await svc.send({ deviceId: "speaker-1", name: "diagnose", args: { checks: ["network"] }, issuer: "tech@example.com", ttlS: 60 });
    expect(rec.status).toBe("queued");
    expect(published).toHaveLength(1);
    expect(published[0]!.topic).toBe("edge/v1/speaker-1/cmd/req");
    expect(published[0]!.qos).toBe(1);
    const req = CommandRequest.parse(JSON.parse(published[0]!.payload.toString()));
    expect(req).toMatchObject({ id: rec.id, name: "diagnose", issuer: "tech@example.com", expires_at: now + 60_000 });

    await svc.delivered(published[0]!.payload);
    events.emit("progress", { ...env(rec.id), step: "diagnosis", done: 0, total: 1, detail: "" });
    events.emit("response", { ...env(rec.id), name: "diagnose", status: "ok", data: { fault: "network" }, error: null });
    await svc.stop();
    expect(updates.map((u) => u.status)).toEqual(["queued", "delivered", "progress", "ok"]);
    expect(await svc.get(rec.id)).toMatchObject({ status: "ok", data: { fault: "network" }, progress: { step: "diagnosis" } });
  });

  it("refuses bad requests with readable problems and publishes nothing", async () => {
    const { svc, published } = await setup();
    await expect(svc.send({ deviceId: "speaker-1", name: "reboot", issuer: "t" })).rejects.toThrow(/not a command devices accept/);
    await expect(svc.send({ deviceId: "speaker-1", name: "set-cadence", args: { kind: "telemetry", interval_s: 1 }, issuer: "t" })).rejects.toMatchObject({ problems: [expect.stringMatching(/^args\.interval_s/)] });
    await expect(svc.send({ deviceId: "bad/id", name: "ping", issuer: "t" })).rejects.toBeInstanceOf(CommandInputError);
    await expect(svc.send({ deviceId: "speaker-1", name: "ping", issuer: "t", ttlS: 0 })).rejects.toThrow(/ttl_s/);
    expect(published).toHaveLength(0);
  });

  it("sends a bundle upload only to an origin the operator listed: a LAN address or any other host is refused before publishing", async () => {
    const closed = await setup();
    // default: no upload origins, so a technician token cannot aim devices at their own network
    await expect(closed.svc.send({ deviceId: "speaker-1", name: "bundle", args: { upload_url: "http://192.168.1.1/admin" }, issuer: "t" })).rejects.toThrow(
      "upload_url http://192.168.1.1 is not an allowed bundle upload origin; leave it out to receive the bundle over MQTT, or list the origin in the fleet config's commands.bundle_upload_origins",
    );
    await closed.svc.send({ deviceId: "speaker-1", name: "bundle", args: {}, issuer: "t" });
    expect(closed.published).toHaveLength(1);

    const open = await setup(new MemoryCommandStore(), ["https://uploads.example.com"]);
    await open.svc.send({ deviceId: "speaker-1", name: "bundle", args: { upload_url: "https://uploads.example.com/b/123?sig=abc" }, issuer: "t" });
    // same host, other scheme or port: another origin
    for (const url of ["http://uploads.example.com/b/1", "https://uploads.example.com:8443/b/1", "https://evil.example.com/b/1"]) {
      await expect(open.svc.send({ deviceId: "speaker-1", name: "bundle", args: { upload_url: url }, issuer: "t" })).rejects.toThrow(/is not an allowed bundle upload origin; use one of https:\/\/uploads\.example\.com$/);
    }
    expect(open.published).toHaveLength(1);
  });

  it("marks a device's expired refusal as expired, and an unanswered command expired after its expiry", async () => {
    const { svc, events } = await setup();
    const a = await svc.send({ deviceId: "speaker-1", name: "ping", issuer: "t", ttlS: 10 });
    const b = await svc.send({ deviceId: "speaker-1", name: "ping", issuer: "t", ttlS: 10 });
    events.emit("response", { ...env(a.id), name: "ping", status: "error", data: null, error: { code: "expired", message: "expired" } });
    now += 10_000 + 60_001;
    await svc.sweep();
    expect((await svc.get(a.id))!.status).toBe("expired");
    expect(await svc.get(b.id)).toMatchObject({ status: "expired", error: { code: "expired" } });
  });

  it("ignores a response from another device for the same id", async () => {
    const { svc, events } = await setup();
    const a = await svc.send({ deviceId: "speaker-1", name: "ping", issuer: "t" });
    events.emit("response", { ...env(a.id), device_id: "speaker-2", name: "ping", status: "ok", data: null, error: null });
    await svc.stop();
    expect((await svc.get(a.id))!.status).toBe("queued");
  });

  it("reassembles a bundle from chunks in any order and checks its sha256", async () => {
    const { svc, events } = await setup();
    const rec = await svc.send({ deviceId: "speaker-1", name: "bundle", issuer: "t" });
    const gz = gzipSync(Buffer.from(JSON.stringify({ logs: Array.from({ length: 2000 }, (_, i) => `line ${i} ${Math.random()}`) })));
    const sha256 = createHash("sha256").update(gz).digest("hex");
    const size = Math.ceil(gz.length / 3);
    const chunks: BundleChunk[] = [0, 1, 2].map((index) => ({ ...env(rec.id), index, total: 3, sha256, data: gz.subarray(index * size, (index + 1) * size).toString("base64") }));
    for (const c of [chunks[2]!, chunks[0]!, chunks[0]!, chunks[1]!]) events.emit("bundle", c);
    events.emit("response", { ...env(rec.id), name: "bundle", status: "ok", data: { delivery: "mqtt" }, error: null });
    await svc.stop();
    const got = (await svc.get(rec.id))!;
    expect(got.status).toBe("ok");
    expect(got.bundle!.sha256).toBe(sha256);
    expect((got.bundle!.content as { logs: string[] }).logs).toHaveLength(2000);

    // a corrupted chunk: the bundle is refused, not stored
    const { svc: svc2, events: events2 } = await setup();
    const rec2 = await svc2.send({ deviceId: "speaker-1", name: "bundle", issuer: "t" });
    const bad = Buffer.from(gz.subarray(0, size));
    bad[10] = bad[10]! ^ 0xff;
    for (const [i, data] of [bad, gz.subarray(size, 2 * size), gz.subarray(2 * size)].entries()) events2.emit("bundle", { ...env(rec2.id), index: i, total: 3, sha256, data: data.toString("base64") });
    await svc2.stop();
    expect(await svc2.get(rec2.id)).toMatchObject({ bundle: null, error: { code: "bundle_invalid", message: expect.stringMatching(/sha256 mismatch/) } });
  });

  it("keeps records in SQLite", async () => {
    const db = new DatabaseSync(":memory:");
    const { svc, events } = await setup(new SqliteCommandStore(() => db));
    const rec = await svc.send({ deviceId: "speaker-1", name: "ping", issuer: "t" });
    events.emit("response", { ...env(rec.id), name: "ping", status: "ok", data: { pong: true }, error: null });
    await svc.stop();
    expect(await new SqliteCommandStore(() => db).get(rec.id)).toMatchObject({ status: "ok", data: { pong: true } });
    expect((await svc.list({ deviceId: "speaker-1" })).map((r) => r.id)).toEqual([rec.id]);
    db.close();
  });
});
