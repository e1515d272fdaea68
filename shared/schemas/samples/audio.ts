import { z } from "zod";
import { NullableNum, ProbeResult, Text } from "../common.ts";

/** One verdict per audio check, with its reason, so the diagnosis can reason over it. */
export const AudioVerdict = z.enum([
  "ok",
  "absent",
  "unavailable",
  "silent",
  "clipping",
  "dead_channel",
  "stalled",
  "xrun",
  "stuck",
  "dc_offset",
  "imbalance",
  "wrong_format",
  "noisy",
  "loopback_failed",
  "error",
]);
export type AudioVerdict = z.infer<typeof AudioVerdict>;

export const AudioChannelStats = z.object({
  rms_dbfs: z.number(),
  peak_dbfs: z.number(),
  clipping_ratio: z.number().min(0).max(1),
  dc_offset: z.number(),
  longest_flat_run: z.number().int().nonnegative(),
  dead: z.boolean(),
  noise_floor_dbfs: z.number(),
});

export const AudioSignal = z.object({
  result: ProbeResult,
  verdict: AudioVerdict,
  reason: Text(),
  source: z.enum(["command", "wav"]),
  sample_rate_hz: z.number().int().nonnegative(),
  expected_rate_hz: z.number().int().nonnegative().nullable(),
  channels: z.number().int().nonnegative(),
  format: Text(32),
  duration_ms: z.number().nonnegative(),
  channel_stats: z.array(AudioChannelStats).max(32),
  imbalance_db: NullableNum,
});

export const AudioStream = z.object({
  card: z.number().int().nonnegative(),
  device: z.number().int().nonnegative(),
  sub: z.number().int().nonnegative(),
  direction: z.enum(["capture", "playback"]),
  state: Text(32),
  owner_pid: z.number().int().nullable(),
  hw_ptr_advancing: z.boolean().nullable(),
  verdict: AudioVerdict,
});

export const AudioSample = z.object({
  result: ProbeResult,
  verdict: AudioVerdict,
  reason: Text(),
  inventory: z.object({
    cards: z.array(z.object({ index: z.number().int(), id: Text(64), name: Text(200) })).max(32),
    capture_devices: z.array(z.object({ card: z.number().int(), device: z.number().int(), name: Text(200) })).max(64),
    configured_device: Text(128).nullable(),
    configured_present: z.boolean().nullable(),
    sound_server: z.enum(["pipewire", "pulseaudio", "none", "unknown"]),
  }),
  streams: z.array(AudioStream).max(64),
  xruns_total: z.number().int().nonnegative(),
  pipewire_errors: z.number().int().nonnegative().nullable(),
  signal: AudioSignal.nullable(),
  loopback: z
    .object({ result: ProbeResult, detected: z.boolean(), delay_ms: NullableNum, snr_db: NullableNum })
    .nullable(),
});
export type AudioSample = z.infer<typeof AudioSample>;
