import pino, { type Logger } from "pino";
import { newMessageId } from "../../shared/ids.ts";
import type { DiagnosisMessage, Step } from "../../shared/schemas/diagnosis.ts";
import type { ProbeRun } from "../../shared/schemas/probes.ts";
import type { AudioSample } from "../../shared/schemas/samples/audio.ts";
import type { NetworkSample } from "../../shared/schemas/samples/network.ts";
import type { SystemSample } from "../../shared/schemas/samples/system.ts";
import { SCHEMA_VERSION } from "../../shared/version.ts";
import type { ProbesConfig } from "../probes/config.ts";
import { runProbes, type ProbeSet } from "../probes/index.ts";
import { isolate } from "./isolate.ts";

/**
 * Where the local evidence comes from. The CLI and the agent runtime build these from the samplers
 * (agent/samplers); tests pass fixtures. A provider that throws or times out becomes a step with status `error`.
 */
export interface SampleProviders {
  audio?: (signal: AbortSignal) => Promise<AudioSample | null>;
  network?: (signal: AbortSignal) => Promise<NetworkSample | null>;
  system?: (signal: AbortSignal) => Promise<SystemSample | null>;
}

/** The checks `--only` can select. */
export const CHECK_NAMES = ["system", "audio", "network", "status", "text", "voice"] as const;
export type CheckName = (typeof CHECK_NAMES)[number];

export interface DiagnosisDevice {
  readonly id: string;
  readonly app_id?: string | null;
  readonly firmware_version?: string | null;
  readonly sdk_version?: string | null;
}

export interface RunDiagnosisOptions {
  readonly config: ProbesConfig;
  readonly device: DiagnosisDevice;
  readonly agentVersion: string;
  readonly trigger: DiagnosisMessage["trigger"];
  readonly samples?: SampleProviders;
  readonly only?: readonly CheckName[];
  readonly commandId?: string | null;
  readonly scenario?: string | null;
  /** Budget exhausted: only the free checks run. */
  readonly skipBillable?: boolean;
  readonly sampleTimeoutMs?: number;
  readonly signal?: AbortSignal;
  readonly log?: Logger;
  readonly now?: () => number;
  readonly wallNow?: () => number;
}

/** Runs every check now (samplers and probes concurrently), then the isolation procedure. Never throws for edge failures. */
export async function runDiagnosis(opts: RunDiagnosisOptions): Promise<DiagnosisMessage> {
  const now = opts.now ?? (() => performance.now());
  const wallNow = opts.wallNow ?? Date.now;
  const log = (opts.log ?? pino({ level: "silent" })).child({ unit: "diagnosis" });
  const outer = opts.signal ?? new AbortController().signal;
  const want = (c: CheckName) => !opts.only || opts.only.includes(c);
  const startedAt = wallNow();
  const t0 = now();
  const steps: Step[] = [];

  const sample = async <T>(name: "system" | "audio" | "network", fn: ((s: AbortSignal) => Promise<T | null>) | undefined): Promise<T | null> => {
    const t = now();
    if (!fn || !want(name)) {
      steps.push({ name: `sample_${name}`, status: "skipped", duration_ms: 0, detail: fn ? "not selected" : "no sampler configured" });
      return null;
    }
    try {
      const signal = AbortSignal.any([outer, AbortSignal.timeout(opts.sampleTimeoutMs ?? opts.config.probe_timeout_ms)]);
      const r = await Promise.race([fn(signal), new Promise<never>((_, rej) => signal.addEventListener("abort", () => rej(new Error("timed out")), { once: true }))]);
      const v = r as { verdict?: string; reason?: string } | null;
      steps.push({ name: `sample_${name}`, status: !v ? "skipped" : v.verdict === "ok" ? "ok" : "warn", duration_ms: round(now() - t), detail: clip(v ? `${v.verdict}: ${v.reason ?? ""}` : "no sample") });
      return r;
    } catch (err) {
      log.warn({ sampler: name, err: (err as Error).message }, "sampler failed during diagnosis");
      steps.push({ name: `sample_${name}`, status: "error", duration_ms: round(now() - t), detail: clip(`sampler failed: ${(err as Error).message}`) });
      return null;
    }
  };

  const probeCfg: ProbesConfig = want("status") ? opts.config : { ...opts.config, status_page_url: null };
  const [system, audio, network, probes] = await Promise.all([
    sample("system", opts.samples?.system),
    sample("audio", opts.samples?.audio),
    sample("network", opts.samples?.network),
    runProbes(probeCfg, { signal: outer, log, now, wallNow, skipBillable: (opts.skipBillable ?? false) || (!want("text") && !want("voice")) }),
  ]);
  const selected: ProbeSet = {
    voice: want("voice") ? probes.voice : null,
    text: want("text") ? probes.text : null,
    status: probes.status,
  };
  for (const [name, run] of [["status_page", selected.status], ["text", selected.text], ["voice", selected.voice]] as const) {
    steps.push(probeStep(name, run, opts.skipBillable && name !== "status_page"));
  }
  const { verdict, steps: decision } = isolate({ audio, network, system, ...selected, budget: { firstMs: opts.config.latency_budget_first_ms, totalMs: opts.config.latency_budget_total_ms } });
  log.info({ fault: verdict.fault, trigger: opts.trigger }, "diagnosis done");
  const ts = wallNow();
  return {
    v: SCHEMA_VERSION,
    device_id: opts.device.id,
    ts,
    msg_id: newMessageId(),
    diagnosis_id: newMessageId(),
    trigger: opts.trigger,
    command_id: opts.commandId ?? null,
    started_at: startedAt,
    duration_ms: round(now() - t0),
    verdict,
    steps: [...steps, ...decision].slice(0, 40),
    probes: [selected.status, selected.text, selected.voice].filter((r): r is ProbeRun => r !== null),
    versions: { agent: opts.agentVersion.slice(0, 32), firmware: opts.device.firmware_version ?? null, sdk: opts.device.sdk_version ?? null },
    app_id: opts.device.app_id ?? null,
    scenario: opts.scenario ?? null,
    log_excerpt: [],
  };
}

function probeStep(name: string, run: ProbeRun | null, overBudget: boolean | undefined): Step {
  if (!run) return { name: `probe_${name}`, status: "skipped", duration_ms: 0, detail: overBudget ? "skipped: the daily probe budget is spent" : "not run" };
  const ok = run.result === "ok" && run.transcript_ok !== false && run.answer_ok !== false;
  const detail = run.result === "ok"
    ? `${run.result} in ${run.total_ms ?? "?"} ms` + (run.status_indicator ? `, indicator ${run.status_indicator}` : "") + (run.transcript !== null ? `, heard "${run.transcript}"` : "") + (run.answer_ok === false ? ", answer failed the check" : "")
    : `${run.result}: ${run.error ? `${run.error.code} ${run.error.message}` : "no detail"}`;
  return { name: `probe_${name}`, status: ok ? "ok" : run.result === "ok" ? "warn" : "fail", duration_ms: run.total_ms ?? 0, detail: clip(detail) };
}

function round(x: number): number {
  return Math.round(Math.max(0, x) * 10) / 10;
}

function clip(s: string, max = 500): string {
  return s.length <= max ? s : s.slice(0, max - 1) + "…";
}
