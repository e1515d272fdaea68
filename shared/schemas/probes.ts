import { z } from "zod";
import { ErrorFamilySchema as ErrorFamily } from "./faults.ts";
import { EpochMs } from "../ids.ts";
import { NullableNum, ProbeResult, Text } from "./common.ts";

/** A normalised error from the cloud or the transport: the support checklist's "error code and full message". */
export const ErrorInfo = z.object({
  code: Text(64),
  family: ErrorFamily.nullable(),
  message: Text(1000),
  http_status: z.number().int().min(100).max(599).nullable().optional(),
  type: Text(64).nullable().optional(),
});
export type ErrorInfo = z.infer<typeof ErrorInfo>;

export const ProbeKind = z.enum(["voice", "text", "status_page"]);
export type ProbeKind = z.infer<typeof ProbeKind>;

/**
 * One conversational-AI probe run; timings in milliseconds from the probe's start. The cloud's own response
 * latency (what vendors quote, end of the user's turn to the first answer) is `first_*` − `request_sent_ms`
 * (shared/probe-latency.ts responseLatencyMs); the time before `request_sent_ms` is DNS, connect, TLS and the session's
 * set-up (the cloud takes part in the last two) and the upload as far as the device's socket buffer hides it.
 */
export const ProbeRun = z.object({
  probe: ProbeKind,
  adapter: z.enum(["realtime", "http", "statuspage"]),
  result: ProbeResult,
  started_at: EpochMs,
  dns_ms: NullableNum,
  connect_ms: NullableNum,
  tls_ms: NullableNum,
  /**
   * When the whole request (the question, or the utterance with its commit) had been written to the connection.
   * Optional on the wire: agents before it did not send it.
   */
  request_sent_ms: NullableNum.optional(),
  first_text_ms: NullableNum,
  first_audio_ms: NullableNum,
  total_ms: NullableNum,
  bytes_sent: z.number().int().nonnegative(),
  bytes_received: z.number().int().nonnegative(),
  /** What the cloud heard (voice probe) and whether it contains the expected words. */
  transcript: Text(500).nullable(),
  transcript_ok: z.boolean().nullable(),
  /** The answer, truncated, and whether it matched the expected pattern. */
  answer: Text(500).nullable(),
  answer_ok: z.boolean().nullable(),
  request_id: Text(128).nullable(),
  error: ErrorInfo.nullable(),
  /** Status page only: the vendor's indicator and the components that are not operational. */
  status_indicator: z.enum(["none", "minor", "major", "critical", "maintenance"]).nullable().optional(),
  degraded_components: z.array(Text(100)).max(20).optional(),
});
export type ProbeRun = z.infer<typeof ProbeRun>;

/** The latest AI latency figures, carried in telemetry for charts and the SLA report. */
export const AiSummary = z.object({
  at: EpochMs,
  text: ProbeRun.nullable(),
  voice: ProbeRun.nullable(),
  status_page: ProbeRun.nullable(),
});
export type AiSummary = z.infer<typeof AiSummary>;
