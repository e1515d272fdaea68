import type { Logger } from "pino";
import { LogRing } from "../../agent/bundle/log-ring.ts";
import { RecentReports } from "../../agent/bundle/recent.ts";
import { wireCommands } from "../../agent/commands/wire.ts";
import { Agent } from "../../agent/runtime/agent.ts";
import type { MqttTransport } from "../../agent/transport/mqtt.ts";
import type { DiagnosisMessage } from "../../shared/index.ts";
import { diagnosisBody, healthySystem } from "../fixtures/samples.ts";
import { silent } from "./harness.ts";

/**
 * The agent as the composer wires it (runtime + transport + wireCommands + bundle), with fixture samples and
 * diagnoses. `now` lets a test play a device whose clock is ahead (commands expire without waiting).
 */
export function composeDevice(o: { id: string; transport: MqttTransport; now?: () => number; fault?: DiagnosisMessage["verdict"]["fault"]; log?: Logger }) {
  const log = o.log ?? silent;
  const logs = new LogRing(200);
  logs.push(JSON.stringify({ level: 30, msg: "agent started", password: "hunter22-secret" }));
  const recent = new RecentReports(10);
  const transport = recent.wrap(o.transport);
  const checksSeen: (readonly string[] | undefined)[] = [];
  const agent = new Agent({
    deviceId: o.id,
    transport,
    samples: { collect: async () => ({ samples: { system: healthySystem }, samplers: [] }) },
    diagnosis: {
      run: async (trigger, opts) => {
        checksSeen.push(opts.checks);
        return diagnosisBody(o.fault ?? "none", trigger, opts.commandId ?? null);
      },
      aiSummary: () => null,
      budget: () => ({ probes_today: 0, probe_bytes_today: 0 }),
    },
    cadence: { telemetry_s: 3600, diagnosis_s: 86_400 },
    log,
  });
  const unit = wireCommands({
    deviceId: o.id,
    transport,
    agent,
    log,
    logs,
    recent,
    bundleConfig: { mqtt: { url: "mqtt://fleet", password: "hunter22-secret" } },
    knownSecrets: ["hunter22-secret"],
    ...(o.now ? { now: o.now } : {}),
  });
  unit.start();
  return { agent, unit, checksSeen, transport: o.transport };
}
