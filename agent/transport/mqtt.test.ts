import { createServer, type AddressInfo, type Server } from "node:net";
import { Aedes } from "aedes";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "../../tests/helpers/wait.ts";
import type { StateMessage } from "../../shared/index.ts";
import { DailyCounter } from "./daily-counter.ts";
import { MqttTransport } from "./mqtt.ts";

const state = () => ({ v: 1 as const, device_id: "speaker-t", agent_version: "0.1.0", firmware_version: null, model: null, region: null, app_id: null, labels: {}, keepalive_s: 30 });

describe("MQTT transport session and reconnect loop", () => {
  let broker: Aedes | undefined;
  let server: Server | undefined;
  let transport: MqttTransport | undefined;
  afterEach(async () => {
    await transport?.stop();
    if (broker) await new Promise<void>((r) => broker!.close(() => r()));
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    transport = broker = server = undefined;
  });

  async function startBroker(): Promise<number> {
    broker = await Aedes.createBroker();
    server = createServer(broker.handle);
    await new Promise<void>((r) => server!.listen(0, "127.0.0.1", () => r()));
    return (server.address() as AddressInfo).port;
  }

  it("publishes retained online state, and a fresh Last Will (new msg_id) on each connection", async () => {
    const port = await startBroker();
    const states: StateMessage[] = [];
    broker!.subscribe("edge/v1/speaker-t/state", (p, cb) => (states.push(JSON.parse(p.payload.toString())), cb()), () => undefined);
    transport = new MqttTransport({ url: `mqtt://127.0.0.1:${port}`, deviceId: "speaker-t", keepaliveS: 30, connectTimeoutMs: 2000, state, log: pino({ level: "silent" }), reconnect: { initialMs: 20, maxMs: 50, firstConnectJitterMs: 0 } });
    await transport.start();
    const drop = () => (broker as unknown as { clients: Record<string, { close(): void }> }).clients["speaker-t"]!.close();
    await waitFor(() => states.length === 1, 5000, "online state");
    drop(); // a broken link: the broker publishes the will
    await waitFor(() => states.length === 3, 5000, "will + online again");
    drop();
    await waitFor(() => states.length === 5, 5000, "second will + online");
    expect(states.map((s) => `${s.status}/${s.reason}`)).toEqual(["online/startup", "offline/will", "online/startup", "offline/will", "online/startup"]);
    const wills = states.filter((s) => s.reason === "will");
    expect(wills[0]!.msg_id).not.toBe(wills[1]!.msg_id);
    expect(wills[1]!.ts).toBeGreaterThanOrEqual(wills[0]!.ts);
    // each online state names its own connection's will, so the fleet can ignore a late will of an earlier one
    const onlines = states.filter((s) => s.status === "online");
    expect(onlines.map((s) => s.will_msg_id)).toEqual([wills[0]!.msg_id, wills[1]!.msg_id, expect.stringMatching(/^[0-9a-f]{32}$/)]);
    await transport.stop();
    transport = undefined;
    await waitFor(() => states.length === 6, 5000, "shutdown state");
    expect(states.at(-1)).toMatchObject({ status: "offline", reason: "shutdown" });
  });

  it("retries with full-jitter exponential backoff and never uses MQTT.js' fixed period", async () => {
    const port = await startBroker();
    await new Promise<void>((r) => server!.close(() => r())); // nothing listens there now
    server = undefined;
    const lines: { delayMs?: number; msg: string }[] = [];
    const log = pino({ level: "info" }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    transport = new MqttTransport({ url: `mqtt://127.0.0.1:${port}`, deviceId: "speaker-t", keepaliveS: 30, connectTimeoutMs: 2000, state, log, random: () => 0.5, reconnect: { initialMs: 20, maxMs: 100, firstConnectJitterMs: 1000 } });
    await transport.start();
    const retries = await waitFor(() => {
      const r = lines.filter((l) => l.msg === "connection lost; reconnecting");
      return r.length >= 5 && r;
    }, 5000, "five retries");
    // ceilings 20, 40, 80, 100, 100 ms; a uniform draw of 0.5 takes half of each
    expect(retries.slice(0, 5).map((l) => l.delayMs)).toEqual([10, 20, 40, 50, 50]);
  });
});

describe("bytes per day", () => {
  it("counts bytes and starts again at zero on a new (UTC) day", () => {
    let now = Date.UTC(2025, 0, 1, 23, 59);
    const c = new DailyCounter(() => now);
    c.add(100);
    c.add(50);
    expect(c.value()).toBe(150);
    now = Date.UTC(2025, 0, 2, 0, 1);
    expect(c.value()).toBe(0);
    c.add(7);
    expect(c.value()).toBe(7);
  });
});
