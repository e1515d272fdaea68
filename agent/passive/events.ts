import { z } from "zod";

/** Where in a voice interaction something happened (the voice app's own view). */
export const InteractionStage = z.enum(["wake", "capture", "upload", "asr", "llm", "tts", "playback", "network", "other"]);

/**
 * One real interaction the device's voice app reports to the agent (`POST /v1/interactions` on the
 * passive endpoint; one object or an array of up to 100). Only figures and codes: never audio or text.
 */
export const InteractionEvent = z.strictObject({
  /** Epoch ms; defaults to the time the agent received it. */
  ts: z.number().int().positive().optional(),
  ok: z.boolean(),
  stage: InteractionStage.default("other"),
  /** End-of-speech to first audible answer, ms. */
  latency_ms: z.number().nonnegative().max(600_000).nullable().default(null),
  error_code: z.union([z.string().max(64), z.number().int()]).nullable().default(null),
  error_message: z.string().max(500).nullable().default(null),
  request_id: z.string().max(128).nullable().default(null),
});
export type InteractionEvent = z.infer<typeof InteractionEvent>;

export const InteractionBatch = z.union([InteractionEvent, z.array(InteractionEvent).min(1).max(100)]);
