import { cpSync, rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { MqttTransport } from "../../agent/transport/mqtt.ts";
import { waitFor } from "../helpers/fleet.ts";
import { agentTransport, RestartableFleet, sleep, telemetry, tempDir } from "./harness.ts";

describe("broker down while the agent reports, then back", () => {
  let fleet: RestartableFleet | undefined;
  let transport: MqttTransport | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await transport?.stop();
    await fleet?.dispose();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
    transport = fleet = undefined;
  });

  // The case as stated: the broker is away for 60 s while the agent keeps reporting (one report a
  // second, as a busy device would), then it comes back on the same port with the same SQLite file.
  it("delivers every report of a 60 s broker outage, in order, none twice after deduplication", { timeout: 120_000 }, async () => {
    fleet = new RestartableFleet();
    await fleet.start();
    const secret = await fleet.provision("speaker-rel-1");
    const seen: number[] = [];
    fleet.onStart((f) => f.events.on("telemetry", (t) => seen.push(t.seq)));
    const spoolDir = tempDir("spool-");
    dirs.push(spoolDir);
    transport = agentTransport({ url: fleet.url, id: "speaker-rel-1", secret, spoolDir });
    await transport.start();
    await waitFor(() => transport!.connected, 5000, "agent connected");

    let seq = 0;
    const report = async (n: number, gapMs: number) => {
      for (let i = 0; i < n; i++) {
        await transport!.send("telemetry", telemetry("speaker-rel-1", seq++));
        await sleep(gapMs);
      }
    };
    await report(10, 50);
    await fleet.stop();
    await report(60, 1000); // 60 s of reports with no broker
    expect(transport.connected).toBe(false);
    expect(transport.spoolStatus().depth).toBeGreaterThanOrEqual(60);
    await fleet.start();
    await report(10, 50);

    const total = seq;
    await waitFor(() => seen.length >= total, 15_000, `all ${total} reports at the fleet`);
    await sleep(300); // a late redelivery would show up here
    expect(seen).toEqual(Array.from({ length: total }, (_, i) => i));
    expect(transport.spoolStatus()).toMatchObject({ depth: 0, dropped_total: 0, mode: "disk" });
  });

  it("redelivered reports (a spool head lost in a power cut) are ignored by the fleet by msg_id", async () => {
    fleet = new RestartableFleet();
    const server = await fleet.start();
    const secret = await fleet.provision("speaker-rel-2");
    const seen: number[] = [];
    server.events.on("telemetry", (t) => seen.push(t.seq));
    const spoolDir = tempDir("spool-");
    dirs.push(spoolDir);
    // the head (and the clean-up of consumed segments that follows it) is not written during the test:
    // the disk then holds exactly what a power cut between the acks and the head write leaves behind
    transport = agentTransport({ url: fleet.url, id: "speaker-rel-2", secret, spoolDir, headWriteDelayMs: 600_000 });
    await transport.start();
    for (let seq = 0; seq < 5; seq++) await transport.send("telemetry", telemetry("speaker-rel-2", seq));
    await waitFor(() => seen.length === 5, 10_000, "5 reports");
    // A power cut: the disk holds the fsynced records but not the lazily written head, and no clean
    // close ran (a clean close deletes consumed segments). Snapshot the disk now, stop, put it back.
    const snapshot = tempDir("spool-snapshot-");
    dirs.push(snapshot);
    cpSync(spoolDir, snapshot, { recursive: true });
    await transport.stop();
    rmSync(spoolDir, { recursive: true, force: true });
    cpSync(snapshot, spoolDir, { recursive: true });
    rmSync(`${spoolDir}/head.json`, { force: true });
    const before = server.ingest.stats.duplicates;
    transport = agentTransport({ url: fleet.url, id: "speaker-rel-2", secret, spoolDir });
    await transport.start();
    await waitFor(() => server.ingest.stats.duplicates - before >= 5, 20_000, "5 redeliveries").catch((err: Error) => {
      throw new Error(`${err.message} (duplicates ${server.ingest.stats.duplicates - before}, accepted ${server.ingest.stats.accepted}, spool ${JSON.stringify(transport!.spoolStatus())}, connected ${transport!.connected})`);
    });
    expect(seen).toEqual([0, 1, 2, 3, 4]);
  });
});
