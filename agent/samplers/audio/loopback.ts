import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AudioSample } from "../../../shared/schemas/samples/audio.ts";
import { encodeWav16, parseWav, resample, type Pcm } from "../../audio/wav.ts";
import type { SystemSource } from "../types.ts";
import { type AudioConfig, expandArgs } from "./config.ts";
import { classifyCaptureFailure } from "./capture.ts";

export type Loopback = NonNullable<AudioSample["loopback"]>;

/** A linear chirp at half full scale with 10 ms fades: unlike a pure tone, its correlation has one sharp peak. */
export function makeChirp(rateHz: number, fromHz: number, toHz: number, ms: number): Float32Array {
  const n = Math.round((rateHz * ms) / 1000);
  const out = new Float32Array(n);
  const dur = n / rateHz;
  const fade = Math.min(n / 2, Math.round(rateHz * 0.01));
  for (let i = 0; i < n; i++) {
    const t = i / rateHz;
    const phase = 2 * Math.PI * (fromHz * t + ((toHz - fromHz) / (2 * dur)) * t * t);
    const env = Math.min(1, i / fade, (n - 1 - i) / fade);
    out[i] = 0.5 * env * Math.sin(phase);
  }
  return out;
}

/** Where the reference sits in a recording: normalised cross-correlation peak, delay and SNR of the aligned copy. */
export function detectReference(reference: Float32Array, recording: Float32Array, rateHz: number, minCorrelation: number): Omit<Loopback, "result"> & { correlation: number } {
  const L = reference.length;
  if (recording.length < L || L === 0) return { detected: false, delay_ms: null, snr_db: null, correlation: 0 };
  let refEnergy = 0;
  for (let i = 0; i < L; i++) refEnergy += reference[i]! * reference[i]!;
  // sliding window energy of the recording, updated incrementally
  let winEnergy = 0;
  for (let i = 0; i < L; i++) winEnergy += recording[i]! * recording[i]!;
  let best = 0;
  let bestK = 0;
  let bestDot = 0;
  for (let k = 0; k + L <= recording.length; k++) {
    if (k > 0) winEnergy += recording[k + L - 1]! ** 2 - recording[k - 1]! ** 2;
    let dot = 0;
    for (let i = 0; i < L; i++) dot += reference[i]! * recording[k + i]!;
    const norm = Math.sqrt(refEnergy * Math.max(winEnergy, 1e-20));
    const rho = dot / norm;
    if (rho > best) {
      best = rho;
      bestK = k;
      bestDot = dot;
    }
  }
  const detected = best >= minCorrelation;
  if (!detected) return { detected, delay_ms: null, snr_db: null, correlation: round(best, 3) };
  // least-squares gain of the reference in the window; what it does not explain is noise
  const gain = bestDot / refEnergy;
  let sig = 0;
  let noise = 0;
  for (let i = 0; i < L; i++) {
    const s = gain * reference[i]!;
    sig += s * s;
    noise += (recording[bestK + i]! - s) ** 2;
  }
  const snr = noise > 0 ? 10 * Math.log10(sig / noise) : 120;
  return { detected, delay_ms: round((bestK / rateHz) * 1000, 2), snr_db: round(Math.min(120, snr), 1), correlation: round(best, 3) };
}

const round = (n: number, d: number) => Math.round(n * 10 ** d) / 10 ** d;

function mono(pcm: Pcm, rateHz: number): Float32Array {
  const ch = pcm.channels[0] ?? new Float32Array(0);
  return pcm.sampleRate === rateHz ? ch : resample(ch, pcm.sampleRate, rateHz);
}

/** Plays a chirp and records it (or reads a recording of it) and reports whether, when and how clearly it came back. */
export async function runLoopback(cfg: AudioConfig, source: SystemSource, signal: AbortSignal): Promise<Loopback | null> {
  const lb = cfg.loopback;
  if (lb.mode === "off") return null;
  const ref = makeChirp(lb.rate_hz, lb.chirp_from_hz, lb.chirp_to_hz, lb.chirp_ms);
  let recording: Pcm;
  if (lb.mode === "wav") {
    if (!lb.wav_path) return { result: "error", detected: false, delay_ms: null, snr_db: null };
    try {
      recording = parseWav(await readFile(lb.wav_path));
    } catch {
      return { result: "absent", detected: false, delay_ms: null, snr_db: null };
    }
  } else {
    const dir = await mkdtemp(join(tmpdir(), "edge-agent-loopback-"));
    try {
      const file = join(dir, "chirp.wav");
      await writeFile(file, encodeWav16(lb.rate_hz, [ref]));
      const device = cfg.capture_device ?? "default";
      const rec = source.run(lb.record.program, expandArgs(lb.record.args, { device, file }), { timeoutMs: lb.timeout_ms, signal });
      await sleep(lb.lead_in_ms, signal);
      const play = await source.run(lb.play.program, expandArgs(lb.play.args, { device, file }), { timeoutMs: lb.timeout_ms, signal });
      const r = await rec;
      if (play.absent || play.code !== 0) return { result: play.absent ? "absent" : "error", detected: false, delay_ms: null, snr_db: null };
      if (r.absent || r.timedOut || r.code !== 0) return { result: classifyCaptureFailure(lb.record.program, r, lb.timeout_ms).result, detected: false, delay_ms: null, snr_db: null };
      recording = parseWav(r.stdout);
    } catch {
      return { result: "error", detected: false, delay_ms: null, snr_db: null };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
  const d = detectReference(ref, mono(recording, lb.rate_hz), lb.rate_hz, lb.detect_min_correlation);
  return { result: "ok", detected: d.detected, delay_ms: d.delay_ms, snr_db: d.snr_db };
}

/** A wait that ends early (without throwing) when the run is aborted. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });
}
