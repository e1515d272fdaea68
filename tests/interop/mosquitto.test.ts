import mqtt, { type MqttClient } from "mqtt";
import { afterEach, describe, expect, it } from "vitest";
import type { MqttTransport } from "../../agent/transport/mqtt.ts";
import { newMessageId, topicFor, type CommandResponse, type StateMessage, type TelemetryMessage } from "../../shared/index.ts";
import { waitFor } from "../helpers/fleet.ts";
import { composeDevice } from "../reliability/device.ts";
import { agentTransport, telemetry } from "../reliability/harness.ts";
import { reachable } from "../helpers/net.ts";

const HOST = "127.0.0.1";
const PORT = 1883;

const available = await reachable(HOST, PORT);
const required = process.env.EDGE_REQUIRE_SERVICES === "1";
if (!available && !required) console.warn(`[interop] skipped: no MQTT broker listens on ${HOST}:${PORT}; start Mosquitto (anonymous allowed) to run these tests`);

describe.skipIf(!available && !required)("the same agent against Mosquitto on 127.0.0.1:1883", () => {
  const clients: MqttClient[] = [];
  const transports: MqttTransport[] = [];
  afterEach(async () => {
    for (const t of transports.splice(0)) await t.stop();
    for (const c of clients.splice(0)) await c.endAsync(true);
  });

  it("reports in order at QoS 1, keeps retained state, and answers commands", async () => {
    // under EDGE_REQUIRE_SERVICES=1 (.ci/run) a missing Mosquitto is a failure, not a skip
    expect(available, `EDGE_REQUIRE_SERVICES=1 but nothing listens on ${HOST}:${PORT}; install and start mosquitto`).toBe(true);
    const id = `interop-${newMessageId().slice(0, 12)}`;
    const observer = await mqtt.connectAsync(`mqtt://${HOST}:${PORT}`, { clientId: `obs-${id}`, clean: true, reconnectPeriod: 0 });
    clients.push(observer);
    const got: { kind: string; body: unknown }[] = [];
    observer.on("message", (topic, payload) => {
      if (payload.length === 0) return;
      got.push({ kind: topic.slice(`edge/v1/${id}/`.length), body: JSON.parse(payload.toString()) });
    });
    await observer.subscribeAsync(`edge/v1/${id}/#`, { qos: 1 });

    const transport = agentTransport({ url: `mqtt://${HOST}:${PORT}`, id, spoolDir: null });
    transports.push(transport);
    composeDevice({ id, transport });
    await transport.start();
    await waitFor(() => transport.connected, 5000, "connected to Mosquitto");
    for (let seq = 0; seq < 5; seq++) await transport.send("telemetry", telemetry(id, seq));
    await waitFor(() => got.filter((g) => g.kind === "telemetry").length >= 5, 5000, "5 telemetry messages");
    expect(got.filter((g) => g.kind === "telemetry").map((g) => (g.body as TelemetryMessage).seq)).toEqual([0, 1, 2, 3, 4]);
    expect(got.find((g) => g.kind === "state")?.body).toMatchObject({ status: "online", device_id: id });

    const cmdId = newMessageId();
    const now = Date.now();
    observer.publish(topicFor("command", id), JSON.stringify({ v: 1, device_id: id, ts: now, msg_id: newMessageId(), id: cmdId, issuer: "interop", expires_at: now + 60_000, name: "ping", args: {} }), { qos: 1 });
    const res = await waitFor(() => got.find((g) => g.kind === "cmd/res" && (g.body as CommandResponse).id === cmdId), 5000, "ping response");
    expect(res.body).toMatchObject({ status: "ok", data: { pong: true } });

    await transport.stop();
    transports.splice(0);
    // a late subscriber sees the retained offline state (then we clear it: this is a shared broker)
    const late = await mqtt.connectAsync(`mqtt://${HOST}:${PORT}`, { clientId: `late-${id}`, clean: true, reconnectPeriod: 0 });
    clients.push(late);
    const retained = new Promise<StateMessage>((resolve) => late.on("message", (_t, p) => p.length && resolve(JSON.parse(p.toString()))));
    await late.subscribeAsync(topicFor("state", id), { qos: 1 });
    expect(await retained).toMatchObject({ status: "offline", reason: "shutdown" });
    await late.publishAsync(topicFor("state", id), Buffer.alloc(0), { qos: 1, retain: true });
    // and drop the device's persistent session, which Mosquitto would otherwise keep forever
    clients.push(await mqtt.connectAsync(`mqtt://${HOST}:${PORT}`, { clientId: id, clean: true, reconnectPeriod: 0 }));
  });
});
