import type { EventEmitter } from "node:events";
import { afterEach, describe, expect, it } from "vitest";
import type { MqttTransport } from "../../agent/transport/mqtt.ts";
import { CommandService, commandAckListener, SqliteCommandStore, type CommandRecord } from "../../broker/commands/index.ts";
import type { SqliteStore } from "../../broker/store/sqlite/store.ts";
import { newMessageId, topicFor, type CommandResponse, type DiagnosisMessage } from "../../shared/index.ts";
import { waitFor } from "../helpers/fleet.ts";
import { composeDevice } from "./device.ts";
import { agentTransport, RestartableFleet, silent } from "./harness.ts";

const ID = "speaker-cmd";

describe("remote commands from a technician to a device and back", () => {
  let fleet: RestartableFleet | undefined;
  let svc: CommandService | undefined;
  const transports: MqttTransport[] = [];
  afterEach(async () => {
    for (const t of transports.splice(0)) await t.stop();
    await svc?.stop();
    await fleet?.dispose();
    fleet = svc = undefined;
  });

  async function setup() {
    fleet = new RestartableFleet();
    const server = await fleet.start();
    const secret = await fleet.provision(ID);
    svc = new CommandService({
      publish: (topic, payload, qos) => server.broker.publish(topic, payload, qos),
      events: server.events,
      store: new SqliteCommandStore(() => (server.store as SqliteStore).db),
      log: silent,
    });
    await svc.start();
    // aedes' own typings omit the `ack` event its PUBACK handler emits
    (server.broker.aedes as unknown as EventEmitter).on("ack", commandAckListener(svc));
    const diagnoses: DiagnosisMessage[] = [];
    const responses: CommandResponse[] = [];
    server.events.on("diagnosis", (d) => diagnoses.push(d));
    server.events.on("response", (r) => responses.push(r));
    return { server, secret, diagnoses, responses, service: svc };
  }

  async function device(secret: string, now?: () => number) {
    const transport = agentTransport({ url: fleet!.url, id: ID, secret, spoolDir: null });
    transports.push(transport);
    const d = composeDevice({ id: ID, transport, ...(now ? { now } : {}) });
    await transport.start();
    await waitFor(() => transport.connected, 5000, "device connected");
    return d;
  }

  const settled = (s: CommandService, id: string) => waitFor(async () => {
    const r = await s.get(id);
    return r && ["ok", "error", "expired"].includes(r.status) ? r : undefined;
  }, 10_000, `command ${id} answered`);

  it("diagnose reaches the device and its report comes back with the same id", async () => {
    const { secret, diagnoses, service } = await setup();
    const dev = await device(secret);
    const statuses: string[] = [];
    service.on("update", (r: CommandRecord) => statuses.push(r.status));
    const rec = await service.send({ deviceId: ID, name: "diagnose", args: { checks: ["network", "text"] }, issuer: "tech@example.com", ttlS: 120 });
    const done = await settled(service, rec.id);
    expect(done).toMatchObject({ status: "ok", error: null });
    const diag = await waitFor(() => diagnoses.find((d) => d.command_id === rec.id), 5000, "diagnosis with the command id");
    expect(diag.trigger).toBe("command");
    expect((done.data as { diagnosis_id: string }).diagnosis_id).toBe(diag.diagnosis_id);
    expect(dev.checksSeen).toEqual([["network", "text"]]);
    expect(statuses[0]).toBe("queued");
    expect(statuses.at(-1)).toBe("ok");
    expect(statuses).toContain("progress");
  });

  it("refuses an unknown command with a reason and keeps serving", async () => {
    const { server, secret, responses, service } = await setup();
    await device(secret);
    const id = newMessageId();
    const now = Date.now();
    const raw = { v: 1, device_id: ID, ts: now, msg_id: newMessageId(), id, issuer: "someone", expires_at: now + 60_000, name: "reboot", args: {} };
    await server.broker.publish(topicFor("command", ID), Buffer.from(JSON.stringify(raw)), 1);
    const r = await waitFor(() => responses.find((x) => x.id === id), 5000, "refusal");
    expect(r).toMatchObject({ status: "error", error: { code: "unknown_command" } });
    const ping = await service.send({ deviceId: ID, name: "ping", issuer: "tech" });
    expect(await settled(service, ping.id)).toMatchObject({ status: "ok", data: { pong: true } });
  });

  it("delivers commands queued while the device was offline on reconnect, and refuses the expired ones", async () => {
    const { secret, service } = await setup();
    const first = await device(secret);
    await first.transport.stop(); // the persistent session stays at the broker
    transports.splice(0);
    const fresh = await service.send({ deviceId: ID, name: "ping", issuer: "tech", ttlS: 3600 });
    const stale = await service.send({ deviceId: ID, name: "ping", issuer: "tech", ttlS: 5 });
    // the device comes back "10 minutes later": its clock says the 5 s command has expired
    await device(secret, () => Date.now() + 600_000);
    expect(await settled(service, fresh.id)).toMatchObject({ status: "ok" });
    const refused = await settled(service, stale.id);
    expect(refused).toMatchObject({ status: "expired", error: { code: "expired" } });
    expect(refused.error!.message).toMatch(/expired at/);
  });

  it("bundle: a redacted support bundle arrives in chunks and is verified", async () => {
    const { secret, service } = await setup();
    const dev = await device(secret);
    await dev.agent.reportTelemetry();
    await dev.agent.runDiagnosis("manual");
    const rec = await service.send({ deviceId: ID, name: "bundle", issuer: "tech" });
    const done = await settled(service, rec.id);
    expect(done).toMatchObject({ status: "ok", data: { delivery: "mqtt" } });
    await waitFor(async () => (await service.get(rec.id))?.bundle, 5000, "bundle stored");
    const b = (await service.get(rec.id))!.bundle!;
    const content = b.content as { device_id: string; logs: string[]; telemetry: unknown[]; diagnoses: unknown[]; config: unknown; system: { node: string } };
    expect(content.device_id).toBe(ID);
    expect(content.telemetry).toHaveLength(1);
    expect(content.diagnoses).toHaveLength(1);
    expect(content.system.node).toBe(process.version);
    expect(JSON.stringify(content)).not.toContain("hunter22-secret");
    expect(JSON.stringify(content.config)).toContain("[redacted]");
  });
});
