import { z } from "zod";

/**
 * Faults the reference cloud injects, per request kind. Set them at runtime with `POST /_sim/faults`
 * or `CloudSim.setFaults()`; `remaining` limits them to the next N matching requests.
 */
export const SimFaultsSchema = z.strictObject({
  /** Which requests the faults hit: voice (audio in), text (text in) or both. */
  scope: z.enum(["all", "voice", "text"]).default("all"),
  /** Delay between response.create (or the HTTP request) and the first delta. */
  delay_first_ms: z.number().int().nonnegative().default(0),
  /** Never answer (a hung cloud). */
  hang: z.boolean().default(false),
  /** A vendor numeric code 10001–10499 (Realtime `error` event / HTTP error body). */
  vendor_code: z.number().int().min(10001).max(10499).nullable().default(null),
  /** An HTTP status for the HTTP API, and the WebSocket upgrade refusal status for Realtime. */
  http_status: z.number().int().min(400).max(599).nullable().default(null),
  auth_reject: z.boolean().default(false),
  disconnect_mid_response: z.boolean().default(false),
  transcript: z.enum(["normal", "empty", "wrong"]).default("normal"),
  transcription_failed: z.boolean().default(false),
  /** Realtime only: response.done with status failed. */
  response_failed: z.boolean().default(false),
  answer: z.enum(["normal", "wrong"]).default("normal"),
  remaining: z.number().int().positive().nullable().default(null),
});
export type SimFaults = z.infer<typeof SimFaultsSchema>;
export type SimFaultsInput = z.input<typeof SimFaultsSchema>;

export const StatusIndicator = z.enum(["none", "minor", "major", "critical", "maintenance"]);
export const SimStatusSchema = z.strictObject({
  indicator: StatusIndicator.default("none"),
  /** Component name → Statuspage component status. */
  components: z.record(z.string(), z.enum(["operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"])).default({}),
});
export type SimStatus = z.infer<typeof SimStatusSchema>;

export const NO_FAULTS: SimFaults = Object.freeze(SimFaultsSchema.parse({}));

/** Holds the current faults of one simulator instance (no module state: two sims in one test do not interfere). */
export class FaultBook {
  #faults: SimFaults = NO_FAULTS;
  set(input: SimFaultsInput): SimFaults {
    this.#faults = SimFaultsSchema.parse(input);
    return this.#faults;
  }
  reset(): void {
    this.#faults = NO_FAULTS;
  }
  current(): SimFaults {
    return this.#faults;
  }
  /** The faults for one request of this kind, consuming one use when `remaining` is set. */
  take(kind: "voice" | "text" | "handshake"): SimFaults {
    const f = this.#faults;
    if (f === NO_FAULTS) return f;
    const hits = f.scope === "all" || f.scope === kind;
    if (!hits) return NO_FAULTS;
    if (f.remaining !== null) this.#faults = f.remaining <= 1 ? NO_FAULTS : { ...f, remaining: f.remaining - 1 };
    return f;
  }
  /** Whether a WebSocket handshake should be refused, without consuming a per-kind fault. */
  handshakeRefusal(): SimFaults | null {
    const f = this.#faults;
    if (f.scope !== "all" || (!f.auth_reject && f.http_status === null)) return null;
    return this.take("handshake");
  }
}

/** The vendor error body for a numeric code, with an HTTP status and a Realtime error type per family. */
export function vendorError(code: number): { status: number; type: string; message: string } {
  if (code < 10100) return { status: 504, type: "network_error", message: `upstream connect timeout (${code})` };
  if (code < 10200) return { status: 401, type: "authentication_error", message: `token expired or App ID mismatch (${code})` };
  if (code < 10300) return { status: 400, type: "invalid_request_error", message: `required parameter missing (${code})` };
  if (code < 10400) return { status: 429, type: "rate_limit_error", message: `QPS over limit (${code})` };
  return { status: 503, type: "server_error", message: `internal error, service unavailable (${code})` };
}
