import {
  newMessageId,
  type AiSummary,
  type DiagnosisMessage,
  type SamplerHealth,
  type TelemetryMessage,
} from "../../shared/index.ts";
import type { z } from "zod";
import type { Logger } from "../log.ts";
import type { Transport } from "../transport/types.ts";
import { cronForInterval } from "./cadence.ts";
import { cronJob, type CronJob } from "./local-cron.ts";

export type Samples = TelemetryMessage["samples"];
type Envelope = "v" | "device_id" | "ts" | "msg_id";

/** What the runtime needs from the sampling unit. */
export interface SampleSource {
  collect(signal: AbortSignal): Promise<{ samples: Samples; samplers: z.infer<typeof SamplerHealth>[] }>;
}

/** What the runtime needs from the diagnosis unit. */
export interface DiagnosisSource {
  run(trigger: DiagnosisMessage["trigger"], opts: { commandId?: string | null; signal: AbortSignal; checks?: readonly string[] }): Promise<Omit<DiagnosisMessage, Envelope>>;
  aiSummary(): AiSummary | null;
  budget(): { probes_today: number; probe_bytes_today: number };
}

export interface AgentOptions {
  deviceId: string;
  transport: Transport;
  samples: SampleSource;
  diagnosis: DiagnosisSource;
  cadence: { telemetry_s: number; diagnosis_s: number };
  log: Logger;
  now?: () => number;
  random?: () => number;
  /** Bounds one telemetry collection; a hung sampler must not stop reporting. */
  collectTimeoutMs?: number;
}

/**
 * The device side composed: sample → diagnose → report. Telemetry on a cron cadence at a per-device
 * offset, a diagnosis at start-up and on its own cadence. start()/stop() undo each other.
 */
export class Agent {
  #o: AgentOptions;
  #now: () => number;
  #tasks = new Map<string, CronJob>();
  #seq = 0;
  #abort = new AbortController();
  #diagnosing: Promise<unknown> | null = null;

  constructor(o: AgentOptions) {
    this.#o = o;
    this.#now = o.now ?? Date.now;
  }

  async start(): Promise<void> {
    this.#abort = new AbortController();
    await this.#o.transport.start();
    this.#schedule("telemetry", this.#o.cadence.telemetry_s, () => this.reportTelemetry());
    // 0 turns scheduled diagnoses off (on-demand and passive triggers still run)
    if (this.#o.cadence.diagnosis_s > 0) this.#schedule("diagnosis", this.#o.cadence.diagnosis_s, () => this.runDiagnosis("schedule"));
    // first report at once: an operator who just installed the agent wants to see the device now
    void this.reportTelemetry().then(() => this.runDiagnosis("startup"));
  }

  #schedule(name: string, intervalS: number, fn: () => Promise<unknown>): void {
    const { expr, effectiveS } = cronForInterval(intervalS, this.#o.random);
    if (effectiveS !== intervalS) this.#o.log.warn({ name, intervalS, effectiveS }, "interval rounded to one cron can express");
    const task = cronJob(expr, () => fn().catch((err: Error) => this.#o.log.error({ err, unit: name }, "scheduled run failed")), { name });
    this.#tasks.get(name)?.stop();
    this.#tasks.set(name, task);
    task.start();
  }

  /** Changes a cadence at run time (remote set-cadence, config reload); false for a kind this runtime does not schedule. */
  setCadence(kind: string, intervalS: number): boolean {
    if (kind === "telemetry") this.#schedule("telemetry", intervalS, () => this.reportTelemetry());
    else if (kind === "diagnosis") this.#schedule("diagnosis", intervalS, () => this.runDiagnosis("schedule"));
    else return false;
    return true;
  }

  /** Collects samples and queues one telemetry message. */
  async reportTelemetry(): Promise<TelemetryMessage> {
    const signal = AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#o.collectTimeoutMs ?? 30_000)]);
    const { samples, samplers } = await this.#o.samples.collect(signal);
    const t = this.#o.transport;
    const msg: TelemetryMessage = {
      v: 1,
      device_id: this.#o.deviceId,
      ts: this.#now(),
      msg_id: newMessageId(),
      seq: this.#seq++,
      samples,
      ai: this.#o.diagnosis.aiSummary(),
      samplers,
      spool: t.spoolStatus(),
      budget: { bytes_sent_today: t.bytesSentToday(), ...this.#o.diagnosis.budget() },
    };
    await t.send("telemetry", msg);
    return msg;
  }

  /** Runs one diagnosis and queues it; concurrent requests share the run in progress. */
  async runDiagnosis(trigger: DiagnosisMessage["trigger"], commandId: string | null = null, opts: { checks?: readonly string[]; signal?: AbortSignal } = {}): Promise<DiagnosisMessage> {
    if (this.#diagnosing && trigger !== "command") return (await this.#diagnosing) as DiagnosisMessage;
    const run = (async () => {
      const signal = opts.signal ? AbortSignal.any([this.#abort.signal, opts.signal]) : this.#abort.signal;
      const body = await this.#o.diagnosis.run(trigger, { commandId, signal, ...(opts.checks ? { checks: opts.checks } : {}) });
      const msg: DiagnosisMessage = { ...body, v: 1, device_id: this.#o.deviceId, ts: this.#now(), msg_id: newMessageId() };
      await this.#o.transport.send("diagnosis", msg);
      return msg;
    })();
    this.#diagnosing = run;
    try {
      return await run;
    } finally {
      if (this.#diagnosing === run) this.#diagnosing = null;
    }
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    for (const t of this.#tasks.values()) t.stop();
    this.#tasks.clear();
    await this.#o.transport.stop();
  }
}
