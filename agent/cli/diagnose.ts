import pino, { type Logger } from "pino";
import { PINO_REDACT_PATHS } from "../../shared/redact.ts";
import type { AudioSample } from "../../shared/schemas/samples/audio.ts";
import type { NetworkSample } from "../../shared/schemas/samples/network.ts";
import type { SystemSample } from "../../shared/schemas/samples/system.ts";
import { formatIssues } from "../../shared/validation.ts";
import { DiagnoseReport } from "../diagnosis/report.ts";
import { buildReport, renderReport, type FrequencyInfo } from "../diagnosis/render.ts";
import { CHECK_NAMES, runDiagnosis, type CheckName, type DiagnosisDevice, type SampleProviders } from "../diagnosis/run.ts";
import { ProbeBudget } from "../probes/budget.ts";
import { ProbesConfigSchema } from "../probes/config.ts";
import { createSamplers, createSystemSource, SamplersConfigSchema } from "../samplers/index.ts";
import { AGENT_VERSION } from "../version.ts";

/** The parts of the agent config `diagnose` reads (the whole AgentConfig fits). */
export interface DiagnoseConfig {
  readonly device: DiagnosisDevice;
  /** The raw `cloud` section, validated here with ProbesConfigSchema. */
  readonly cloud?: unknown;
  /** The raw `samplers` section; when present the samplers run once for the local evidence. */
  readonly samplers?: unknown;
}

export interface DiagnoseOptions {
  readonly json?: boolean;
  readonly only?: readonly string[];
  /** Where the output goes; tests pass their own. */
  readonly out?: (text: string) => void;
  readonly err?: (text: string) => void;
  /** Overrides the samplers (tests, or the runtime passing its latest samples). */
  readonly samples?: SampleProviders;
  /** The runtime's budget and the voice app's recent error counts, when diagnose runs inside the agent. */
  readonly budget?: ProbeBudget;
  readonly frequency?: FrequencyInfo | null;
  readonly log?: Logger;
  readonly signal?: AbortSignal;
}

/**
 * `edge-agent diagnose [--json] [--only checks]`: runs every check now and prints the support report, or
 * the DiagnoseReport JSON contract. Exit 0 healthy, 1 fault found, 2 usage or config error.
 */
export async function diagnoseCommand(config: DiagnoseConfig, opts: DiagnoseOptions = {}): Promise<number> {
  const out = opts.out ?? ((t: string) => console.log(t));
  const err = opts.err ?? ((t: string) => console.error(t));
  const unknown = (opts.only ?? []).filter((n) => !(CHECK_NAMES as readonly string[]).includes(n));
  if (unknown.length) {
    err(`unknown check '${unknown.join("', '")}' in --only; choose from ${CHECK_NAMES.join(", ")}`);
    return 2;
  }
  const parsed = ProbesConfigSchema.safeParse(config.cloud ?? {});
  if (!parsed.success) {
    err(`the cloud section of the config has ${parsed.error.issues.length} problem(s); fix them and run again:\n  ${formatIssues(parsed.error, "cloud").join("\n  ")}`);
    return 2;
  }
  const cloud = parsed.data;
  // logs go to stderr so that --json output stays parseable
  const log = opts.log ?? pino({ name: "edge-agent", level: "warn", redact: { paths: PINO_REDACT_PATHS, censor: "[redacted]" } }, pino.destination(2));
  let samples = opts.samples;
  if (!samples && config.samplers !== undefined) {
    const sc = SamplersConfigSchema.safeParse(config.samplers);
    if (!sc.success) {
      err(`the samplers section of the config has problems; fix them and run again:\n  ${formatIssues(sc.error, "samplers").join("\n  ")}`);
      return 2;
    }
    samples = samplerProviders(sc.data, log);
  }
  const budget = opts.budget ?? new ProbeBudget({ maxProbesPerDay: cloud.max_probes_per_day, maxBytesPerDay: cloud.max_bytes_per_day });
  // a person asked for this run: it is not held to the budget, but it is counted against it
  const diagnosis = await runDiagnosis({
    config: cloud,
    device: config.device,
    agentVersion: AGENT_VERSION,
    trigger: "manual",
    ...(samples ? { samples } : {}),
    ...(opts.only?.length ? { only: opts.only as CheckName[] } : {}),
    log,
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  budget.record(diagnosis.probes);
  const report = DiagnoseReport.parse(buildReport(diagnosis, cloud, budget.report(), opts.frequency ?? null));
  out(opts.json ? JSON.stringify(report, null, 2) : renderReport(report));
  return report.exit_code;
}

/** Runs each sampler once (through the samplers' own runner, which bounds and isolates them). */
function samplerProviders(config: ReturnType<typeof SamplersConfigSchema.parse>, log: Logger): SampleProviders {
  const { runner } = createSamplers(config, createSystemSource("/"), log);
  const once = runner.runOnce(["system", "audio", "network"]).then((outcomes) => new Map(outcomes.map((o) => [o.name, o.status === "ok" ? o.result : null])));
  return {
    system: async () => ((await once).get("system") ?? null) as SystemSample | null,
    audio: async () => ((await once).get("audio") ?? null) as AudioSample | null,
    network: async () => ((await once).get("network") ?? null) as NetworkSample | null,
  };
}
