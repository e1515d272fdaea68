import type { Pcm } from "./wav.ts";

/** dBFS of a zero signal: the schema refuses -Infinity, and nothing real sits below a 32-bit LSB (-186 dBFS). */
export const FLOOR_DBFS = -200;

/** Statistics of one channel; levels in dBFS (0 = full scale), ratios in [0, 1]. */
export interface ChannelStats {
  rmsDbfs: number;
  peakDbfs: number;
  clippingRatio: number;
  dcOffset: number;
  /** Longest run of identical consecutive samples, in samples. */
  longestFlatRun: number;
  /** Peak at or below one LSB of the source format: nothing is connected or the ADC is off. */
  dead: boolean;
  /** RMS of the quietest 10% of 20 ms windows: the room plus the electronics when nobody talks. */
  noiseFloorDbfs: number;
}

/** Thresholds for the verdict; defaults are the sampler config's defaults. */
export interface SignalThresholds {
  silentBelowDbfs: number;
  clippingRatioMax: number;
  stuckRunMs: number;
  dcOffsetMax: number;
  imbalanceMaxDb: number;
  noiseFloorMaxDbfs: number;
  expectedRateHz: number | null;
  expectedChannels: number | null;
  expectedFormat: Pcm["format"] | null;
}

export type SignalVerdict = "ok" | "silent" | "dead_channel" | "clipping" | "stuck" | "wrong_format" | "dc_offset" | "imbalance" | "noisy";

/** The analysis of one capture: per-channel stats and one verdict with its reason (later problems listed too). */
export interface SignalAnalysis {
  stats: ChannelStats[];
  imbalanceDb: number | null;
  durationMs: number;
  verdict: SignalVerdict;
  reason: string;
}

export const toDbfs = (v: number): number => (v > 0 ? Math.max(FLOOR_DBFS, 20 * Math.log10(v)) : FLOOR_DBFS);
const r2 = (n: number) => Math.round(n * 100) / 100;

/** One LSB of a format, as a float amplitude. */
export function lsbOf(format: Pcm["format"]): number {
  switch (format) {
    case "pcm_u8": return 1 / 128;
    case "pcm_s16le": return 1 / 32768;
    case "pcm_s24le": return 1 / 8388608;
    case "pcm_s32le": return 1 / 2147483648;
    case "pcm_f32le": return 1 / 8388608; // float carries a 24-bit mantissa
  }
}

/** Statistics of one channel of samples in [-1, 1). */
export function channelStats(x: Float32Array, sampleRate: number, format: Pcm["format"]): ChannelStats {
  const lsb = lsbOf(format);
  // "at full scale": within 2 LSB of the rail, since the positive rail of an integer format is 1 - 1 LSB
  const clipAt = 1 - 2 * lsb;
  let sum = 0;
  let sumSq = 0;
  let peak = 0;
  let clipped = 0;
  let run = 1;
  let longest = x.length > 0 ? 1 : 0;
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    sum += v;
    sumSq += v * v;
    const a = Math.abs(v);
    if (a > peak) peak = a;
    if (a >= clipAt) clipped++;
    if (i > 0) {
      run = v === x[i - 1] ? run + 1 : 1;
      if (run > longest) longest = run;
    }
  }
  const n = Math.max(1, x.length);
  return {
    rmsDbfs: r2(toDbfs(Math.sqrt(sumSq / n))),
    peakDbfs: r2(toDbfs(peak)),
    clippingRatio: clipped / n,
    dcOffset: sum / n,
    longestFlatRun: longest,
    dead: peak <= lsb * 1.0001,
    noiseFloorDbfs: r2(noiseFloor(x, sampleRate)),
  };
}

function noiseFloor(x: Float32Array, sampleRate: number): number {
  const win = Math.max(1, Math.round(sampleRate * 0.02));
  const levels: number[] = [];
  for (let start = 0; start + win <= x.length; start += win) {
    let s = 0;
    for (let i = start; i < start + win; i++) s += x[i]! * x[i]!;
    levels.push(Math.sqrt(s / win));
  }
  if (levels.length === 0) return FLOOR_DBFS;
  levels.sort((a, b) => a - b);
  return toDbfs(levels[Math.floor(levels.length * 0.1)]!);
}

/** Analyses a capture: per-channel stats, imbalance between live channels, and the first failing check. */
export function analyzeSignal(pcm: Pcm, t: SignalThresholds): SignalAnalysis {
  const stats = pcm.channels.map((c) => channelStats(c, pcm.sampleRate, pcm.format));
  const frames = pcm.channels[0]?.length ?? 0;
  const live = stats.filter((s) => !s.dead && s.rmsDbfs > t.silentBelowDbfs);
  const imbalanceDb = live.length >= 2 ? r2(Math.max(...live.map((s) => s.rmsDbfs)) - Math.min(...live.map((s) => s.rmsDbfs))) : null;
  const stuckRun = Math.max(2, Math.round((t.stuckRunMs / 1000) * pcm.sampleRate));
  const problems: { verdict: SignalVerdict; reason: string }[] = [];
  const ch = (pred: (s: ChannelStats) => boolean) => stats.flatMap((s, i) => (pred(s) ? [i] : []));

  if (frames === 0) problems.push({ verdict: "silent", reason: "the capture returned no audio frames" });
  else if (live.length === 0) {
    const dead = ch((s) => s.dead);
    problems.push({
      verdict: "silent",
      reason: dead.length === stats.length
        ? "every channel is digital silence (peak at or below 1 LSB): the microphone delivers nothing"
        : `every channel is below ${t.silentBelowDbfs} dBFS RMS (loudest ${Math.max(...stats.map((s) => s.rmsDbfs))} dBFS)`,
    });
  } else {
    const dead = ch((s) => s.dead);
    if (dead.length > 0) problems.push({ verdict: "dead_channel", reason: `channel(s) ${dead.join(", ")} of ${stats.length} are dead (peak at or below 1 LSB)` });
  }
  const clip = ch((s) => s.clippingRatio > t.clippingRatioMax);
  if (clip.length > 0) {
    const worst = Math.max(...clip.map((i) => stats[i]!.clippingRatio));
    problems.push({ verdict: "clipping", reason: `${r2(worst * 100)}% of samples at full scale on channel(s) ${clip.join(", ")} (limit ${r2(t.clippingRatioMax * 100)}%): gain too high` });
  }
  const stuck = ch((s) => !s.dead && s.longestFlatRun >= stuckRun);
  if (stuck.length > 0) {
    const worst = Math.max(...stuck.map((i) => stats[i]!.longestFlatRun));
    problems.push({ verdict: "stuck", reason: `channel(s) ${stuck.join(", ")} hold one value for ${r2((worst / pcm.sampleRate) * 1000)} ms (limit ${t.stuckRunMs} ms): stuck samples or dropped buffers` });
  }
  const fmt: string[] = [];
  if (t.expectedRateHz !== null && pcm.sampleRate !== t.expectedRateHz) fmt.push(`rate ${pcm.sampleRate} Hz, expected ${t.expectedRateHz} Hz`);
  if (t.expectedChannels !== null && pcm.channels.length !== t.expectedChannels) fmt.push(`${pcm.channels.length} channel(s), expected ${t.expectedChannels}`);
  if (t.expectedFormat !== null && pcm.format !== t.expectedFormat) fmt.push(`format ${pcm.format}, expected ${t.expectedFormat}`);
  if (fmt.length > 0) problems.push({ verdict: "wrong_format", reason: fmt.join("; ") });
  const dc = ch((s) => Math.abs(s.dcOffset) > t.dcOffsetMax);
  if (dc.length > 0) problems.push({ verdict: "dc_offset", reason: `DC offset ${r2(Math.max(...dc.map((i) => Math.abs(stats[i]!.dcOffset))))} of full scale on channel(s) ${dc.join(", ")} (limit ${t.dcOffsetMax})` });
  if (imbalanceDb !== null && imbalanceDb > t.imbalanceMaxDb) problems.push({ verdict: "imbalance", reason: `live channels differ by ${imbalanceDb} dB RMS (limit ${t.imbalanceMaxDb} dB): one microphone of the array is weak or blocked` });
  const noisy = ch((s) => !s.dead && s.noiseFloorDbfs > t.noiseFloorMaxDbfs);
  if (noisy.length > 0 && live.length > 0) problems.push({ verdict: "noisy", reason: `noise floor ${Math.max(...noisy.map((i) => stats[i]!.noiseFloorDbfs))} dBFS on channel(s) ${noisy.join(", ")} (limit ${t.noiseFloorMaxDbfs} dBFS)` });

  const first = problems[0];
  const others = problems.slice(1).map((p) => p.verdict);
  return {
    stats,
    imbalanceDb,
    durationMs: r2((frames / Math.max(1, pcm.sampleRate)) * 1000),
    verdict: first?.verdict ?? "ok",
    reason: first ? first.reason + (others.length ? ` (also: ${others.join(", ")})` : "") : `${stats.length} channel(s) live, levels and format as expected`,
  };
}
