import type { Logger } from "../log.ts";
import { bundleCommand } from "../bundle/command.ts";
import type { LogRing } from "../bundle/log-ring.ts";
import type { RecentReports } from "../bundle/recent.ts";
import type { Agent } from "../runtime/agent.ts";
import type { Transport } from "../transport/types.ts";
import { standardActions, type CommandDeps } from "./actions.ts";
import { HandledIds } from "./handled-ids.ts";
import { CommandUnit } from "./handler.ts";

export interface CommandWiring {
  deviceId: string;
  transport: Transport;
  agent: Agent;
  log: Logger;
  /** The config as it should appear in a bundle (it is redacted again there). */
  bundleConfig: unknown;
  /** Secret values to mask in bundles wherever they appear (the MQTT password, API keys). */
  knownSecrets: readonly string[];
  /** Recent log lines (a pino destination); without it bundles carry no logs. */
  logs?: LogRing;
  /** Recent reports; wrap the transport with `recent.wrap(t)` so it sees them. */
  recent?: RecentReports;
  probeNow?: CommandDeps["probeNow"];
  /** Where answered command ids are remembered across restarts (e.g. `<spool.dir>/handled-commands.json`). */
  handledFile?: string | null;
  now?: () => number;
}

/**
 * The command unit wired to the runtime: diagnose → Agent.runDiagnosis("command", id), sample-now →
 * Agent.reportTelemetry, set-cadence → Agent.setCadence, bundle → agent/bundle, ping built in; probe-now
 * when a probe function is given. Subscribes to the transport's commands. Call unit.start() before use.
 */
export function wireCommands(w: CommandWiring): CommandUnit {
  const send = w.transport.send.bind(w.transport);
  const unit = new CommandUnit({
    deviceId: w.deviceId,
    send,
    log: w.log.child({ unit: "commands" }),
    handled: new HandledIds(1000, w.handledFile ?? null),
    knownSecrets: w.knownSecrets,
    ...(w.now ? { now: w.now } : {}),
    actions: standardActions({
      diagnose: (id, checks, signal) => w.agent.runDiagnosis("command", id, { ...(checks ? { checks } : {}), signal }),
      sampleNow: () => w.agent.reportTelemetry(),
      setCadence: (kind, s) => w.agent.setCadence(kind, s),
      ...(w.probeNow ? { probeNow: w.probeNow } : {}),
      bundle: bundleCommand({
        deviceId: w.deviceId,
        send,
        ...(w.now ? { now: w.now } : {}),
        sources: () => ({
          config: w.bundleConfig,
          logs: w.logs?.lines() ?? [],
          telemetry: w.recent?.telemetry() ?? [],
          diagnoses: w.recent?.diagnoses() ?? [],
          runtime: { spool: w.transport.spoolStatus(), bytes_sent_today: w.transport.bytesSentToday(), connected: w.transport.connected },
          knownSecrets: w.knownSecrets,
        }),
      }),
    }),
  });
  w.transport.onCommand((payload) => void unit.handle(payload));
  return unit;
}
