import { ERROR_FAMILY_TABLE, ERROR_FAMILIES, FAULTS, type ErrorFamily, type FaultClass } from "./faults.ts";

/**
 * The one error taxonomy (issue #4): every error a probe or the voice app can meet — vendor numeric codes,
 * HTTP statuses, WebSocket handshake and close codes, Realtime error types/codes, transport errors — maps
 * to a fault class, an error family and a recommended action. Table-driven so docs/error-codes.md is
 * generated from the same rows the diagnosis uses. The fleet uses it too (tickets show the action).
 */
export const ERROR_SOURCES = ["vendor", "http", "ws_handshake", "ws_close", "realtime", "transport", "probe"] as const;
export type ErrorSource = (typeof ERROR_SOURCES)[number];

export interface TaxonomyRow {
  readonly source: ErrorSource;
  /** Exact value (a code string, lower-cased for realtime) or an inclusive numeric range. */
  readonly match: string | { readonly from: number; readonly to: number };
  readonly family: ErrorFamily | null;
  readonly fault: FaultClass;
  readonly meaning: string;
  readonly action: string;
}

const FAMILY_FAULT: Record<ErrorFamily, FaultClass> = {
  network: "network", auth: "auth", request: "request", quota: "quota", server: "cloud_outage",
};

const vendorRows: TaxonomyRow[] = ERROR_FAMILIES.map((family) => {
  const f = ERROR_FAMILY_TABLE[family];
  return { source: "vendor", match: { from: f.from, to: f.to }, family, fault: f.fault, meaning: f.meaning, action: f.action };
});

const fam = (family: ErrorFamily) => ({ family, fault: FAMILY_FAULT[family], action: ERROR_FAMILY_TABLE[family].action });
const TLS_ACTION = "check the device clock (NTP) and whether a proxy or captive portal intercepts TLS; try another network";

/** The rows, most specific first within each source (first match wins). */
export const TAXONOMY: readonly TaxonomyRow[] = Object.freeze([
  ...vendorRows,
  { source: "http", match: "401", ...fam("auth"), meaning: "unauthenticated: missing, wrong or expired key" },
  { source: "http", match: "403", ...fam("auth"), meaning: "forbidden: key lacks access to this model or project" },
  { source: "http", match: "402", ...fam("quota"), meaning: "payment required: billing or credit exhausted" },
  { source: "http", match: "408", ...fam("network"), meaning: "request timeout: the body arrived too slowly" },
  { source: "http", match: "429", ...fam("quota"), meaning: "too many requests: rate limit or quota exceeded" },
  { source: "http", match: { from: 400, to: 499 }, ...fam("request"), meaning: "request rejected (400 bad request, 404 not found, 413 too large, 422 invalid)" },
  { source: "http", match: { from: 500, to: 599 }, ...fam("server"), meaning: "server error (500 internal, 502 bad gateway, 503 unavailable, 504 gateway timeout)" },
  { source: "ws_handshake", match: "401", ...fam("auth"), meaning: "WebSocket upgrade refused: unauthenticated" },
  { source: "ws_handshake", match: "403", ...fam("auth"), meaning: "WebSocket upgrade refused: forbidden" },
  { source: "ws_handshake", match: "429", ...fam("quota"), meaning: "WebSocket upgrade refused: too many sessions or requests" },
  { source: "ws_handshake", match: { from: 400, to: 499 }, ...fam("request"), meaning: "WebSocket upgrade refused: bad URL, model or headers" },
  { source: "ws_handshake", match: { from: 500, to: 599 }, ...fam("server"), meaning: "WebSocket upgrade failed on the server side" },
  { source: "ws_close", match: "1001", ...fam("server"), meaning: "going away: the server is shutting down or restarting" },
  { source: "ws_close", match: "1006", ...fam("network"), meaning: "abnormal closure: the connection dropped without a close frame" },
  { source: "ws_close", match: "1008", ...fam("request"), meaning: "policy violation: the server refused a message" },
  { source: "ws_close", match: "1009", ...fam("request"), meaning: "message too big" },
  { source: "ws_close", match: "1011", ...fam("server"), meaning: "internal server error" },
  { source: "ws_close", match: "1012", ...fam("server"), meaning: "service restart" },
  { source: "ws_close", match: "1013", ...fam("server"), meaning: "try again later: the server is overloaded" },
  { source: "ws_close", match: { from: 1002, to: 1007 }, ...fam("request"), meaning: "protocol error or unsupported data" },
  { source: "realtime", match: "invalid_api_key", ...fam("auth"), meaning: "the API key is not valid" },
  { source: "realtime", match: "authentication_error", ...fam("auth"), meaning: "authentication failed" },
  { source: "realtime", match: "session_expired", ...fam("auth"), meaning: "the session or ephemeral token expired" },
  { source: "realtime", match: "rate_limit_exceeded", ...fam("quota"), meaning: "rate limit reached" },
  { source: "realtime", match: "insufficient_quota", ...fam("quota"), meaning: "the account's quota is exhausted" },
  { source: "realtime", match: "server_error", ...fam("server"), meaning: "the service failed to process the request" },
  { source: "realtime", match: "transcription_error", family: "server", fault: "voice_cloud", meaning: "input audio transcription failed", action: "report the speech-side failure to the vendor with the request id" },
  { source: "realtime", match: "invalid_request_error", ...fam("request"), meaning: "malformed event or parameter" },
  { source: "transport", match: "ENOTFOUND", ...fam("network"), meaning: "DNS: the service host name does not resolve" },
  { source: "transport", match: "EAI_AGAIN", ...fam("network"), meaning: "DNS: temporary resolver failure" },
  { source: "transport", match: "ECONNREFUSED", ...fam("network"), meaning: "connection refused: nothing listens or a firewall rejects" },
  { source: "transport", match: "ETIMEDOUT", ...fam("network"), meaning: "connect timed out" },
  { source: "transport", match: "ECONNRESET", ...fam("network"), meaning: "connection reset by peer or middlebox" },
  { source: "transport", match: "EHOSTUNREACH", ...fam("network"), meaning: "no route to the host" },
  { source: "transport", match: "ENETUNREACH", ...fam("network"), meaning: "the network is unreachable" },
  { source: "transport", match: "EPIPE", ...fam("network"), meaning: "connection closed while writing" },
  { source: "transport", match: "CERT_HAS_EXPIRED", family: "network", fault: "network", meaning: "TLS: certificate expired (or the device clock is wrong)", action: TLS_ACTION },
  { source: "transport", match: "CERT_NOT_YET_VALID", family: "network", fault: "network", meaning: "TLS: certificate not yet valid (the device clock is behind)", action: TLS_ACTION },
  { source: "transport", match: "DEPTH_ZERO_SELF_SIGNED_CERT", family: "network", fault: "network", meaning: "TLS: self-signed certificate (interception)", action: TLS_ACTION },
  { source: "transport", match: "SELF_SIGNED_CERT_IN_CHAIN", family: "network", fault: "network", meaning: "TLS: self-signed certificate in chain (interception)", action: TLS_ACTION },
  { source: "transport", match: "UNABLE_TO_VERIFY_LEAF_SIGNATURE", family: "network", fault: "network", meaning: "TLS: certificate chain incomplete or CA store missing", action: TLS_ACTION },
  { source: "transport", match: "ERR_TLS_CERT_ALTNAME_INVALID", family: "network", fault: "network", meaning: "TLS: certificate name does not match the host", action: TLS_ACTION },
  { source: "transport", match: "EPROTO", family: "network", fault: "network", meaning: "TLS handshake failed (protocol error)", action: TLS_ACTION },
  { source: "probe", match: "probe_timeout", family: null, fault: "unknown", meaning: "no answer within the probe timeout; the network evidence decides between network and cloud_outage", action: "see the verdict: the diagnosis weighs network quality and the status page" },
  { source: "probe", match: "transcript_mismatch", family: null, fault: "voice_cloud", meaning: "the cloud heard the known-good utterance wrongly or not at all", action: FAULTS.voice_cloud.actions[0]! },
  { source: "probe", match: "answer_mismatch", family: null, fault: "cloud_content", meaning: "the answer does not match the expected pattern", action: FAULTS.cloud_content.actions[0]! },
  { source: "probe", match: "response_failed", ...fam("server"), meaning: "the response ended with status failed" },
]);

/** What an error means: the matched row, or the fallback `unknown` when nothing matches. */
export interface Classification {
  readonly source: ErrorSource | null;
  readonly family: ErrorFamily | null;
  readonly fault: FaultClass;
  readonly meaning: string;
  readonly action: string;
}

const UNKNOWN: Classification = Object.freeze({ source: null, family: null, fault: "unknown", meaning: "error not in the taxonomy", action: FAULTS.unknown.actions[0]! });

/** Looks a raw code up in one source's rows. */
export function lookupError(source: ErrorSource, code: string | number): Classification {
  const key = String(code).trim();
  const n = Number(key);
  for (const row of TAXONOMY) {
    if (row.source !== source) continue;
    const hit = typeof row.match === "string"
      ? row.match === key || (source === "realtime" && row.match === key.toLowerCase())
      : Number.isInteger(n) && n >= row.match.from && n <= row.match.to;
    if (hit) return { source, family: row.family, fault: row.fault, meaning: row.meaning, action: row.action };
  }
  return UNKNOWN;
}

/** The normalised error a probe reports (shared/schemas/probes.ts ErrorInfo), minimally typed here. */
export interface ErrorLike {
  readonly code: string;
  readonly http_status?: number | null | undefined;
  readonly type?: string | null | undefined;
}

/**
 * Classifies a normalised error. Code conventions (set by the adapters): a five-digit vendor code
 * (`10302`), `http_<status>`, `ws_handshake_<status>`, `ws_close_<code>`, an errno (`ENOTFOUND`) or TLS
 * code, a probe outcome (`probe_timeout`), otherwise a Realtime `code` with its `type` as fallback.
 */
export function classifyError(err: ErrorLike): Classification {
  const code = err.code;
  if (/^1\d{4}$/.test(code)) return lookupError("vendor", Number(code));
  const prefixed = /^(http|ws_handshake|ws_close)_(\d{3,4})$/.exec(code);
  if (prefixed) return lookupError(prefixed[1] as ErrorSource, Number(prefixed[2]));
  const probe = lookupError("probe", code);
  if (probe.source) return probe;
  const transport = lookupError("transport", code);
  if (transport.source) return transport;
  const realtime = lookupError("realtime", code);
  if (realtime.source) return realtime;
  if (err.type) {
    const byType = lookupError("realtime", err.type);
    if (byType.source) return byType;
  }
  if (err.http_status) return lookupError("http", err.http_status);
  return UNKNOWN;
}

const SOURCE_TITLES: Record<ErrorSource, string> = {
  vendor: "Vendor numeric codes",
  http: "HTTP statuses",
  ws_handshake: "WebSocket handshake (upgrade response) statuses",
  ws_close: "WebSocket close codes",
  realtime: "Realtime API error codes and types",
  transport: "Transport errors (errno and TLS)",
  probe: "Probe outcomes",
};

/** The quick-reference table for docs/error-codes.md, generated from TAXONOMY. */
export function renderErrorCodeTable(): string {
  const lines = [
    "# Error codes",
    "",
    "<!-- generated from shared/taxonomy.ts by renderErrorCodeTable(); do not edit by hand -->",
    "",
    "Every error a probe or the voice app reports maps to one fault class and a recommended action.",
    "The adapters normalise codes as: five-digit vendor codes (`10302`), `http_<status>`, `ws_handshake_<status>`,",
    "`ws_close_<code>`, errno/TLS codes (`ENOTFOUND`), probe outcomes (`probe_timeout`), otherwise the Realtime",
    "`error.code` with `error.type` as fallback. The first matching row wins.",
  ];
  for (const source of ERROR_SOURCES) {
    lines.push("", `## ${SOURCE_TITLES[source]}`, "", "| code | family | fault | meaning | recommended action |", "|---|---|---|---|---|");
    for (const row of TAXONOMY.filter((r) => r.source === source)) {
      const match = typeof row.match === "string" ? `\`${row.match}\`` : `${row.match.from}–${row.match.to}`;
      lines.push(`| ${match} | ${row.family ?? "—"} | \`${row.fault}\` | ${row.meaning} | ${row.action} |`);
    }
  }
  return lines.join("\n") + "\n";
}
