import { FAULTS } from "../../shared/faults.ts";
import { maskString, redact } from "../../shared/redact.ts";
import type { DiagnosisMessage } from "../../shared/schemas/diagnosis.ts";
import { classifyError } from "../../shared/taxonomy.ts";
import type { ProbesConfig } from "../probes/config.ts";
import type { DiagnoseReport, ProbeBudgetReport, SupportChecklist } from "./report.ts";

/** What the voice app reported recently (from the passive monitor), for the checklist's "frequency". */
export interface FrequencyInfo {
  readonly errors: number;
  readonly interactions: number;
  readonly windowS: number;
}

/** The request parameters the probes used, with the key and any secret-looking value redacted. */
export function requestParameters(config: ProbesConfig): SupportChecklist["request_parameters"] {
  const endpoint = config.adapter === "realtime" ? config.realtime.url : config.http.text_url;
  const params: SupportChecklist["request_parameters"] = {
    adapter: config.adapter,
    endpoint: maskString(endpoint),
    model: config.model,
    question: config.question,
    expected_answer_pattern: config.expected_answer_pattern,
    api_key: config.api_key ? "set" : null,
    api_key_file: config.api_key_file ?? null,
    probe_timeout_ms: config.probe_timeout_ms,
    latency_budget_first_ms: config.latency_budget_first_ms,
    latency_budget_total_ms: config.latency_budget_total_ms,
  };
  if (config.adapter === "realtime") Object.assign(params, { api_version: config.realtime.api_version, transcription_model: config.realtime.transcription_model, voice_output: config.realtime.voice_output });
  const secrets = config.api_key ? [config.api_key] : [];
  return redact(params, secrets);
}

/** Builds the --json contract from a diagnosis. */
export function buildReport(d: DiagnosisMessage, config: ProbesConfig, budget: ProbeBudgetReport | null, freq: FrequencyInfo | null = null): DiagnoseReport {
  const healthy = d.verdict.fault === "none";
  const errors = d.probes.filter((p) => p.error).map((p) => {
    const cls = classifyError(p.error!);
    return { check: `${p.probe}_probe`, code: p.error!.code, family: p.error!.family, fault: cls.fault, message: p.error!.message, meaning: cls.meaning.slice(0, 300), http_status: p.error!.http_status ?? null, request_id: p.request_id };
  });
  const ve = d.verdict.error_code;
  if (ve && !errors.some((e) => e.code === ve.code)) {
    const cls = classifyError(ve);
    errors.push({ check: "verdict", code: ve.code, family: ve.family, fault: cls.fault, message: ve.message, meaning: cls.meaning.slice(0, 300), http_status: ve.http_status ?? null, request_id: null });
  }
  const frequency = freq
    ? `${freq.errors} error(s) in ${freq.interactions} interaction(s) reported by the voice app in the last ${freq.windowS} s`
    : "this diagnosis only (the voice app reported no interactions)";
  return {
    report_version: 1,
    healthy,
    exit_code: healthy ? 0 : 1,
    diagnosis: d,
    checklist: {
      device_id: d.device_id,
      app_id: d.app_id,
      time: new Date(d.started_at).toISOString(),
      occurred_at: d.started_at,
      frequency,
      error_codes: errors.slice(0, 20),
      request_parameters: requestParameters(config),
      versions: { agent: d.versions.agent, firmware: d.versions.firmware, sdk: d.versions.sdk, node: process.version.slice(0, 32) },
      steps_tried: d.steps.map((s) => `${s.name}: ${s.status}`.slice(0, 200)),
    },
    budget,
  };
}

const MARK: Record<string, string> = { ok: "ok  ", fail: "FAIL", warn: "warn", skipped: "skip", error: "ERR " };

/** The human report a support engineer can act on: steps, verdict, actions, checklist. */
export function renderReport(r: DiagnoseReport): string {
  const d = r.diagnosis;
  const v = d.verdict;
  const out: string[] = [];
  out.push(`Diagnosis ${d.diagnosis_id} for device ${d.device_id} (${new Date(d.started_at).toISOString()}, ${Math.round(d.duration_ms)} ms)`, "");
  out.push("Steps run:");
  for (const s of d.steps) out.push(`  [${MARK[s.status] ?? s.status}] ${s.name.padEnd(18)} ${s.detail}`);
  out.push("", `Verdict: ${v.fault.toUpperCase()} — ${FAULTS[v.fault].title}`, `  ${v.summary}`);
  if (v.error_code) out.push(`  Error: ${v.error_code.code}${v.error_code.http_status ? ` (HTTP ${v.error_code.http_status})` : ""}: ${v.error_code.message}`);
  out.push("", "Evidence:");
  for (const e of v.evidence) {
    const figs = e.figures ? Object.entries(e.figures).filter(([, x]) => x !== null).map(([k, x]) => `${k}=${x}`).join(" ") : "";
    out.push(`  [${MARK[e.status] ?? e.status}] ${e.check.padEnd(18)} ${e.detail}${figs ? `  (${figs})` : ""}`);
  }
  if (v.actions.length) {
    out.push("", "What to do:");
    v.actions.forEach((a, i) => out.push(`  ${i + 1}. ${a}`));
  }
  const c = r.checklist;
  out.push("", "Support checklist:");
  out.push(`  device id:      ${c.device_id}`, `  app id:         ${c.app_id ?? "(not configured)"}`, `  time:           ${c.time}`, `  frequency:      ${c.frequency}`);
  out.push(`  versions:       agent ${c.versions.agent}, firmware ${c.versions.firmware ?? "?"}, sdk ${c.versions.sdk ?? "?"}, node ${c.versions.node}`);
  if (c.error_codes.length === 0) out.push("  error codes:    none");
  for (const e of c.error_codes) out.push(`  error code:     ${e.check} ${e.code} [${e.family ?? "-"} → ${e.fault}] ${e.message}${e.request_id ? ` (request id ${e.request_id})` : ""}`);
  out.push(`  request params: ${Object.entries(c.request_parameters).map(([k, x]) => `${k}=${x}`).join(", ")}`);
  if (r.budget) out.push(`  probe budget:   ${r.budget.probes_today}/${r.budget.max_probes_per_day} probes, ${r.budget.bytes_today}/${r.budget.max_bytes_per_day} bytes today${r.budget.exhausted ? " (exhausted)" : ""}`);
  out.push("", r.healthy ? "Result: healthy (exit 0)" : "Result: fault found (exit 1)");
  return out.join("\n");
}
