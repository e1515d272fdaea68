import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { MqttTransport } from "../../agent/transport/mqtt.ts";
import { tokenStoreFor } from "../../broker/http/auth/tokens.ts";
import type { SqliteStore } from "../../broker/store/sqlite/store.ts";
import { startTestFleet, waitFor } from "../helpers/fleet.ts";
import { figure } from "../summary/figure.ts";
import { agentConfig, diagnosisMsg, realTransport, telemetryMsg } from "./helpers.ts";

const silent = pino({ level: process.env.TEST_LOG ?? "silent" });
const ID = "speaker-poison";

/**
 * One report the fleet can never process (here a trigger refuses it, as a site's own constraint or a bug its
 * content reaches would). What a user relies on: it does not wedge the device behind it. The fleet refuses
 * it (the connection closes, the agent keeps it and sends it again), and at the third failure keeps it as a
 * dead letter and acknowledges it; every report the agent sent after it is stored, in order.
 */
describe("a report that always fails processing (embedded broker, the agent's real transport and spool)", () => {
  let fleet: Awaited<ReturnType<typeof startTestFleet>> | undefined;
  let transport: MqttTransport | undefined;
  let spoolDir: string | undefined;
  afterEach(async () => {
    await transport?.stop();
    await fleet?.stop();
    if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
    fleet = transport = spoolDir = undefined;
  });

  it("is dead-lettered after 3 attempts and acknowledged; the agent's spool drains and every later report is stored", async (ctx) => {
    fleet = await startTestFleet();
    const store = fleet.fleet.store as unknown as SqliteStore;
    store.db.exec(`CREATE TRIGGER refuse_poison BEFORE INSERT ON diagnoses WHEN NEW.device_id = '${ID}' AND NEW.fault = 'voice_capture'
      BEGIN SELECT RAISE(ABORT, 'voice_capture diagnoses refused by the site constraint'); END`);
    const { secret } = await fleet.provision(ID);
    const seqs: number[] = [];
    fleet.fleet.events.on("telemetry", (t) => t.device_id === ID && seqs.push(t.seq));
    spoolDir = mkdtempSync(join(tmpdir(), "spool-poison-"));
    transport = realTransport(agentConfig({ id: ID, secret, url: fleet.mqttUrl, spoolDir }), silent).transport;
    await transport.start();
    await waitFor(() => transport!.connected, 10_000, "agent connected");

    const poison = diagnosisMsg(ID, "voice_capture");
    await transport.send("telemetry", telemetryMsg(ID, 0));
    await transport.send("diagnosis", poison);
    for (let seq = 1; seq <= 4; seq++) await transport.send("telemetry", telemetryMsg(ID, seq));
    await waitFor(() => seqs.length === 5 && transport!.spoolStatus().depth === 0, 20_000, "every report after the poison stored and the spool drained");

    expect(seqs).toEqual([0, 1, 2, 3, 4]);
    expect(transport.spoolStatus().dropped_total).toBe(0);
    const letters = await fleet.fleet.store.listDeadLetters();
    expect(letters).toMatchObject([{ target: "ingest:diagnosis", attempts: 3, error: expect.stringMatching(/refused by the site constraint/), body: { msg_id: poison.msg_id, device_id: ID } }]);
    expect(fleet.fleet.refusals.snapshot()).toMatchObject({ dead_lettered: 1 });
    expect(fleet.fleet.ingest.stats).toMatchObject({ deadLettered: 1 });
    // the diagnosis is not half-stored: no row, no ticket, the device's fault unchanged
    expect(await fleet.fleet.store.diagnoses(ID, 10)).toEqual([]);
    expect(await fleet.fleet.store.listTickets({ deviceId: ID })).toEqual([]);

    // the operator fixes the cause and replays it: the diagnosis and its ticket arrive as if just sent
    store.db.exec("DROP TRIGGER refuse_poison");
    const { secret: token } = await tokenStoreFor(fleet.fleet.store).create({ name: "field-tech", role: "technician" });
    const r = await fetch(`${fleet.httpUrl}/api/dead-letters/${letters[0]!.id}/replay`, { method: "POST", headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(200);
    expect(((await r.json()) as { outcome: string }).outcome).toBe("accepted");
    expect((await fleet.fleet.store.diagnoses(ID, 10)).map((d) => d.fault)).toEqual(["voice_capture"]);
    expect((await fleet.fleet.store.listTickets({ deviceId: ID })).map((t) => t.fault)).toEqual(["voice_capture"]);
    expect(await fleet.fleet.store.listDeadLetters()).toEqual([]);
    figure(ctx, "1 poison report: refused twice, dead-lettered and acknowledged at the 3rd attempt; 5 later reports stored in order, spool drained; replayed once its cause was fixed");
  }, 30_000);
});
