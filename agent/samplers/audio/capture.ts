import { readFile } from "node:fs/promises";
import type { AudioSample } from "../../../shared/schemas/samples/audio.ts";
import { analyzeSignal } from "../../audio/analysis.ts";
import { decodeInterleaved, parseWav, type Pcm } from "../../audio/wav.ts";
import type { SystemSource } from "../types.ts";
import { type AudioConfig, expandArgs } from "./config.ts";

export type Signal = NonNullable<AudioSample["signal"]>;
type Failure = { result: Signal["result"]; verdict: Signal["verdict"]; reason: string };

/** Classifies a failed capture command from its stderr, so "busy" and "no such device" read differently. */
export function classifyCaptureFailure(program: string, r: { code: number | null; stderr: string; absent?: boolean; timedOut?: boolean }, timeoutMs: number): Failure {
  if (r.absent) return { result: "absent", verdict: "absent", reason: `capture program ${program} is not installed` };
  if (r.timedOut) return { result: "timeout", verdict: "stalled", reason: `capture gave no complete recording within ${timeoutMs} ms: the stream may be stalled` };
  const err = r.stderr.trim().split("\n").pop()?.slice(0, 200) ?? "";
  if (/busy/i.test(r.stderr)) return { result: "unavailable", verdict: "unavailable", reason: `capture device busy (held by another process): ${err}` };
  if (/permission denied|not permitted/i.test(r.stderr)) return { result: "unavailable", verdict: "unavailable", reason: `no permission to open the capture device: ${err}` };
  if (/no such (file|device)|cannot find card|unknown pcm|not found/i.test(r.stderr)) return { result: "absent", verdict: "absent", reason: `capture device not found: ${err}` };
  return { result: "error", verdict: "error", reason: `${program} exited with code ${r.code}: ${err || "no message"}` };
}

/** Gets PCM from the configured source: the capture command's stdout, or a WAV file. */
async function acquire(cfg: AudioConfig, source: SystemSource, signal: AbortSignal): Promise<{ pcm: Pcm } | Failure> {
  const c = cfg.capture;
  if (c.mode === "wav") {
    if (!c.wav_path) return { result: "error", verdict: "error", reason: "capture.mode is wav but capture.wav_path is not set: set it to the WAV file to analyse" };
    let buf: Buffer;
    try {
      buf = await readFile(c.wav_path);
    } catch (e) {
      return { result: "absent", verdict: "absent", reason: `cannot read ${c.wav_path}: ${(e as NodeJS.ErrnoException).code ?? "error"}` };
    }
    return decode(buf, cfg);
  }
  const args = expandArgs(c.command.args, { device: cfg.capture_device ?? "default" });
  const r = await source.run(c.command.program, args, { timeoutMs: c.timeout_ms, signal });
  if (r.absent || r.timedOut || r.code !== 0) return classifyCaptureFailure(c.command.program, r, c.timeout_ms);
  return decode(r.stdout, cfg);
}

function decode(buf: Buffer, cfg: AudioConfig): { pcm: Pcm } | Failure {
  try {
    if (cfg.capture.mode === "command" && cfg.capture.output === "raw") {
      const { format, channels, rate_hz } = cfg.capture.raw;
      const bits = { pcm_u8: 8, pcm_s16le: 16, pcm_s24le: 24, pcm_s32le: 32, pcm_f32le: 32 }[format];
      return { pcm: { sampleRate: rate_hz, channels: decodeInterleaved(buf, channels, format), bitsPerSample: bits, format } };
    }
    return { pcm: parseWav(buf) };
  } catch (e) {
    return { result: "error", verdict: "error", reason: `capture is not readable audio: ${(e as Error).message}` };
  }
}

/** Records (or reads) a short capture and reduces it to statistics; the audio itself is dropped here. */
export async function measureSignal(cfg: AudioConfig, source: SystemSource, signal: AbortSignal): Promise<Signal> {
  const got = await acquire(cfg, source, signal);
  const base = { source: cfg.capture.mode === "wav" ? ("wav" as const) : ("command" as const), expected_rate_hz: cfg.expected.rate_hz };
  if (!("pcm" in got)) {
    return { ...got, ...base, sample_rate_hz: 0, channels: 0, format: "", duration_ms: 0, channel_stats: [], imbalance_db: null };
  }
  const { pcm } = got;
  const t = cfg.thresholds;
  const a = analyzeSignal(pcm, {
    silentBelowDbfs: t.silent_below_dbfs,
    clippingRatioMax: t.clipping_ratio_max,
    stuckRunMs: t.stuck_run_ms,
    dcOffsetMax: t.dc_offset_max,
    imbalanceMaxDb: t.imbalance_max_db,
    noiseFloorMaxDbfs: t.noise_floor_max_dbfs,
    expectedRateHz: cfg.expected.rate_hz,
    expectedChannels: cfg.expected.channels,
    expectedFormat: cfg.expected.format,
  });
  const r4 = (n: number) => Math.round(n * 1e4) / 1e4;
  return {
    result: "ok",
    verdict: a.verdict,
    reason: a.reason.slice(0, 500),
    ...base,
    sample_rate_hz: pcm.sampleRate,
    channels: pcm.channels.length,
    format: pcm.format,
    duration_ms: a.durationMs,
    channel_stats: a.stats.slice(0, 32).map((s) => ({
      rms_dbfs: s.rmsDbfs,
      peak_dbfs: s.peakDbfs,
      clipping_ratio: r4(s.clippingRatio),
      dc_offset: r4(s.dcOffset),
      longest_flat_run: s.longestFlatRun,
      dead: s.dead,
      noise_floor_dbfs: s.noiseFloorDbfs,
    })),
    imbalance_db: a.imbalanceDb,
  };
}
