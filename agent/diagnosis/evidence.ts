import type { Evidence } from "../../shared/schemas/diagnosis.ts";
import { responseLatencyMs } from "../../shared/probe-latency.ts";
import type { ProbeRun } from "../../shared/schemas/probes.ts";
import type { AudioSample } from "../../shared/schemas/samples/audio.ts";
import type { NetworkSample } from "../../shared/schemas/samples/network.ts";
import type { SystemSample } from "../../shared/schemas/samples/system.ts";

/** Latency budget the probes are held to (from the `cloud` config). */
export interface LatencyBudget {
  readonly firstMs: number;
  readonly totalMs: number;
}

/** How a probe came out, for the decision procedure. */
export type ProbeState = "ok" | "failed" | "not_run";

/** A probe that ran and got a complete response (the voice probe must also have been heard right). */
export function probeState(run: ProbeRun | null): ProbeState {
  if (!run || run.result === "skipped" || run.result === "absent") return "not_run";
  return run.result === "ok" ? "ok" : "failed";
}

/** The voice probe completed but the cloud heard the canned utterance wrongly (or not at all). */
export function misheard(run: ProbeRun | null): boolean {
  return !!run && run.result === "ok" && run.transcript_ok === false;
}

/** The first response delta (audio or text), in ms from the probe's start. */
export function firstMs(run: ProbeRun): number | null {
  const xs = [run.first_audio_ms, run.first_text_ms].filter((x): x is number => x !== null);
  return xs.length ? Math.min(...xs) : null;
}

/** ", N ms of it after the request was sent": the cloud's share, where the agent timed the request's end. */
function cloudShare(run: ProbeRun): string {
  const after = run.request_sent_ms != null ? responseLatencyMs(run) : null;
  return after === null ? "" : `, ${after} ms of it after the request was sent`;
}

/** Over the latency budget on time to first response or total time. */
export function slow(run: ProbeRun | null, budget: LatencyBudget): boolean {
  if (!run || run.result !== "ok") return false;
  const first = firstMs(run);
  return (first !== null && first > budget.firstMs) || (run.total_ms !== null && run.total_ms > budget.totalMs);
}

/**
 * Over budget only because reaching the service took long: with `connect_ms` (DNS and the TCP connect, from the
 * probe's start: the path's time, none of it the cloud's work) taken off, the first response and the whole answer
 * are within the budget. False when the connect was not timed.
 */
export function slowToConnect(run: ProbeRun | null, budget: LatencyBudget): boolean {
  const connect = run?.connect_ms;
  if (!run || connect == null || !slow(run, budget)) return false;
  const less = (x: number | null) => (x === null ? null : Math.max(0, x - connect));
  return !slow({ ...run, first_text_ms: less(run.first_text_ms), first_audio_ms: less(run.first_audio_ms), total_ms: less(run.total_ms) }, budget);
}

/** `hard`: the network cannot carry a conversation; `soft`: it can, slowly; `unknown`: not measured. */
export type NetworkState = "good" | "hard" | "soft" | "unknown";

export function networkState(n: NetworkSample | null): NetworkState {
  if (!n || n.verdict === "unavailable") return "unknown";
  if (n.verdict === "ok") return "good";
  if (["link_down", "no_route", "dns_failure", "unreachable", "high_loss"].includes(n.verdict)) return "hard";
  return "soft";
}

/** Device resources exhausted (or the voice app itself down) — a fault on its own, and a cause of slowness. */
export function systemBad(s: SystemSample | null): boolean {
  return !!s && s.verdict !== "ok" && s.verdict !== "unavailable";
}

/** Capture verdicts that load on the CPU rather than the hardware: resource exhaustion can explain them. */
const LOAD_SENSITIVE = new Set(["xrun", "stalled"]);
const NOT_EVIDENCE = new Set(["ok", "unavailable", "error"]);

/** The live capture path is faulty (`absent` = the configured microphone is missing). */
export function captureBad(a: AudioSample | null): boolean {
  return !!a && !NOT_EVIDENCE.has(a.verdict);
}

export function captureLoadSensitive(a: AudioSample | null): boolean {
  return !!a && LOAD_SENSITIVE.has(a.verdict);
}

export function statusIncident(run: ProbeRun | null): boolean {
  return !!run && run.result === "ok" && (run.status_indicator === "major" || run.status_indicator === "critical");
}

export function statusWarning(run: ProbeRun | null): boolean {
  return !!run && run.result === "ok" && (run.status_indicator === "minor" || run.status_indicator === "maintenance");
}

function clip(s: string, max = 500): string {
  return s.length <= max ? s : s.slice(0, max - 1) + "…";
}

/** One evidence row per input, in the isolation order. */
export function collectEvidence(i: { audio: AudioSample | null; network: NetworkSample | null; system: SystemSample | null; voice: ProbeRun | null; text: ProbeRun | null; status: ProbeRun | null; budget: LatencyBudget }): Evidence[] {
  const out: Evidence[] = [];
  if (i.status) {
    const comps = i.status.degraded_components?.length ? `; degraded: ${i.status.degraded_components.join(", ")}` : "";
    out.push({
      check: "status_page",
      status: i.status.result !== "ok" ? "error" : statusIncident(i.status) ? "fail" : statusWarning(i.status) ? "warn" : "ok",
      detail: clip(i.status.result === "ok" ? `indicator ${i.status.status_indicator ?? "unknown"} (${i.status.answer ?? ""})${comps}` : `status page not read: ${i.status.error?.message ?? i.status.result}`),
    });
  }
  for (const run of [i.text, i.voice]) {
    if (!run) continue;
    const st = probeState(run);
    const wrongAnswer = run.result === "ok" && run.answer_ok === false;
    const detail = st === "not_run"
      ? `${run.probe} probe not run (${run.result}${run.error ? `: ${run.error.message}` : ""})`
      : st === "failed"
        ? `${run.probe} probe ${run.result}: ${run.error ? `${run.error.code} ${run.error.message}` : "no detail"}`
        : `${run.probe} probe ok in ${run.total_ms ?? "?"} ms (first response ${firstMs(run) ?? "?"} ms${cloudShare(run)})` +
          (run.probe === "voice" ? `; heard "${run.transcript ?? "(no transcript)"}"${run.transcript_ok === false ? " — expected words missing" : ""}` : "") +
          (wrongAnswer ? `; answer failed the check: "${run.answer ?? ""}"` : "") +
          (slow(run, i.budget) ? `; over the latency budget (${i.budget.firstMs} ms first / ${i.budget.totalMs} ms total)` : "");
    out.push({
      check: `${run.probe}_probe`,
      status: st === "not_run" ? "skipped" : st === "failed" || misheard(run) || wrongAnswer ? "fail" : slow(run, i.budget) ? "warn" : "ok",
      detail: clip(detail),
      figures: { dns_ms: run.dns_ms, connect_ms: run.connect_ms, tls_ms: run.tls_ms, request_sent_ms: run.request_sent_ms ?? null, first_ms: firstMs(run), total_ms: run.total_ms, bytes_sent: run.bytes_sent, bytes_received: run.bytes_received },
    });
  }
  if (i.network) {
    const ns = networkState(i.network);
    out.push({
      check: "network",
      status: ns === "good" ? "ok" : ns === "unknown" ? "skipped" : ns === "hard" ? "fail" : "warn",
      detail: clip(`${i.network.verdict}: ${i.network.reason}`),
      figures: { rtt_ms: i.network.icmp?.rtt_median_ms ?? null, loss_pct: i.network.icmp?.loss_pct ?? null, jitter_ms: i.network.icmp?.jitter_ms ?? null, mos: i.network.voice?.mos ?? null },
    });
  }
  if (i.audio) {
    out.push({ check: "capture", status: captureBad(i.audio) ? "fail" : i.audio.verdict === "ok" ? "ok" : "skipped", detail: clip(`${i.audio.verdict}: ${i.audio.reason}`), figures: { xruns_total: i.audio.xruns_total } });
  }
  if (i.system) {
    out.push({
      check: "device_resources",
      status: systemBad(i.system) ? "fail" : i.system.verdict === "ok" ? "ok" : "skipped",
      detail: clip(`${i.system.verdict}: ${i.system.reason}`),
      figures: { cpu_load_pct: i.system.cpu_load_pct, memory_used_mb: i.system.memory_used_mb, memory_total_mb: i.system.memory_total_mb, disk_free_mb: i.system.disk_free_mb, temperature_c: i.system.temperature_c },
    });
  }
  return out;
}
