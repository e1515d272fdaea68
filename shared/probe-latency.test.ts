import { describe, expect, it } from "vitest";
import { responseLatencyMs } from "./probe-latency.ts";

const run = (over: Partial<Parameters<typeof responseLatencyMs>[0]>) => ({ probe: "voice" as const, first_audio_ms: 950, first_text_ms: 960, request_sent_ms: 700, ...over });

describe("responseLatencyMs: the cloud's response latency of a probe run", () => {
  it("is the first audio (voice) or first text (text) after the request was written", () => {
    expect(responseLatencyMs(run({}))).toBe(250);
    expect(responseLatencyMs(run({ probe: "text", first_audio_ms: null }))).toBe(260);
    // a voice probe whose answer is text (voice_output: text) has no audio: its first text counts
    expect(responseLatencyMs(run({ first_audio_ms: null }))).toBe(260);
  });

  it("counts an older agent's run, which has no request_sent_ms field, from the probe's start", () => {
    expect(responseLatencyMs(run({ request_sent_ms: undefined }))).toBe(950);
  });

  it("is null, never 0 or a from-start figure, when there is no latency to report", () => {
    // nothing measured
    expect(responseLatencyMs(run({ first_audio_ms: null, first_text_ms: null }))).toBeNull();
    // the agent could not time the request's end (a server answered before reading the whole body)
    expect(responseLatencyMs(run({ request_sent_ms: null }))).toBeNull();
    // the answer began before the request was written (a server streaming during the upload)
    expect(responseLatencyMs(run({ request_sent_ms: 1200 }))).toBeNull();
  });
});
