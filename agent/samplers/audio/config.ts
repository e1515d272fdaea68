import { z } from "zod";

/** A program and its arguments, run without a shell. `{device}` and `{file}` in args are substituted. */
export const CommandSchema = z.object({
  program: z.string().min(1),
  args: z.array(z.string()).default([]),
});
export type CommandSpec = z.infer<typeof CommandSchema>;

const PcmFormat = z.enum(["pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le", "pcm_u8"]);

/** Audio sampler config; `{}` is valid (defaults: arecord for 1 s from the configured or default device). */
export const AudioConfigSchema = z.object({
  /** ALSA capture device the voice app uses (`hw:1,0`, `hw:CARD=Array,DEV=0`); null = not checked. */
  capture_device: z.string().min(1).max(128).nullable().default(null),
  /** Time between the two status reads that tell a running stream from a stalled one. */
  stream_poll_ms: z.number().int().min(10).max(5000).default(250),
  /** PipeWire's per-node error counts; only run when PipeWire is detected. */
  pw_top: CommandSchema.prefault({ program: "pw-top", args: ["-b", "-n", "2"] }),
  capture: z
    .object({
      /** `command` records with a program, `wav` reads a file (a capture tap or a test), `off` skips. */
      mode: z.enum(["off", "command", "wav"]).default("command"),
      command: CommandSchema.prefault({ program: "arecord", args: ["-q", "-D", "{device}", "-d", "1", "-f", "S16_LE", "-r", "16000", "-c", "1", "-t", "wav"] }),
      /** What the command writes to stdout: a WAV stream, or raw interleaved PCM described by `raw`. */
      output: z.enum(["wav", "raw"]).default("wav"),
      raw: z
        .object({ format: PcmFormat.default("pcm_s16le"), channels: z.number().int().min(1).max(32).default(1), rate_hz: z.number().int().positive().default(16000) })
        .prefault({}),
      wav_path: z.string().min(1).nullable().default(null),
      timeout_ms: z.number().int().positive().default(5000),
    })
    .prefault({}),
  expected: z
    .object({
      rate_hz: z.number().int().positive().nullable().default(16000),
      channels: z.number().int().min(1).max(32).nullable().default(null),
      format: PcmFormat.nullable().default(null),
    })
    .prefault({}),
  thresholds: z
    .object({
      silent_below_dbfs: z.number().max(0).default(-70),
      clipping_ratio_max: z.number().min(0).max(1).default(0.001),
      stuck_run_ms: z.number().positive().default(50),
      dc_offset_max: z.number().min(0).max(1).default(0.05),
      imbalance_max_db: z.number().positive().default(6),
      noise_floor_max_dbfs: z.number().max(0).default(-35),
    })
    .prefault({}),
  loopback: z
    .object({
      /** `command` plays a chirp and records it, `wav` reads a recording of it, `off` skips (default: needs a speaker). */
      mode: z.enum(["off", "command", "wav"]).default("off"),
      play: CommandSchema.prefault({ program: "aplay", args: ["-q", "{file}"] }),
      record: CommandSchema.prefault({ program: "arecord", args: ["-q", "-D", "{device}", "-d", "2", "-f", "S16_LE", "-r", "16000", "-c", "1", "-t", "wav"] }),
      wav_path: z.string().min(1).nullable().default(null),
      /** Capture runs this long before playback starts, so the chirp is not cut at the front. */
      lead_in_ms: z.number().int().min(0).max(5000).default(200),
      chirp_from_hz: z.number().positive().default(500),
      chirp_to_hz: z.number().positive().default(4000),
      chirp_ms: z.number().int().min(50).max(2000).default(300),
      rate_hz: z.number().int().positive().default(16000),
      /** Normalised correlation at or above which the chirp counts as heard. */
      detect_min_correlation: z.number().min(0).max(1).default(0.5),
      timeout_ms: z.number().int().positive().default(8000),
    })
    .prefault({}),
});
export type AudioConfig = z.infer<typeof AudioConfigSchema>;

/** Substitutes `{device}` and `{file}` in a command's arguments (whole-argument or inside one). */
export function expandArgs(args: readonly string[], vars: { device: string; file?: string }): string[] {
  return args.map((a) => a.replaceAll("{device}", vars.device).replaceAll("{file}", vars.file ?? ""));
}
