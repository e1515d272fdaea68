import { readFile } from "node:fs/promises";
import pino, { type Logger } from "pino";
import type { ProbeRun } from "../../shared/schemas/probes.ts";
import type { ProbesConfig } from "./config.ts";
import { runHttpProbe } from "./http.ts";
import { REALTIME_INPUT_RATE_HZ, runRealtimeProbe } from "./realtime.ts";
import { emptyRun, errorInfo, type ProbeContext } from "./run.ts";
import { runStatusPageProbe } from "./statuspage.ts";
import { loadUtterance, utterancePcm16 } from "./utterance.ts";

export { ProbesConfigSchema, type ProbesConfig } from "./config.ts";
export type { ProbeContext } from "./run.ts";

/** The three probe runs of one diagnosis; null = not run (disabled or over budget). */
export interface ProbeSet {
  readonly voice: ProbeRun | null;
  readonly text: ProbeRun | null;
  readonly status: ProbeRun | null;
}

export interface RunProbesOptions {
  readonly signal?: AbortSignal;
  readonly log?: Logger;
  readonly now?: () => number;
  readonly wallNow?: () => number;
  /** Skip the billable voice/text probes (budget exhausted); the free status page still runs. */
  readonly skipBillable?: boolean;
  /** Resolved key; when omitted it is read from the config (api_key or api_key_file). */
  readonly apiKey?: string | null;
}

/** Reads the API key from the config or its file; a missing file is a sentence, not a throw. */
export async function resolveApiKey(config: ProbesConfig): Promise<{ ok: true; key: string | null } | { ok: false; reason: string }> {
  if (config.api_key) return { ok: true, key: config.api_key };
  if (!config.api_key_file) return { ok: true, key: null };
  try {
    const key = (await readFile(config.api_key_file, "utf8")).trim();
    return key ? { ok: true, key } : { ok: false, reason: `cloud.api_key_file ${config.api_key_file} is empty; put the API key in it` };
  } catch (err) {
    return { ok: false, reason: `cloud.api_key_file ${config.api_key_file} cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"}); fix the path or its permissions` };
  }
}

/**
 * Runs the voice, text and status-page probes concurrently, each bounded by its own timeout, so a hung
 * cloud costs at most max(probe_timeout_ms, status_timeout_ms). Never throws.
 */
export async function runProbes(config: ProbesConfig, opts: RunProbesOptions = {}): Promise<ProbeSet> {
  const log = opts.log ?? pino({ level: "silent" });
  const outer = opts.signal ?? new AbortController().signal;
  const base = { now: opts.now ?? (() => performance.now()), wallNow: opts.wallNow ?? Date.now, log };
  const key = opts.apiKey !== undefined ? { ok: true as const, key: opts.apiKey } : await resolveApiKey(config);
  const ctx = (timeoutMs: number): ProbeContext => ({ ...base, apiKey: key.ok ? key.key : null, signal: AbortSignal.any([outer, AbortSignal.timeout(timeoutMs)]) });

  const status = config.status_page_url
    ? runStatusPageProbe(config.status_page_url, config.status_components, ctx(config.status_timeout_ms))
    : Promise.resolve(null);
  if (opts.skipBillable) return { voice: null, text: null, status: await status };
  if (!key.ok) {
    const failed = (probe: "voice" | "text") => {
      const r = emptyRun(probe, config.adapter, base.wallNow());
      r.error = errorInfo("api_key_unreadable", key.reason, []);
      return r;
    };
    return { voice: failed("voice"), text: failed("text"), status: await status };
  }

  const text = config.adapter === "realtime"
    ? runRealtimeProbe(config, { kind: "text", question: config.question }, ctx(config.probe_timeout_ms))
    : runHttpProbe(config, { kind: "text", question: config.question }, ctx(config.probe_timeout_ms));
  const voice = (async () => {
    const loaded = await loadUtterance({ wav: config.utterance_wav, expectedWords: config.expected_words });
    if (!loaded.ok) {
      const r = emptyRun("voice", config.adapter, base.wallNow());
      r.result = "absent";
      r.error = errorInfo("utterance_missing", loaded.reason, []);
      return r;
    }
    const u = loaded.utterance;
    if (config.adapter === "realtime") {
      return runRealtimeProbe(config, { kind: "voice", pcm16: utterancePcm16(u, REALTIME_INPUT_RATE_HZ), expectedWords: u.expectedWords }, ctx(config.probe_timeout_ms));
    }
    const rate = config.http.audio_sample_rate_hz;
    return runHttpProbe(config, { kind: "voice", pcm16: utterancePcm16(u, rate), sampleRateHz: rate, expectedWords: u.expectedWords }, ctx(config.probe_timeout_ms));
  })();
  const [v, t, s] = await Promise.all([voice, text, status]);
  return { voice: v, text: t, status: s };
}
