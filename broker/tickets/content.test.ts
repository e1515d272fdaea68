import { describe, expect, it } from "vitest";
import { redact, type DiagnosisMessage } from "../../shared/index.ts";
import { diagnosisMsg } from "../testing/messages.ts";
import { buildContent, redactedEvidence } from "./content.ts";

const SECRETS = ["abcd1234secret", "abcdefgh12345678", "sk-live-7777777777", "hunter2hunter2", "req-token-9999"];

/** A diagnosis with a secret in every free-text place a device fills: error messages, a probe, steps, evidence, the scenario, logs. */
function leakyDiagnosis(): DiagnosisMessage {
  const d = diagnosisMsg("dev-leak", 1_800_000_000_000, { fault: "cloud_outage" });
  d.probes = [{
    probe: "text", adapter: "http", result: "error", started_at: d.ts - 500, dns_ms: 1, connect_ms: 2, tls_ms: 3, first_text_ms: null, first_audio_ms: null, total_ms: 40,
    bytes_sent: 10, bytes_received: 0, transcript: null, transcript_ok: null, answer: "echo api_key=sk-live-7777777777", answer_ok: false,
    request_id: "req?token=req-token-9999", error: { code: "500", family: "server", message: "upstream said password=hunter2hunter2", http_status: 500 },
  }];
  d.steps[0]!.detail = "retried with Authorization: Bearer abcdefgh12345678";
  d.verdict.evidence[0]!.detail = "secret=abcd1234secret in the reply";
  d.scenario = "weather, token=req-token-9999";
  return d;
}

const leaks = (v: unknown) => SECRETS.filter((s) => JSON.stringify(v).includes(s));

describe("ticket content and evidence", () => {
  it("masks every planted secret, whether or not the diagnosis was redacted before", () => {
    const raw = leakyDiagnosis();
    expect(leaks(raw)).toEqual(SECRETS); // the fixture does carry them
    expect(leaks(buildContent(raw, { firstSeen: raw.ts, lastSeen: raw.ts, occurrences: 1 }))).toEqual([]);
    expect(leaks(redactedEvidence(raw))).toEqual([]);
    const m = redact(raw);
    expect(leaks(buildContent(m, { firstSeen: raw.ts, lastSeen: raw.ts, occurrences: 1 }))).toEqual([]);
    expect(leaks(redactedEvidence(m))).toEqual([]);
  });

  it("walks a diagnosis the ingest already redacted only once: the content it builds is what a second redaction would give", () => {
    const raw = leakyDiagnosis();
    const m = redact(raw);
    const content = buildContent(m, { firstSeen: m.ts, lastSeen: m.ts + 3_600_000, occurrences: 4 });
    expect(redact(content)).toEqual(content);
    expect(redactedEvidence(m)).toBe(m);
    // a diagnosis that did not come through redact() is copied and masked
    expect(redactedEvidence(raw)).not.toBe(raw);
    expect(redactedEvidence(raw)).toEqual(m);
  });
});
