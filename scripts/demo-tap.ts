import { writeFileSync } from "node:fs";
import { encodeWav16 } from "../agent/audio/wav.ts";

/**
 * A development machine has no microphone, so the demo agent reads a capture tap: a WAV the demo
 * writes with room noise and a voice-level tone. `npm run demo:fault -- voice_capture` swaps in silence.
 */
export function writeCaptureTap(path: string, kind: "healthy" | "silent"): void {
  const rate = 16_000;
  const pcm = new Float32Array(rate);
  let seed = 42;
  for (let i = 0; i < pcm.length; i++) {
    seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
    // syllable-like bursts over a quiet room: the pauses give a realistic noise floor
    const voiced = Math.floor(i / (rate * 0.2)) % 2 === 0;
    pcm[i] = kind === "silent" ? 0 : (voiced ? 0.1 * Math.sin((2 * Math.PI * 220 * i) / rate) : 0) + 0.004 * (seed / 2 ** 31 - 0.5);
  }
  writeFileSync(path, encodeWav16(rate, [pcm]));
}
