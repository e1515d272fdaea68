import { afterEach, describe, expect, it } from "vitest";
import { decodeMessage, newMessageId, topicFor } from "../../shared/index.ts";
import { SimFleet } from "../../sim/fleet/fleet.ts";
import { diagnosisMessage, stateMessage, telemetryMessage } from "../../sim/fleet/messages.ts";
import { provisionFleet, seededRandom } from "../../sim/fleet/provision.ts";
import { startTestFleet, waitFor } from "../helpers/fleet.ts";

const facts = { id: "sim-00001", model: "speaker-mini", region: "eu-west", firmware: "fw-2.4.1", appId: "app-sim" };

describe("virtual fleet messages", () => {
  it("are valid under the shared schemas, so the fleet accepts what the simulator sends", () => {
    const now = Date.now();
    for (const [kind, msg] of [
      ["state", stateMessage(facts, "online", now, 60)],
      ["telemetry", telemetryMessage(facts, 3, now, seededRandom(1))],
      ["diagnosis", diagnosisMessage(facts, "cloud_outage", now)],
      ["diagnosis", diagnosisMessage(facts, "none", now)],
    ] as const) {
      const d = decodeMessage(topicFor(kind, facts.id), Buffer.from(JSON.stringify(msg)));
      expect(d.ok, JSON.stringify(d)).toBe(true);
    }
  });
});

describe("SimFleet against the embedded broker", () => {
  let stops: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const s of stops.reverse()) await s();
    stops = [];
  });

  it("connects every provisioned device, reports faults from the chosen share, and receives commands", async () => {
    const t = await startTestFleet({ mqtt: { connect_rate: { per_minute_per_address: 100_000 } } });
    stops.push(t.stop);
    const ids = await provisionFleet(t.fleet.store, 20, "simt", 7);
    const commands: string[] = [];
    const sim = new SimFleet({ host: "127.0.0.1", port: t.fleet.broker.ports.tcp, devices: ids, telemetryIntervalMs: 200, connectSpreadMs: 100, onCommand: (id) => commands.push(id) });
    stops.push(() => sim.stop());
    sim.start();

    await waitFor(async () => (await t.fleet.store.listDevices({ online: true })).length === 20, 10_000, "20 devices online");
    await waitFor(async () => (await t.fleet.store.getDevice(ids[0]!.id))?.telemetry, 10_000, "telemetry from the first device");

    const hit = sim.pick(0.25);
    expect(hit).toHaveLength(5);
    expect(sim.pick(0.25).map((d) => d.id)).toEqual(hit.map((d) => d.id)); // same seed, same devices
    const r = await sim.report(hit, "cloud_outage", 100);
    expect(r).toEqual({ sent: 5, acked: 5 });
    const faulty = await t.fleet.store.listDevices({ fault: "cloud_outage" });
    expect(faulty.map((d) => d.id).sort()).toEqual(hit.map((d) => d.id).sort());

    const target = ids[3]!.id;
    const cmd = { v: 1, device_id: target, ts: Date.now(), msg_id: newMessageId(), command_id: newMessageId(), name: "diagnose", args: {}, expires_at: Date.now() + 60_000 };
    await t.fleet.broker.publish(topicFor("command", target), Buffer.from(JSON.stringify(cmd)));
    await waitFor(() => commands.includes(target), 5000, "the command to reach the device");
    expect(sim.stats.connectFailures).toBe(0);
  });

  it("a crashed device goes offline through its Last Will and comes back", async () => {
    const t = await startTestFleet({ mqtt: { connect_rate: { per_minute_per_address: 100_000 } } });
    stops.push(t.stop);
    const ids = await provisionFleet(t.fleet.store, 4, "simc", 3);
    const sim = new SimFleet({ host: "127.0.0.1", port: t.fleet.broker.ports.tcp, devices: ids, telemetryIntervalMs: 0, reconnectMaxMs: 300 });
    stops.push(() => sim.stop());
    sim.start();
    await waitFor(async () => (await t.fleet.store.listDevices({ online: true })).length === 4, 10_000, "4 online");
    const seen: string[] = [];
    t.fleet.events.on("state", (s) => seen.push(`${s.device_id}:${s.status}`));
    expect(sim.crash(0.25)).toBe(1);
    const crashed = sim.pick(0.25)[0]!.id;
    await waitFor(() => seen.includes(`${crashed}:offline`), 5000, "the Last Will");
    await waitFor(() => seen.includes(`${crashed}:online`), 5000, "the reconnect");
  });
});


