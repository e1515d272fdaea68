/** Median of a list; null when empty. */
export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Jitter as the issue defines it: mean absolute difference of consecutive RTTs (in send order); null below 2 values. */
export function jitter(xs: readonly number[]): number | null {
  if (xs.length < 2) return null;
  let sum = 0;
  for (let i = 1; i < xs.length; i++) sum += Math.abs(xs[i]! - xs[i - 1]!);
  return sum / (xs.length - 1);
}

/** The RPM draft's trimmed mean: drop values above the 95th percentile, average the rest. */
export function trimmedMean95(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const keep = s.slice(0, Math.max(1, Math.ceil(s.length * 0.95)));
  return keep.reduce((a, b) => a + b, 0) / keep.length;
}

/** Codec and jitter-buffer assumptions for the E-model; defaults: G.711 with packet-loss concealment. */
export interface EModelParams {
  /** Equipment impairment of the codec at zero loss (G.113: G.711 = 0). */
  ie: number;
  /** Packet-loss robustness of the codec (G.113: G.711 with PLC = 25.1). */
  bpl: number;
  /** Codec + packetisation delay added to the one-way network delay. */
  codecDelayMs: number;
  /** The jitter buffer holds this many times the measured jitter. */
  jitterBufferFactor: number;
}

/**
 * ITU-T G.107 E-model, simplified to delay and random-loss impairments (README.md in this folder):
 * d = rtt/2 + codec delay + jitter buffer; Id = 0.024·d + 0.11·(d − 177.3)·H(d − 177.3);
 * Ie,eff = Ie + (95 − Ie)·Ppl/(Ppl + Bpl); R = 93.2 − Id − Ie,eff; MOS from R per G.107 annex B.
 */
export function eModel(rttMs: number, jitterMs: number, lossPct: number, p: EModelParams): { rFactor: number; mos: number } {
  const d = rttMs / 2 + p.codecDelayMs + p.jitterBufferFactor * jitterMs;
  const id = 0.024 * d + (d > 177.3 ? 0.11 * (d - 177.3) : 0);
  const ppl = Math.max(0, Math.min(100, lossPct));
  const ieEff = p.ie + ((95 - p.ie) * ppl) / (ppl + p.bpl);
  const r = 93.2 - id - ieEff;
  return { rFactor: Math.round(r * 10) / 10, mos: Math.round(mosFromR(r) * 100) / 100 };
}

/** G.107 R → MOS (conversational quality estimate). */
export function mosFromR(r: number): number {
  if (r <= 0) return 1;
  if (r >= 100) return 4.5;
  return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6;
}

/**
 * Round-trips per minute from foreign probes only (IETF responsiveness draft): the draft weighs
 * 1/6·(TM(tcp_f) + TM(tls_f) + TM(http_f)) + 1/2·TM(http_s); without a self-probe on a loaded connection
 * (we generate no load) the three foreign probes carry the whole weight: RPM = 60000 / mean(TM(·)).
 */
export function rpmForeign(tcpMs: readonly number[], tlsMs: readonly number[], httpMs: readonly number[]): number | null {
  const tms = [trimmedMean95(tcpMs), trimmedMean95(tlsMs), trimmedMean95(httpMs)].filter((x): x is number => x !== null);
  if (tms.length === 0) return null;
  const mean = tms.reduce((a, b) => a + b, 0) / tms.length;
  return Math.round(60000 / Math.max(mean, 0.01));
}
