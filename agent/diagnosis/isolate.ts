import { FAULTS, type FaultClass } from "../../shared/faults.ts";
import type { Step, Verdict } from "../../shared/schemas/diagnosis.ts";
import type { ErrorInfo, ProbeRun } from "../../shared/schemas/probes.ts";
import type { AudioSample } from "../../shared/schemas/samples/audio.ts";
import type { NetworkSample } from "../../shared/schemas/samples/network.ts";
import type { SystemSample } from "../../shared/schemas/samples/system.ts";
import { classifyError } from "../../shared/taxonomy.ts";
import {
  captureBad, captureLoadSensitive, collectEvidence, misheard, networkState, probeState, slow, slowToConnect, statusIncident, statusWarning, systemBad,
  type LatencyBudget,
} from "./evidence.ts";

/** Everything the isolation procedure reasons over; any input may be missing (null). */
export interface IsolationInput {
  readonly audio: AudioSample | null;
  readonly network: NetworkSample | null;
  readonly system: SystemSample | null;
  readonly voice: ProbeRun | null;
  readonly text: ProbeRun | null;
  readonly status: ProbeRun | null;
  readonly budget: LatencyBudget;
}

export interface Isolation {
  readonly verdict: Verdict;
  /** The decision steps in the order they ran (durations 0: the procedure is pure). */
  readonly steps: Step[];
}

/**
 * The isolation procedure (docs/diagnosis.md): a pure function from evidence to one fault class.
 * Order follows DOMAIN.md — status page, definitive error codes, the text/voice split, local causes,
 * then content and latency — so the same evidence always yields the same verdict.
 */
export function isolate(input: IsolationInput): Isolation {
  const steps: Step[] = [];
  const step = (name: string, status: Step["status"], detail: string) => steps.push({ name, status, duration_ms: 0, detail: detail.slice(0, 500) });
  const done = (fault: FaultClass, why: string, error: ErrorInfo | null = null): Isolation => {
    step("verdict", fault === "none" ? "ok" : "fail", `${fault}: ${why}`);
    return { verdict: makeVerdict(input, fault, why, error), steps };
  };

  const { voice, text, status } = input;
  const tState = probeState(text);
  const vState = probeState(voice);
  const net = networkState(input.network);
  const incident = statusIncident(status);
  const sysBad = systemBad(input.system);

  // 1. the vendor's own word first: a major incident means the device is not to blame (DOMAIN.md step 4)
  step("status_page", !status ? "skipped" : incident ? "fail" : statusWarning(status) ? "warn" : status.result === "ok" ? "ok" : "error",
    !status ? "no status page configured" : `indicator ${status.status_indicator ?? status.result}`);

  // 2. error codes that name their fault whatever else is seen: auth blocks everything, then request, then quota
  const errors = [text, voice].filter((r): r is ProbeRun => !!r && probeState(r) === "failed" && !!r.error).map((r) => ({ run: r, cls: classifyError(r.error!) }));
  for (const fault of ["auth", "request", "quota"] as const) {
    const hit = errors.find((e) => e.cls.fault === fault);
    if (hit) {
      step("error_codes", "fail", `${hit.run.probe} probe: ${hit.run.error!.code} (${hit.cls.meaning})`);
      return done(fault, `${hit.run.probe} probe rejected with ${hit.run.error!.code}: ${hit.run.error!.message}`, hit.run.error);
    }
  }
  step("error_codes", errors.length ? "warn" : "ok", errors.length ? errors.map((e) => `${e.run.probe}: ${e.run.error!.code}`).join(", ") : "no definitive error code");

  // 3. both probes fail (or the only one that ran): the service is unreachable from here — whose fault?
  const serverError = errors.find((e) => e.cls.family === "server" && e.cls.fault === "cloud_outage");
  const anyFailed = tState === "failed" || vState === "failed";
  const noneOk = tState !== "ok" && vState !== "ok";
  if (anyFailed && noneOk) {
    step("text_probe", "fail", `text ${text?.result ?? "not run"}, voice ${voice?.result ?? "not run"}`);
    if (incident) return done("cloud_outage", `both probes fail and the status page reports a ${status!.status_indicator} incident`, serverError?.run.error ?? errors[0]?.run.error ?? null);
    if (net === "hard") return done("network", `both probes fail and the local network is bad (${input.network!.verdict}: ${input.network!.reason})`, errors[0]?.run.error ?? null);
    if (serverError) return done("cloud_outage", `both probes fail with a server error (${serverError.run.error!.code}) while the local network is ${net}`, serverError.run.error);
    if (sysBad) return done("device_resources", `both probes fail and the device is short of resources (${input.system!.verdict}: ${input.system!.reason})`, errors[0]?.run.error ?? null);
    if (net === "soft") return done("network", `both probes fail and the local network is degraded (${input.network!.verdict})`, errors[0]?.run.error ?? null);
    const transport = errors.find((e) => e.cls.family === "network");
    if (net === "unknown" && transport) return done("network", `both probes fail with ${transport.run.error!.code} and the local network was not measured`, transport.run.error);
    const vendorNet = errors.find((e) => e.cls.source === "vendor" && e.cls.family === "network");
    if (vendorNet) return done("network", `both probes fail and the service reports a network-family code (${vendorNet.run.error!.code})`, vendorNet.run.error);
    if (net === "good") return done("cloud_outage", "the service does not answer (timeouts, refusals or resets) while the local network is good and the status page shows no incident", errors[0]?.run.error ?? null);
    return done("unknown", "both probes fail and the local network was not measured", errors[0]?.run.error ?? null);
  }

  // 4. the text-input fallback: text works, the canned utterance does not → the cloud's speech side
  if (tState === "ok" && (vState === "failed" || misheard(voice))) {
    step("text_probe", "ok", "text path works");
    const why = vState === "failed" ? `the voice probe failed (${voice!.error?.code ?? voice!.result})` : `the cloud heard "${voice!.transcript ?? ""}" for the canned utterance`;
    const rid = voice!.request_id ? ` (request id ${voice!.request_id})` : "";
    const mismatch: ErrorInfo = { code: "transcript_mismatch", family: null, message: `the cloud heard "${(voice!.transcript ?? "").slice(0, 200)}" for the canned utterance`, http_status: null, type: null };
    return done("voice_cloud", `text works but ${why}${rid}${incident ? `; the status page reports a ${status!.status_indicator} incident` : ""}`, voice!.error ?? mismatch);
  }
  if (vState === "ok" && tState === "failed") {
    step("text_probe", "fail", `text probe ${text!.result} while the voice probe works`);
    if (incident || serverError) return done("cloud_outage", `the text path fails (${text!.error?.code ?? text!.result}) while speech works${incident ? " and the status page reports an incident" : ""}`, text!.error);
    return done("unknown", `the text path fails (${text!.error?.code ?? text!.result}) while speech works: unusual, escalate with the request id`, text!.error);
  }
  step("text_probe", tState === "ok" ? "ok" : "skipped", tState === "ok" ? "text path works" : "text probe not run");
  step("voice_probe", vState === "ok" ? "ok" : "skipped", vState === "ok" ? `canned utterance heard as "${voice!.transcript ?? "(transcription off)"}"` : "voice probe not run");

  // 5. the cloud works from here: look at the device itself
  if (captureBad(input.audio)) {
    if (sysBad && captureLoadSensitive(input.audio)) return done("device_resources", `live capture ${input.audio!.verdict} while the device is short of resources (${input.system!.verdict}): load explains the capture fault`);
    step("capture", "fail", `${input.audio!.verdict}: ${input.audio!.reason}`);
    return done("voice_capture", `${tState === "ok" ? "text and the canned utterance work but " : ""}the live capture is ${input.audio!.verdict} (${input.audio!.reason})`);
  }
  step("capture", input.audio ? "ok" : "skipped", input.audio ? `capture ${input.audio.verdict}` : "capture not sampled");

  // 6. answers: wrong content is the model's or its configuration's (DOMAIN.md step 2)
  const wrong = [text, voice].find((r) => r && r.result === "ok" && r.answer_ok === false && (r.probe === "text" || r.transcript_ok !== false));
  if (wrong) return done("cloud_content", `the ${wrong.probe} probe's answer fails the answer check: "${wrong.answer ?? "(empty)"}"`, { code: "answer_mismatch", family: null, message: `answer "${(wrong.answer ?? "").slice(0, 200)}" does not match the expected pattern`, http_status: null, type: null });

  // 7. slow answers: the network first, then the device, else the service (DOMAIN.md step 1)
  const slowRuns = [text, voice].filter((r): r is ProbeRun => slow(r, input.budget));
  const slowRun = slowRuns[0];
  if (slowRun) {
    step("latency", "warn", `${slowRun.probe} probe over budget (first ${input.budget.firstMs} ms, total ${input.budget.totalMs} ms)`);
    if (net === "hard" || net === "soft") return done("network", `answers are slow and the local network is ${input.network!.verdict}`);
    if (sysBad) return done("device_resources", `answers are slow and the device is short of resources (${input.system!.verdict})`);
    // The sampler saw no fault, yet every slow probe spent the excess reaching the service (DNS and the TCP
    // connect, where the cloud does no work; TLS and the session's set-up are partly the cloud's, so not counted).
    if (slowRuns.every((r) => slowToConnect(r, input.budget))) {
      return done("network", `answers are slow because reaching the service took ${slowRuns.map((r) => `${r.connect_ms} ms (${r.probe} probe: DNS and connect)`).join(" and ")}; without it they are within the budget, while the local network is ${net === "good" ? "fine" : "not measured"}: check the path to the service (DNS, routing, firewall)`);
    }
    return done("cloud_latency", `answers are slower than the budget while the local network is ${net === "good" ? "fine" : "not measured"}`);
  }
  step("latency", tState === "ok" || vState === "ok" ? "ok" : "skipped", "within the latency budget");

  if (sysBad) return done("device_resources", `${input.system!.verdict}: ${input.system!.reason}`);
  if (net === "hard") return done("network", `the probes pass but the local network is ${input.network!.verdict} (${input.network!.reason})`);
  if (tState === "not_run" && vState === "not_run" && incident) return done("cloud_outage", `probes not run; the status page reports a ${status!.status_indicator} incident`);
  return done("none", tState === "ok" || vState === "ok" ? "every check passed" : "no fault in the local checks (cloud probes not run)");
}

function makeVerdict(input: IsolationInput, fault: FaultClass, why: string, error: ErrorInfo | null): Verdict {
  const info = FAULTS[fault];
  const actions = [...info.actions];
  if (error) {
    const cls = classifyError(error);
    const action = `${error.code}: ${cls.action}`;
    if (cls.source && !actions.includes(cls.action)) actions.push(action.slice(0, 300));
  }
  if (statusIncident(input.status) && fault !== "cloud_outage") actions.push("The vendor status page reports an incident: re-run the diagnosis after the vendor recovers.");
  return {
    fault,
    summary: `${info.title}: ${why}`.slice(0, 500),
    error_code: error,
    evidence: collectEvidence(input).slice(0, 40),
    actions: actions.slice(0, 20).map((a) => a.slice(0, 300)),
  };
}
