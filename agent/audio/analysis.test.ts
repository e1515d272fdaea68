import { describe, expect, it } from "vitest";
import { analyzeSignal, type SignalThresholds } from "./analysis.ts";
import { encodeWav16, parseWav } from "./wav.ts";

const RATE = 16000;
const T: SignalThresholds = {
  silentBelowDbfs: -70,
  clippingRatioMax: 0.001,
  stuckRunMs: 50,
  dcOffsetMax: 0.05,
  imbalanceMaxDb: 6,
  noiseFloorMaxDbfs: -35,
  expectedRateHz: 16000,
  expectedChannels: null,
  expectedFormat: null,
};

/** Deterministic noise, so a fixture is the same on every run. */
function noise(n: number, amp: number, seed = 1): Float32Array {
  let s = seed;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    out[i] = ((s / 0x7fffffff) * 2 - 1) * amp;
  }
  return out;
}

/** Speech-like fixture: a tone burst then room noise (a continuous tone would read as a high noise floor). */
function speechLike(amp = 0.25, rate = RATE, seed = 1): Float32Array {
  const n = rate;
  const x = noise(n, 0.001, seed);
  for (let i = 0; i < n / 2; i++) x[i]! += amp * Math.sin((2 * Math.PI * 440 * i) / rate);
  return x;
}

/** Round-trips channels through a 16-bit WAV, as a capture would deliver them. */
const wav = (channels: Float32Array[], rate = RATE) => parseWav(encodeWav16(rate, channels));

describe("analyzeSignal on generated WAV fixtures", () => {
  it("a sine burst over room noise is ok, with RMS, peak and noise floor where a user expects them", () => {
    const a = analyzeSignal(wav([speechLike()]), T);
    expect(a.verdict).toBe("ok");
    const s = a.stats[0]!;
    expect(s.peakDbfs).toBeCloseTo(-12, 0); // 0.25 full scale
    expect(s.rmsDbfs).toBeGreaterThan(-19);
    expect(s.rmsDbfs).toBeLessThan(-17); // half the time at -15 dBFS RMS: -18 dBFS
    expect(s.noiseFloorDbfs).toBeLessThan(-60);
    expect(s.dead).toBe(false);
    expect(a.durationMs).toBe(1000);
  });

  it("digital silence is silent", () => {
    const a = analyzeSignal(wav([new Float32Array(RATE)]), T);
    expect(a.verdict).toBe("silent");
    expect(a.stats[0]!.dead).toBe(true);
    expect(a.reason).toMatch(/digital silence/);
  });

  it("a very quiet but live microphone is silent (below the threshold), not dead", () => {
    const a = analyzeSignal(wav([noise(RATE, 0.0002)]), T);
    expect(a.verdict).toBe("silent");
    expect(a.stats[0]!.dead).toBe(false);
  });

  it("a clipped signal is clipping", () => {
    const x = speechLike(0.25);
    for (let i = 0; i < x.length / 2; i++) x[i] = Math.max(-1, Math.min(1, 4 * Math.sin((2 * Math.PI * 440 * i) / RATE)));
    const a = analyzeSignal(wav([x]), T);
    expect(a.verdict).toBe("clipping");
    expect(a.stats[0]!.clippingRatio).toBeGreaterThan(0.1);
  });

  it("a DC offset is dc_offset", () => {
    const x = speechLike(0.2);
    for (let i = 0; i < x.length; i++) x[i]! += 0.2;
    const a = analyzeSignal(wav([x]), T);
    expect(a.verdict).toBe("dc_offset");
    expect(a.stats[0]!.dcOffset).toBeCloseTo(0.2, 2);
  });

  it("one dead channel of two is dead_channel naming the channel", () => {
    const a = analyzeSignal(wav([speechLike(), new Float32Array(RATE)]), T);
    expect(a.verdict).toBe("dead_channel");
    expect(a.reason).toMatch(/channel\(s\) 1 of 2/);
    expect(a.stats.map((s) => s.dead)).toEqual([false, true]);
  });

  it("stuck samples (one value held for 200 ms inside live audio) are stuck", () => {
    const x = speechLike();
    x.fill(0.1, 4000, 4000 + 3200);
    const a = analyzeSignal(wav([x]), T);
    expect(a.verdict).toBe("stuck");
    expect(a.stats[0]!.longestFlatRun).toBeGreaterThanOrEqual(3200);
  });

  it("a capture at the wrong rate is wrong_format naming both rates", () => {
    const a = analyzeSignal(wav([speechLike(0.25, 44100)], 44100), T);
    expect(a.verdict).toBe("wrong_format");
    expect(a.reason).toMatch(/44100 Hz, expected 16000 Hz/);
  });

  it("a microphone array with one weak microphone is imbalance", () => {
    const a = analyzeSignal(wav([speechLike(0.25, RATE, 1), speechLike(0.05, RATE, 2)]), T);
    expect(a.verdict).toBe("imbalance");
    expect(a.imbalanceDb).toBeGreaterThan(13);
  });

  it("a loud hum under everything is noisy", () => {
    const x = new Float32Array(RATE);
    for (let i = 0; i < x.length; i++) x[i] = 0.1 * Math.sin((2 * Math.PI * 50 * i) / RATE);
    expect(analyzeSignal(wav([x]), T).verdict).toBe("noisy");
  });
});
