import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { Agent } from "../../agent/runtime/agent.ts";
import type { MqttTransport } from "../../agent/transport/mqtt.ts";
import type { TelemetryMessage } from "../../shared/index.ts";
import { diagnosisBody, healthySystem } from "../fixtures/samples.ts";
import { startTestFleet, waitFor } from "../helpers/fleet.ts";
import { figure } from "../summary/figure.ts";
import { agentConfig, realTransport } from "./helpers.ts";

const silent = pino({ level: process.env.TEST_LOG ?? "silent" });
const ID = "speaker-clock";
const HOUR = 3_600_000;

/**
 * The device's clock jumps (NTP correcting a device that booted in 1970, a dead RTC battery, a user changing
 * the time zone the wrong way). The agent's transport, spool and runtime read time through one injected
 * `now`; the test moves it forward a day and back two days while reporting. Scheduling itself is node-cron
 * on the system clock and is not moved here (docs/reliability.md says so).
 */
describe("clock jumps on the agent", () => {
  let fleet: Awaited<ReturnType<typeof startTestFleet>> | undefined;
  let transport: MqttTransport | undefined;
  let spoolDir: string | undefined;
  afterEach(async () => {
    await transport?.stop();
    await fleet?.stop();
    if (spoolDir) rmSync(spoolDir, { recursive: true, force: true });
    fleet = transport = spoolDir = undefined;
  });

  it("forward a day and back two: nothing lost, no stall, the daily byte counter restarts at each day change", async (ctx) => {
    fleet = await startTestFleet();
    const { secret } = await fleet.provision(ID);
    const got: TelemetryMessage[] = [];
    fleet.fleet.events.on("telemetry", (t) => t.device_id === ID && got.push(t));
    let offset = 0;
    const now = () => Date.now() + offset;
    spoolDir = mkdtempSync(join(tmpdir(), "spool-clock-"));
    const cfg = agentConfig({ id: ID, secret, url: fleet.mqttUrl, spoolDir });
    transport = realTransport(cfg, silent, now).transport;
    const agent = new Agent({
      deviceId: ID,
      transport,
      samples: { collect: async () => ({ samples: { system: healthySystem }, samplers: [] }) },
      diagnosis: { run: async (trigger) => diagnosisBody("none", trigger), aiSummary: () => null, budget: () => ({ probes_today: 0, probe_bytes_today: 0 }) },
      cadence: { telemetry_s: 3600, diagnosis_s: 86_400 },
      log: silent,
      now,
    });
    await transport.start();
    await waitFor(() => transport!.connected, 10_000, "connected");

    // one report at a time, each delivered before the next, so each counts the bytes of the previous
    const burst = async (n: number) => {
      const start = got.length;
      for (let i = 0; i < n; i++) {
        await agent.reportTelemetry();
        await waitFor(() => got.length > start + i && transport!.spoolStatus().depth === 0, 10_000, `report ${start + i} delivered`);
      }
      await agent.runDiagnosis("manual");
      await waitFor(() => transport!.spoolStatus().depth === 0, 10_000, "diagnosis delivered");
      return got.slice(start);
    };
    const budgets = (ms: TelemetryMessage[]) => ms.map((m) => m.budget.bytes_sent_today);
    const increasing = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]!);

    const before = await burst(4);
    expect(increasing(budgets(before))).toBe(true);

    offset = 25 * HOUR; // the next UTC day
    const ahead = await burst(4);
    expect(ahead[0]!.budget.bytes_sent_today).toBe(0); // a new day: nothing sent yet
    expect(increasing(budgets(ahead))).toBe(true);
    expect(ahead[0]!.ts).toBeGreaterThan(before.at(-1)!.ts + 24 * HOUR);

    offset = -23 * HOUR; // back past the real day: the pump must not wait out the "future" it paced against
    const behind = await burst(4);
    expect(behind[0]!.budget.bytes_sent_today).toBe(0);
    expect(increasing(budgets(behind))).toBe(true);
    expect(behind[0]!.ts).toBeLessThan(ahead.at(-1)!.ts - 24 * HOUR);

    // every report once, in the order it was made, although its timestamps went back in time
    expect(got.map((t) => t.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(transport.spoolStatus()).toMatchObject({ depth: 0, dropped_total: 0 });
    expect(await fleet.fleet.store.diagnoses(ID, 10)).toHaveLength(3);
    const device = await fleet.fleet.store.getDevice(ID);
    expect(device?.online).toBe(true);
    figure(ctx, `12 telemetry + 3 diagnoses across +25 h and −48 h jumps: 0 lost, 0 duplicated; bytes_sent_today reset to 0 at each day change`);
  }, 60_000);
});
