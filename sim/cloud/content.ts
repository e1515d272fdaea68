import { readFileSync } from "node:fs";
import { parseWav, resample } from "../../agent/audio/wav.ts";

/** The canned utterance's text: the simulator "hears" it when the audio matches the fingerprint. */
export const CANNED_TEXT = "what is the weather today";
export const GOOD_ANSWER = "Today the weather is sunny with a high of 22 degrees.";
export const WRONG_ANSWER = "Bananas are an excellent source of potassium.";
export const WRONG_TRANSCRIPT = "what is the leather tray";

const FRAME_MS = 20;

/** RMS per 20 ms frame: a coarse loudness envelope. */
function envelope(samples: Float32Array, rateHz: number): number[] {
  const frame = Math.max(1, Math.round((rateHz * FRAME_MS) / 1000));
  const out: number[] = [];
  for (let i = 0; i + frame <= samples.length; i += frame) {
    let sum = 0;
    for (let j = i; j < i + frame; j++) sum += samples[j]! * samples[j]!;
    out.push(Math.sqrt(sum / frame));
  }
  return out;
}

function correlation(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  if (n < 5) return 0;
  let ma = 0, mb = 0;
  for (let i = 0; i < n; i++) { ma += a[i]!; mb += b[i]!; }
  ma /= n; mb /= n;
  let num = 0, da = 0, db = 0;
  for (let i = 0; i < n; i++) {
    const x = a[i]! - ma, y = b[i]! - mb;
    num += x * y; da += x * x; db += y * y;
  }
  return da > 0 && db > 0 ? num / Math.sqrt(da * db) : 0;
}

/**
 * A stand-in for speech recognition. The simulator cannot run ASR, so it recognises the agent's canned
 * utterance by a fingerprint — similar length and a correlated loudness envelope — and returns its known
 * text; silence yields an empty transcript and anything else an "unintelligible" one.
 */
export class Recogniser {
  readonly #reference: Float32Array;
  readonly #referenceRate: number;
  constructor(wavPath: URL | string = new URL("../../agent/assets/utterance.wav", import.meta.url)) {
    const pcm = parseWav(readFileSync(wavPath));
    this.#reference = pcm.channels[0]!;
    this.#referenceRate = pcm.sampleRate;
  }
  transcribe(pcm16: Buffer, rateHz: number): string {
    const samples = new Float32Array(Math.floor(pcm16.length / 2));
    for (let i = 0; i < samples.length; i++) samples[i] = pcm16.readInt16LE(i * 2) / 32768;
    const env = envelope(samples, rateHz);
    if (env.length === 0 || Math.max(...env) < 0.003) return "";
    const ref = envelope(resample(this.#reference, this.#referenceRate, rateHz), rateHz);
    const lengthOk = Math.abs(env.length - ref.length) <= ref.length * 0.1;
    return lengthOk && correlation(env, ref) > 0.9 ? CANNED_TEXT : "unintelligible";
  }
}

/** The simulated model: a weather question gets a weather answer. */
export function answerFor(question: string, wrong: boolean): string {
  if (wrong) return WRONG_ANSWER;
  return /weather/i.test(question) ? GOOD_ANSWER : "I can only talk about the weather.";
}
