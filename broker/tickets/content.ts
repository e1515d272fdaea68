import { FAULTS, isRedacted, redact, type DiagnosisMessage } from "../../shared/index.ts";
import type { TicketContent } from "../store/types.ts";

const HOUR = 3_600_000;

/**
 * The support checklist (DOMAIN.md) built from a device's latest diagnosis: occurrence time and
 * frequency, error codes with full messages, request parameters, scenario, devices, versions, the
 * steps tried and their results, and the log excerpt. Everything passes through shared/redact.ts,
 * so a token in an error message or a log line never reaches a ticket, a webhook or an export.
 */
export function buildContent(d: DiagnosisMessage, o: { firstSeen: number; lastSeen: number; occurrences: number }): TicketContent {
  const errors: TicketContent["errors"] = [];
  if (d.verdict.error_code) {
    const e = d.verdict.error_code;
    errors.push({ code: e.code, family: e.family, message: e.message, httpStatus: e.http_status ?? null, source: "verdict" });
  }
  for (const p of d.probes) {
    if (p.error) errors.push({ code: p.error.code, family: p.error.family, message: p.error.message, httpStatus: p.error.http_status ?? null, source: `${p.probe} probe` });
  }
  const hours = Math.max((o.lastSeen - o.firstSeen) / HOUR, 1);
  const content: TicketContent = {
    occurrence: { firstSeen: o.firstSeen, lastSeen: o.lastSeen, occurrences: o.occurrences, perHour: Math.round((o.occurrences / hours) * 100) / 100 },
    errors,
    // the request a probe made, as far as the device reports it; secret-named keys are masked by redact()
    requestParams: d.probes.map((p) => ({ probe: p.probe, adapter: p.adapter, request_id: p.request_id, app_id: d.app_id, started_at: p.started_at, result: p.result })),
    scenario: d.scenario,
    appId: d.app_id,
    devices: [d.device_id],
    versions: { agent: d.versions.agent, firmware: d.versions.firmware, sdk: d.versions.sdk },
    steps: d.steps.map((s) => ({ name: s.name, status: s.status, detail: s.detail, durationMs: s.duration_ms })),
    evidence: d.verdict.evidence.map((e) => ({ check: e.check, status: e.status, detail: e.detail })),
    actions: d.verdict.actions.length ? [...d.verdict.actions] : [...FAULTS[d.verdict.fault].actions],
    logExcerpt: [...d.log_excerpt],
    summary: d.verdict.summary,
  };
  // built only from the diagnosis's fields under keys that are not secret-named: from a redacted diagnosis
  // (the ingest's), already masked; walking it again cost ~3 % of an outage storm's CPU (issue #9)
  return isRedacted(d) ? content : redact(content);
}

/** A diagnosis as stored with a ticket: redacted the same way (free text may carry a token), unless it already is. */
export function redactedEvidence(d: DiagnosisMessage): DiagnosisMessage {
  return isRedacted(d) ? d : redact(d);
}
