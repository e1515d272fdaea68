import type { Logger } from "pino";
import type { ErrorInfo, ProbeKind, ProbeRun } from "../../shared/schemas/probes.ts";
import { maskString } from "../../shared/redact.ts";
import { classifyError } from "../../shared/taxonomy.ts";

/** What every probe gets: the key (never logged), a deadline signal, a clock and a logger. */
export interface ProbeContext {
  readonly apiKey: string | null;
  readonly signal: AbortSignal;
  /** Monotonic milliseconds (performance.now in production; injectable in tests). */
  readonly now: () => number;
  /** Wall-clock epoch milliseconds, for `started_at`. */
  readonly wallNow: () => number;
  readonly log: Logger;
}

/** A fresh run with every measurement unknown; adapters fill in what they observe. */
export function emptyRun(probe: ProbeKind, adapter: ProbeRun["adapter"], startedAt: number): ProbeRun {
  return {
    probe, adapter, result: "error", started_at: startedAt,
    dns_ms: null, connect_ms: null, tls_ms: null, request_sent_ms: null, first_text_ms: null, first_audio_ms: null, total_ms: null,
    bytes_sent: 0, bytes_received: 0, transcript: null, transcript_ok: null, answer: null, answer_ok: null,
    request_id: null, error: null,
  };
}

/** Truncates free text to a schema bound. */
export function clip(s: string, max: number): string {
  return s.length <= max ? s : s.slice(0, max - 1) + "…";
}

/** A normalised error with its family, the message masked of the key and truncated to the schema bound. */
export function errorInfo(code: string, message: string, secrets: readonly (string | null)[], extra: { http_status?: number | null; type?: string | null } = {}): ErrorInfo {
  const known = secrets.filter((s): s is string => !!s);
  const c = clip(maskString(code, known), 64);
  const type = extra.type ? clip(maskString(extra.type, known), 64) : null;
  return {
    code: c,
    family: classifyError({ code: c, http_status: extra.http_status ?? null, type }).family,
    message: clip(maskString(message, known), 1000),
    http_status: extra.http_status ?? null,
    type,
  };
}

/** The code of a Node transport error (errno or TLS), or a generic one. */
export function transportCode(err: unknown): string {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = e?.code ?? e?.cause?.code;
  return typeof code === "string" && code.length > 0 ? code : "transport_error";
}

/** Lower-case words of a text, punctuation dropped. */
export function words(text: string): string[] {
  return text.toLowerCase().replace(/[^\p{L}\p{N}\s']/gu, " ").split(/\s+/).filter(Boolean);
}

/** Whether the transcript contains every expected word (order-free, case-free). */
export function transcriptHasWords(transcript: string, expected: readonly string[]): boolean {
  const heard = new Set(words(transcript));
  return expected.every((w) => heard.has(w.toLowerCase()));
}

/** Whether an answer matches the expected pattern (case-insensitive). */
export function answerMatches(answer: string, pattern: string): boolean {
  return new RegExp(pattern, "i").test(answer);
}

/** Rounds a duration to 0.1 ms for the wire. */
export function ms(x: number): number {
  return Math.round(Math.max(0, x) * 10) / 10;
}
