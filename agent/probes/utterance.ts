import { readFile } from "node:fs/promises";
import { z } from "zod";
import { parseWav, resample, toPcm16 } from "../audio/wav.ts";

/** The sidecar of the canned utterance: what it says and the words the cloud must hear. */
export const UtteranceMeta = z.object({
  text: z.string().min(1),
  expected_words: z.array(z.string().min(1)).min(1),
  sample_rate_hz: z.number().int().positive(),
  channels: z.number().int().positive(),
  duration_ms: z.number().positive(),
  sha256: z.string().optional(),
  generator: z.string().optional(),
});
export type UtteranceMeta = z.infer<typeof UtteranceMeta>;

/** A decoded known-good utterance, mono float. */
export interface Utterance {
  readonly samples: Float32Array;
  readonly sampleRate: number;
  readonly text: string;
  readonly expectedWords: readonly string[];
}

/** Where the shipped asset lives (beside the agent code). */
export const DEFAULT_UTTERANCE_WAV = new URL("../assets/utterance.wav", import.meta.url);
export const DEFAULT_UTTERANCE_META = new URL("../assets/utterance.json", import.meta.url);

/**
 * Loads the canned utterance (or an override WAV). A missing or broken file is data for the caller:
 * the voice probe reports `absent`/`error` instead of throwing.
 */
export async function loadUtterance(opts: { wav?: string | null; expectedWords?: readonly string[] | null } = {}): Promise<{ ok: true; utterance: Utterance } | { ok: false; reason: string }> {
  const wavPath = opts.wav ?? DEFAULT_UTTERANCE_WAV;
  try {
    const meta = opts.wav ? null : UtteranceMeta.parse(JSON.parse(await readFile(DEFAULT_UTTERANCE_META, "utf8")));
    const pcm = parseWav(await readFile(wavPath));
    const expected = opts.expectedWords ?? meta?.expected_words;
    if (!expected?.length) return { ok: false, reason: "an override utterance_wav needs expected_words in the config" };
    return { ok: true, utterance: { samples: pcm.channels[0]!, sampleRate: pcm.sampleRate, text: meta?.text ?? expected.join(" "), expectedWords: expected } };
  } catch (err) {
    return { ok: false, reason: `canned utterance ${String(wavPath)} cannot be loaded (${(err as Error).message}); reinstall the agent or fix cloud.utterance_wav` };
  }
}

/** The utterance as PCM16 little-endian mono at the adapter's rate. */
export function utterancePcm16(u: Utterance, rateHz: number): Buffer {
  return toPcm16(resample(u.samples, u.sampleRate, rateHz));
}
