import type { ProbeRun } from "./schemas/probes.ts";

/**
 * The cloud's response latency of a probe run: its first audio (voice; its first text when the voice answer is text)
 * or first text (text) after the request was written, the figure vendors quote. Free of zod so that the dashboard
 * can bundle it.
 *
 * - An older agent's run (no `request_sent_ms` field at all) counts from the probe's start.
 * - null when nothing was measured, when the agent could not time the request's end (`request_sent_ms: null`, e.g.
 *   a server that answered before reading the whole body), or when the answer began before the request was
 *   written (a server streaming during the upload): none of these is a latency, and a 0 would pass for a perfect
 *   answer in the SLA percentiles.
 */
export function responseLatencyMs(run: Pick<ProbeRun, "probe" | "first_audio_ms" | "first_text_ms" | "request_sent_ms">): number | null {
  const first = run.probe === "voice" ? (run.first_audio_ms ?? run.first_text_ms) : run.first_text_ms;
  if (first === null || run.request_sent_ms === null) return null;
  const sent = run.request_sent_ms ?? 0;
  if (first < sent) return null;
  return Math.round((first - sent) * 10) / 10;
}
