/** What the probe-accuracy benchmark times: each adapter's voice (first audio) and text (first text) probe. */
export const SERIES = ["realtime voice", "realtime text", "http voice", "http text"] as const;
export type Series = (typeof SERIES)[number];

/** One timed exchange: the agent's figure and the floor's, in ms from each client's start; null = failed. */
export interface Sample {
  series: Series;
  delayMs: number;
  agentMs: number | null;
  bareMs: number | null;
}

/** Mean, min and max of measured − injected over the successful samples; null when there were none. */
export interface ErrorSummary {
  mean: number | null;
  min: number | null;
  max: number | null;
  n: number;
}

function summarise(errors: number[]): ErrorSummary {
  if (!errors.length) return { mean: null, min: null, max: null, n: 0 };
  return { mean: errors.reduce((a, b) => a + b, 0) / errors.length, min: Math.min(...errors), max: Math.max(...errors), n: errors.length };
}

/** Error statistics of one group of samples (a series at one delay, or a series over all delays). */
export interface GroupStats {
  agent: ErrorSummary;
  bare: ErrorSummary;
  /** Agent probes that did not report a figure: a failure counts against the target, it is not dropped silently. */
  failed: number;
}

function group(samples: readonly Sample[]): GroupStats {
  const errs = (pick: (s: Sample) => number | null) => samples.flatMap((s) => { const v = pick(s); return v === null ? [] : [v - s.delayMs]; });
  return { agent: summarise(errs((s) => s.agentMs)), bare: summarise(errs((s) => s.bareMs)), failed: samples.filter((s) => s.agentMs === null).length };
}

/** Per series and injected delay, and per series over every delay. */
export function errorStats(samples: readonly Sample[], delaysMs: readonly number[]): { perDelay: (GroupStats & { series: Series; delayMs: number })[]; overall: Record<Series, GroupStats> } {
  const perDelay = SERIES.flatMap((series) => delaysMs.map((delayMs) => ({ series, delayMs, ...group(samples.filter((s) => s.series === series && s.delayMs === delayMs)) })));
  const overall = Object.fromEntries(SERIES.map((s) => [s, group(samples.filter((x) => x.series === s))])) as Record<Series, GroupStats>;
  return { perDelay, overall };
}
