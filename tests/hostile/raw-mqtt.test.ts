import { connect, type Socket } from "node:net";
import mqtt from "mqtt";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { newMessageId, topicFor } from "../../shared/index.ts";
import { startTestFleet, waitFor } from "../helpers/fleet.ts";

type Fleet = Awaited<ReturnType<typeof startTestFleet>>;

const str = (s: string | Buffer) => {
  const b = typeof s === "string" ? Buffer.from(s, "utf8") : s;
  const len = Buffer.alloc(2);
  len.writeUInt16BE(b.length);
  return Buffer.concat([len, b]);
};
function varint(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}
const packet = (type: number, body: Buffer) => Buffer.concat([Buffer.from([type]), varint(body.length), body]);
const connectPacket = (id: string, user: string, pass: string) =>
  packet(0x10, Buffer.concat([str("MQTT"), Buffer.from([4, 0xc0, 0, 30]), str(id), str(user), str(pass)]));
const publishQos1 = (topic: string | Buffer, payload: Buffer, pid = 1) => packet(0x32, Buffer.concat([str(topic), Buffer.from([pid >> 8, pid & 0xff]), payload]));

/** Opens a raw socket, writes bytes, and resolves with what came back once the broker closes or goes quiet. */
function raw(port: number, ...chunks: Buffer[]): Promise<{ closed: boolean; received: Buffer }> {
  return new Promise((resolve) => {
    const sock: Socket = connect(port, "127.0.0.1");
    const received: Buffer[] = [];
    let closed = false;
    const done = () => resolve({ closed, received: Buffer.concat(received) });
    const timer = setTimeout(() => (sock.destroy(), done()), 1500);
    sock.on("data", (d) => received.push(d));
    sock.on("close", () => ((closed = true), clearTimeout(timer), done()));
    sock.on("error", () => undefined);
    sock.on("connect", async () => {
      for (const c of chunks) {
        sock.write(c);
        await new Promise((r) => setTimeout(r, 30));
      }
    });
  });
}

describe("hostile input on a raw MQTT socket", () => {
  let f: Fleet;
  let good: { id: string; secret: string };
  let bad: { id: string; secret: string };
  beforeEach(async () => {
    f = await startTestFleet();
    good = await f.provision("good-1");
    bad = await f.provision("bad-1");
  });
  afterEach(async () => f.stop());

  /** The broker keeps serving a well-behaved device after each attack. */
  async function goodDeviceStillServed(): Promise<void> {
    const c = await mqtt.connectAsync(f.mqttUrl, { clientId: good.id, username: good.id, password: good.secret, reconnectPeriod: 0 });
    const state = { v: 1, device_id: good.id, ts: Date.now(), msg_id: newMessageId(), status: "online", reason: "startup", agent_version: "1", firmware_version: null, model: null, region: null, app_id: null, labels: {}, keepalive_s: 30 };
    await c.publishAsync(topicFor("state", good.id), JSON.stringify(state), { qos: 1 });
    await c.endAsync();
    expect((await f.fleet.store.getDevice(good.id))?.online).toBe(true);
  }

  it("garbage instead of CONNECT: connection closed, broker unaffected", async () => {
    const r = await raw(f.fleet.broker.ports.tcp, Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
    expect(r.closed).toBe(true);
    await goodDeviceStillServed();
  });

  it("a CONNECT claiming a 256 MB body: closed at its header, before authenticating and without buffering it, counted as oversized", async () => {
    const r = await raw(f.fleet.broker.ports.tcp, Buffer.concat([Buffer.from([0x10]), varint(268_435_455), Buffer.alloc(64)]), Buffer.alloc(64 * 1024));
    expect(r.closed).toBe(true);
    expect(r.received.length).toBe(0);
    expect(f.fleet.refusals.counts.get("oversized")).toBe(1);
    await goodDeviceStillServed();
  });

  it("an authenticated device announcing a 5 MB publish: connection closed at the header (the limit is 1 MiB for the default 128 KB payloads)", async () => {
    const header = Buffer.concat([Buffer.from([0x32]), varint(5 * 1024 * 1024)]);
    const r = await raw(f.fleet.broker.ports.tcp, connectPacket(bad.id, bad.id, bad.secret), header, Buffer.alloc(64 * 1024));
    expect(r.closed).toBe(true);
    // CONNACK only: nothing of the publish was acknowledged or stored
    expect([...r.received.subarray(0, 4)]).toEqual([0x20, 2, 0, 0]);
    expect(r.received.length).toBe(4);
    expect(f.fleet.refusals.counts.get("oversized")).toBe(1);
    await goodDeviceStillServed();
  });

  it("a topic that is not valid UTF-8: connection closed", async () => {
    const r = await raw(f.fleet.broker.ports.tcp, connectPacket(bad.id, bad.id, bad.secret), publishQos1(Buffer.from([0x65, 0x64, 0xff, 0xfe]), Buffer.from("{}")));
    expect(r.closed).toBe(true);
    await goodDeviceStillServed();
  });

  it("a 200-level topic: refused, connection closed", async () => {
    const r = await raw(f.fleet.broker.ports.tcp, connectPacket(bad.id, bad.id, bad.secret), publishQos1(`edge/v1/${bad.id}/` + "a/".repeat(200) + "x", Buffer.from("{}")));
    expect(r.closed).toBe(true);
    await goodDeviceStillServed();
  });

  it("huge numbers, invalid UTF-8 and prototype keys in JSON payloads: acked, refused by reason, nothing polluted", async () => {
    const topic = topicFor("telemetry", bad.id);
    const r = await raw(
      f.fleet.broker.ports.tcp,
      connectPacket(bad.id, bad.id, bad.secret),
      publishQos1(topic, Buffer.from('{"v":1,"device_id":"bad-1","ts":1e999,"msg_id":"abcdefgh12345678"}'), 1),
      publishQos1(topic, Buffer.from([0x7b, 0xc3, 0x28, 0x7d]), 2),
      publishQos1(topic, Buffer.from('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'), 3),
    );
    // three PUBACKs (0x40): a device is never made to redeliver content that can never become valid
    const pubacks = [...r.received].filter((b, i) => b === 0x40 && r.received[i + 1] === 2).length;
    expect(pubacks).toBe(3);
    await waitFor(() => (f.fleet.refusals.counts.get("invalid_schema") ?? 0) >= 2 && (f.fleet.refusals.counts.get("invalid_utf8") ?? 0) >= 1, 3000, "refusals counted");
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((await f.fleet.store.getDevice(bad.id))?.telemetry ?? null).toBeNull();
    await goodDeviceStillServed();
  });

  it("an oversized payload: refused as oversized, device stays connected", async () => {
    const r = await raw(f.fleet.broker.ports.tcp, connectPacket(bad.id, bad.id, bad.secret), publishQos1(topicFor("telemetry", bad.id), Buffer.alloc(200 * 1024, 0x20)));
    expect(r.received.includes(0x40)).toBe(true);
    await waitFor(() => (f.fleet.refusals.counts.get("oversized") ?? 0) >= 1, 3000, "oversized refusal counted");
    await goodDeviceStillServed();
  });
});
