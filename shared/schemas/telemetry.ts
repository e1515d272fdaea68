import { z } from "zod";
import { envelope, Text } from "./common.ts";
import { AiSummary } from "./probes.ts";
import { AudioSample } from "./samples/audio.ts";
import { NetworkSample } from "./samples/network.ts";
import { SystemSample } from "./samples/system.ts";

/** Health of one sampler as the runner sees it: a broken sampler is visible, never silent. */
export const SamplerHealth = z.object({
  name: Text(32),
  runs: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  timeouts: z.number().int().nonnegative(),
  skipped_overlaps: z.number().int().nonnegative(),
  last_duration_ms: z.number().nonnegative().nullable(),
  last_error: Text(300).nullable(),
});

export const TelemetryMessage = z.object({
  ...envelope,
  seq: z.number().int().nonnegative(),
  samples: z.object({
    system: SystemSample.optional(),
    audio: AudioSample.optional(),
    network: NetworkSample.optional(),
  }),
  ai: AiSummary.nullable(),
  samplers: z.array(SamplerHealth).max(16),
  spool: z.object({
    depth: z.number().int().nonnegative(),
    dropped_total: z.number().int().nonnegative(),
    mode: z.enum(["disk", "memory"]),
    condition: Text(200).nullable(),
  }),
  budget: z.object({
    bytes_sent_today: z.number().int().nonnegative(),
    probes_today: z.number().int().nonnegative(),
    probe_bytes_today: z.number().int().nonnegative(),
  }),
});
export type TelemetryMessage = z.infer<typeof TelemetryMessage>;
