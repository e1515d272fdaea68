import { validate as validateCron } from "node-cron";
import type { Logger } from "pino";
import { z } from "zod";
import { AudioSampler, type AudioSamplerOptions } from "./audio/audio.ts";
import { AudioConfigSchema } from "./audio/config.ts";
import { NetworkConfigSchema } from "./network/config.ts";
import { NetworkSampler, type NetworkSamplerOptions } from "./network/network.ts";
import { type RunnerClock, type ScheduleFn, SamplerRunner, type SamplerSchedule } from "./runner.ts";
import { type SysInfo, SystemConfigSchema, SystemSampler } from "./system/system.ts";
import type { Sampler, SystemSource } from "./types.ts";

export { createSystemSource } from "./source.ts";
export { SamplerRunner, type RunOutcome, type SamplerHealthRecord } from "./runner.ts";
export type { Sampler, SystemSource } from "./types.ts";

/** The sampler names, in report order. */
export const SAMPLER_NAMES = ["system", "audio", "network"] as const;
export type SamplerName = (typeof SAMPLER_NAMES)[number];

const cron = z.string().refine((s) => validateCron(s), { message: "is not a valid cron expression (six fields with seconds, e.g. \"*/30 * * * * *\")" });

const scheduleOf = (cronDefault: string, timeoutDefault: number) =>
  z
    .object({
      mode: z.enum(["on", "off"]).default("on"),
      /** node-cron expression (seconds field first). */
      schedule: cron.default(cronDefault),
      /** A run past this is abandoned (its AbortSignal fires) and counted as a timeout. */
      timeout_ms: z.number().int().positive().default(timeoutDefault),
    })
    .prefault({});

/** The `samplers` key of the agent config; `{}` is valid and every field has a default. */
export const SamplersConfigSchema = z.object({
  /** Each job starts after a random delay up to this, so a fleet does not sample in lockstep. */
  start_jitter_ms: z.number().int().min(0).max(3_600_000).default(15_000),
  run: z
    .object({
      system: scheduleOf("*/30 * * * * *", 10_000),
      // audio captures a second and reads stream state twice; the default cadence keeps the mic mostly idle
      audio: scheduleOf("0 */5 * * * *", 20_000),
      network: scheduleOf("15 * * * * *", 45_000),
    })
    .prefault({}),
  system: SystemConfigSchema.prefault({}),
  audio: AudioConfigSchema.prefault({}),
  network: NetworkConfigSchema.prefault({}),
});
export type SamplersConfig = z.infer<typeof SamplersConfigSchema>;

/** Test and embedding hooks; production passes none. */
export interface CreateSamplersOptions {
  sysInfo?: SysInfo;
  audio?: AudioSamplerOptions;
  network?: NetworkSamplerOptions;
  clock?: RunnerClock;
  schedule?: ScheduleFn;
  onResult?: (name: string, result: unknown) => void;
}

/** Builds the enabled samplers (init validates, no I/O) and a runner for them; `start()` the runner to schedule. */
export function createSamplers(config: SamplersConfig, source: SystemSource, log: Logger, opts: CreateSamplersOptions = {}): { samplers: Sampler[]; runner: SamplerRunner } {
  const cfg = SamplersConfigSchema.parse(config);
  const all = {
    system: () => {
      const s = new SystemSampler(source, opts.sysInfo);
      s.init(cfg.system);
      return s;
    },
    audio: () => {
      const s = new AudioSampler(source, opts.audio);
      s.init(cfg.audio);
      return s;
    },
    network: () => {
      const s = new NetworkSampler(source, opts.network);
      s.init(cfg.network);
      return s;
    },
  } satisfies Record<SamplerName, () => Sampler>;
  const samplers: Sampler[] = SAMPLER_NAMES.filter((n) => cfg.run[n].mode === "on").map((n) => all[n]());
  const schedules: Record<string, SamplerSchedule> = {};
  for (const n of SAMPLER_NAMES) schedules[n] = { cron: cfg.run[n].schedule, timeoutMs: cfg.run[n].timeout_ms };
  const runner = new SamplerRunner({
    samplers,
    schedules,
    jitterMs: cfg.start_jitter_ms,
    log: log.child({ unit: "samplers" }),
    ...(opts.clock ? { clock: opts.clock } : {}),
    ...(opts.schedule ? { schedule: opts.schedule } : {}),
    ...(opts.onResult ? { onResult: opts.onResult } : {}),
  });
  return { samplers, runner };
}
