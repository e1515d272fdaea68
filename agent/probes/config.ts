import { z } from "zod";

const Url = z.string().regex(/^https?:\/\/[^\s]+$/, "must be an http:// or https:// URL");
const WsUrl = z.string().regex(/^wss?:\/\/[^\s]+$/, "must be a ws:// or wss:// URL such as wss://api.openai.com/v1/realtime");

/** Templates for the plain HTTP adapter: `{{question}}`, `{{model}}`, `{{api_key}}`, `{{audio_base64}}`, `{{sample_rate_hz}}` (JSON-escaped in bodies). */
export const HttpAdapterConfigSchema = z.object({
  text_url: Url.default("http://127.0.0.1:8787/v1/chat"),
  audio_url: Url.nullable().default("http://127.0.0.1:8787/v1/voice"),
  method: z.enum(["POST", "PUT"]).default("POST"),
  headers: z.record(z.string(), z.string()).default({ authorization: "Bearer {{api_key}}", "content-type": "application/json" }),
  text_body: z.string().default('{"model":{{model}},"input":{{question}},"stream":true}'),
  audio_body: z.string().default('{"model":{{model}},"audio_base64":{{audio_base64}},"sample_rate_hz":{{sample_rate_hz}},"format":"pcm16","stream":true}'),
  /** Sample rate the vendor wants; the canned utterance is resampled to it and sent as PCM16 mono. */
  audio_sample_rate_hz: z.number().int().min(8000).max(48000).default(16000),
  /** Dotted paths into the JSON response (or each JSON SSE event); a plain-text body is the answer itself. */
  answer_path: z.string().default("answer"),
  transcript_path: z.string().default("transcript"),
  error_code_path: z.string().default("error.code"),
  error_message_path: z.string().default("error.message"),
  request_id_header: z.string().default("x-request-id"),
});
export type HttpAdapterConfig = z.infer<typeof HttpAdapterConfigSchema>;

export const RealtimeAdapterConfigSchema = z.object({
  url: WsUrl.default("ws://127.0.0.1:8787/v1/realtime"),
  /** `ga` sends GA session shapes; `beta` adds `OpenAI-Beta: realtime=v1` and beta shapes. Both event names are accepted. */
  api_version: z.enum(["ga", "beta"]).default("ga"),
  /** Input transcription model; null turns transcription off (the voice check then relies on the answer). */
  transcription_model: z.string().nullable().default("gpt-4o-mini-transcribe"),
  /** `audio` measures time to first audio; `text` is cheaper. */
  voice_output: z.enum(["audio", "text"]).default("audio"),
});
export type RealtimeAdapterConfig = z.infer<typeof RealtimeAdapterConfigSchema>;

export const PassiveConfigSchema = z.object({
  enabled: z.boolean().default(true),
  /** Loopback HTTP port (0 = any free port) or, when socket_path is set, a UNIX socket instead. */
  host: z.enum(["127.0.0.1", "::1"]).default("127.0.0.1"),
  port: z.number().int().min(0).max(65535).default(7823),
  socket_path: z.string().nullable().default(null),
  error_burst_count: z.number().int().min(1).default(3),
  error_burst_window_s: z.number().positive().default(60),
  latency_breach_ms: z.number().positive().default(3000),
  /** How many breaching interactions in the window count as a breach (one slow answer is not a fault). */
  latency_breach_count: z.number().int().min(1).default(3),
  /** At most one passive-triggered diagnosis per this many seconds: probes cost the owner money. */
  min_interval_s: z.number().nonnegative().default(300),
});
export type PassiveConfig = z.infer<typeof PassiveConfigSchema>;

/**
 * The `cloud` section of the agent config: which conversational-AI service to probe, how, how often and
 * within which budget. Defaults target the reference simulator on loopback (`node sim/cloud/main.ts --port 8787`).
 */
export const ProbesConfigSchema = z
  .object({
    adapter: z.enum(["realtime", "http"]).default("realtime"),
    realtime: RealtimeAdapterConfigSchema.default(RealtimeAdapterConfigSchema.parse({})),
    http: HttpAdapterConfigSchema.default(HttpAdapterConfigSchema.parse({})),
    /** Statuspage v2 base URL (serves /api/v2/status.json); null skips the status page check. */
    status_page_url: Url.nullable().default("http://127.0.0.1:8787"),
    /** Only these components count (empty = all). */
    status_components: z.array(z.string()).default([]),
    api_key: z.string().min(1).optional(),
    /** A file holding the key (preferred: keeps it out of the config). */
    api_key_file: z.string().min(1).optional(),
    model: z.string().min(1).default("gpt-realtime"),
    question: z.string().min(1).max(500).default("what is the weather today"),
    expected_answer_pattern: z
      .string()
      .default("weather|forecast|temperature|sunny|rain|degrees")
      .refine((p) => { try { new RegExp(p, "i"); return true; } catch { return false; } }, "must be a valid regular expression"),
    /** Override for the canned utterance (a WAV) and its expected words; default: the asset shipped with the agent. */
    utterance_wav: z.string().nullable().default(null),
    expected_words: z.array(z.string().min(1)).nullable().default(null),
    latency_budget_first_ms: z.number().positive().default(1500),
    latency_budget_total_ms: z.number().positive().default(6000),
    connect_timeout_ms: z.number().int().positive().default(5000),
    probe_timeout_ms: z.number().int().positive().default(10000),
    status_timeout_ms: z.number().int().positive().default(5000),
    /** Scheduled probes: every this many seconds (default 15 min); 0 disables the schedule. */
    interval_s: z.number().nonnegative().default(900),
    max_probes_per_day: z.number().int().nonnegative().default(200),
    max_bytes_per_day: z.number().int().nonnegative().default(50_000_000),
    passive: PassiveConfigSchema.default(PassiveConfigSchema.parse({})),
  })
  .refine((c) => !(c.api_key && c.api_key_file), { message: "set api_key or api_key_file, not both", path: ["api_key_file"] });
export type ProbesConfig = z.infer<typeof ProbesConfigSchema>;
