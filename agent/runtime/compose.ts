import type { AiSummary, DiagnosisMessage } from "../../shared/index.ts";
import type { AgentConfig } from "../config/index.ts";
import { runDiagnosis, type CheckName, type SampleProviders } from "../diagnosis/run.ts";
import { DiagnosisService } from "../diagnosis/service.ts";
import type { Logger } from "../log.ts";
import { createSamplers, createSystemSource, type SamplerRunner } from "../samplers/index.ts";
import type { Transport } from "../transport/types.ts";
import { AGENT_VERSION } from "../version.ts";
import { Agent, type DiagnosisSource } from "./agent.ts";
import { runnerSampleSource } from "./sample-source.ts";

/** Everything one running agent is made of; `start()`/`stop()` in dependency order. */
export interface ComposedAgent {
  agent: Agent;
  runner: SamplerRunner;
  diagnosis: DiagnosisService;
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** The latest AI probe figures, carried in telemetry for the fleet's latency charts and SLA report. */
function summarise(d: DiagnosisMessage): AiSummary {
  const by = (k: "text" | "voice" | "status_page") => d.probes.find((p) => p.probe === k) ?? null;
  return { at: d.ts, text: by("text"), voice: by("voice"), status_page: by("status_page") };
}

/**
 * Whether the network can carry a conversation is measured against the AI service itself: with no
 * targets configured, the network sampler probes the adapter's endpoint (wss → https, ws → http).
 */
export function aiTargets(config: AgentConfig): { name: string; url: string; tls: "verify" }[] {
  const raw = config.cloud.adapter === "realtime" ? config.cloud.realtime.url : config.cloud.http.text_url;
  try {
    const u = new URL(raw.replace(/^ws/, "http"));
    return [{ name: "ai_service", url: `${u.protocol}//${u.host}/`, tls: "verify" }];
  } catch {
    return [];
  }
}

/**
 * Wires samplers, the diagnosis service and the transport into an Agent. The samplers run on their
 * own schedules; the diagnosis uses their latest results when fresh enough, so a scheduled diagnosis
 * does not capture audio twice.
 */
export function composeAgent(config: AgentConfig, transport: Transport, log: Logger, opts: { procRoot?: string; logExcerpt?: () => string[] } = {}): ComposedAgent {
  const source = createSystemSource(opts.procRoot ?? "/");
  // disk free is measured where the spool lives unless the config names another path
  const diskPath = config.samplers.system.disk_path === "/var/lib/edge-agent/spool" ? config.spool.dir : config.samplers.system.disk_path;
  const samplersCfg = {
    ...config.samplers,
    system: { ...config.samplers.system, disk_path: diskPath },
    network: { ...config.samplers.network, targets: config.samplers.network.targets.length ? config.samplers.network.targets : aiTargets(config) },
  };
  const { runner } = createSamplers(samplersCfg, source, log);
  let ai: AiSummary | null = null;

  // Samplers a diagnosis re-runs now (a technician wants the present, not the last schedule's result).
  const providers: SampleProviders = {
    system: async () => (await runner.runOnce(["system"]))[0]?.result as never,
    audio: async () => (await runner.runOnce(["audio"]))[0]?.result as never,
    network: async () => (await runner.runOnce(["network"]))[0]?.result as never,
  };
  const device = { id: config.device.id, app_id: config.device.app_id, firmware_version: config.device.firmware_version, sdk_version: config.device.sdk_version };
  const diagnosis = new DiagnosisService({
    // the runtime schedules diagnoses (cron, cloud.interval_s); the service keeps passive triggers and the budget
    config: { ...config.cloud, interval_s: 0 },
    device,
    agentVersion: AGENT_VERSION,
    log,
    samples: providers,
    onDiagnosis: async (d, why) => {
      ai = summarise(d);
      // runs started by the runtime are published by it; passive triggers start here
      if (why.trigger === "passive") await transport.send("diagnosis", d);
    },
  });

  // "logs around the time" for the support report: the recent (already redacted) log lines
  const withLogs = (d: DiagnosisMessage): DiagnosisMessage => ({ ...d, log_excerpt: opts.logExcerpt ? opts.logExcerpt().slice(-50).map((l) => l.slice(0, 500)) : d.log_excerpt });
  const diagnosisSource: DiagnosisSource = {
    async run(trigger, o) {
      if (o.checks?.length) {
        const d = await runDiagnosis({ config: config.cloud, device, agentVersion: AGENT_VERSION, trigger, commandId: o.commandId ?? null, samples: providers, only: o.checks as CheckName[], signal: o.signal, log });
        ai = summarise(d);
        return withLogs(d);
      }
      return withLogs(await diagnosis.runNow(trigger, o.commandId ?? null));
    },
    aiSummary: () => ai,
    budget: () => {
      const b = diagnosis.budget();
      return { probes_today: b.probes_today, probe_bytes_today: b.bytes_today };
    },
  };

  const agent = new Agent({
    deviceId: config.device.id,
    transport,
    samples: runnerSampleSource(runner),
    diagnosis: diagnosisSource,
    cadence: { telemetry_s: config.cadence.telemetry_s, diagnosis_s: config.cloud.interval_s },
    log,
  });

  return {
    agent,
    runner,
    diagnosis,
    async start() {
      runner.start();
      await diagnosis.start();
      await agent.start();
    },
    async stop() {
      await agent.stop();
      await diagnosis.stop();
      runner.stop();
    },
  };
}
