import { rmSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../../agent/runtime/agent.ts";
import type { MqttTransport } from "../../agent/transport/mqtt.ts";
import type { TelemetryMessage } from "../../shared/index.ts";
import { diagnosisBody, healthySystem } from "../fixtures/samples.ts";
import { waitFor } from "../helpers/fleet.ts";
import { agentTransport, RestartableFleet, silent, sleep, tempDir } from "./harness.ts";

describe("spool full while the broker is away", () => {
  let fleet: RestartableFleet | undefined;
  let agent: Agent | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await agent?.stop();
    await fleet?.dispose();
    agent = fleet = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it("drops the oldest reports and reports the drop count in the next telemetry", async () => {
    fleet = new RestartableFleet();
    await fleet.start();
    const secret = await fleet.provision("speaker-full");
    const seen: TelemetryMessage[] = [];
    fleet.onStart((f) => f.events.on("telemetry", (t) => seen.push(t)));
    await fleet.stop(); // the broker is down from the start; its port is known

    const spoolDir = tempDir("spool-full-");
    dirs.push(spoolDir);
    const transport: MqttTransport = agentTransport({ url: fleet.url, id: "speaker-full", secret, spoolDir, maxMessages: 10 });
    agent = new Agent({
      deviceId: "speaker-full",
      transport,
      samples: { collect: async () => ({ samples: { system: healthySystem }, samplers: [] }) },
      diagnosis: { run: async (trigger, o) => diagnosisBody("none", trigger, o.commandId ?? null), aiSummary: () => null, budget: () => ({ probes_today: 0, probe_bytes_today: 0 }) },
      cadence: { telemetry_s: 3600, diagnosis_s: 86_400 },
      log: silent,
    });
    await transport.start(); // start the transport only: reports come from the test, not the cron
    const sent: TelemetryMessage[] = [];
    for (let i = 0; i < 15; i++) sent.push(await agent.reportTelemetry());
    expect(transport.spoolStatus()).toMatchObject({ depth: 10, dropped_total: 5 });

    await fleet.start();
    await waitFor(() => seen.length >= 10 && transport.spoolStatus().depth === 0, 10_000, "the 10 spooled reports, acknowledged");
    const next = await agent.reportTelemetry();
    await waitFor(() => seen.length >= 11, 10_000, "the next report");
    await sleep(200);
    // the five oldest are gone, the rest arrive in order, and the next telemetry carries the drop count
    expect(seen.map((t) => t.seq)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(seen.at(-1)!.msg_id).toBe(next.msg_id);
    expect(seen.at(-1)!.spool).toMatchObject({ dropped_total: 5, depth: 0, mode: "disk" });
    expect(seen.at(-1)!.budget.bytes_sent_today).toBeGreaterThan(10 * 500);
  });
});
