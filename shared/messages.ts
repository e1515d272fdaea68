import type { z } from "zod";
import { BundleChunk, CommandProgress, CommandRequest, CommandResponse } from "./schemas/commands.ts";
import { DiagnosisMessage } from "./schemas/diagnosis.ts";
import { StateMessage } from "./schemas/state.ts";
import { TelemetryMessage } from "./schemas/telemetry.ts";
import { parseTopic, type TopicKind } from "./topics.ts";
import { formatIssues } from "./validation.ts";

/** Topic kind → payload schema: the one typed map of the MQTT API. */
export const MESSAGE_SCHEMAS = {
  state: StateMessage,
  telemetry: TelemetryMessage,
  diagnosis: DiagnosisMessage,
  command: CommandRequest,
  progress: CommandProgress,
  response: CommandResponse,
  bundle: BundleChunk,
} as const satisfies Record<TopicKind, z.ZodType>;

export type MessageOf<K extends TopicKind> = z.infer<(typeof MESSAGE_SCHEMAS)[K]>;

/** Why a message was refused; each is a metric label, so the set is closed. */
export const REFUSAL_REASONS = [
  "topic_outside_namespace",
  "oversized",
  "invalid_utf8",
  "invalid_json",
  "invalid_schema",
  "device_mismatch",
  "duplicate",
  "not_authorized",
  "rate_limited",
  "topic_too_deep",
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export type Decoded =
  | { [K in TopicKind]: { ok: true; kind: K; deviceId: string; message: MessageOf<K> } }[TopicKind]
  | { ok: false; reason: RefusalReason; detail: string; deviceId?: string };

/** Default ceiling for one payload; a diagnosis with full evidence is ~10 KB, bundle chunks ≤ 90 KB. */
export const DEFAULT_MAX_PAYLOAD_BYTES = 128 * 1024;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * JSON escapes that give a string PostgreSQL cannot store (text and jsonb refuse U+0000, jsonb a lone
 * surrogate, which a device makes by cutting text between the halves of an emoji): such a report would
 * fail on every redelivery and block its device's spool. Only payloads matching this are repaired.
 */
const UNSTORABLE_ESCAPE = /\\u(?:0000|d[89a-f][0-9a-f]{2})/i;

/** Replaces U+0000 and lone surrogates with U+FFFD in every string of a validated message, in place. */
function repairStrings(value: unknown): unknown {
  if (typeof value === "string") return value.includes("\0") || !value.isWellFormed() ? value.replaceAll("\0", "\uFFFD").toWellFormed() : value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = repairStrings(value[i]);
  } else if (value !== null && typeof value === "object") {
    // the schemas' record keys are patterns of ASCII letters, digits and '_': only values need repair
    const o = value as Record<string, unknown>;
    for (const k of Object.keys(o)) o[k] = repairStrings(o[k]);
  }
  return value;
}

/**
 * Decodes one MQTT message of the namespace: topic, size, UTF-8, JSON, schema, and that the device id in
 * the payload is the one in the topic. Never throws; a refusal carries a reason and a readable detail.
 */
export function decodeMessage(topic: string, payload: Uint8Array, maxBytes = DEFAULT_MAX_PAYLOAD_BYTES): Decoded {
  const t = parseTopic(topic);
  if (!t.ok) return { ok: false, reason: "topic_outside_namespace", detail: t.reason };
  if (payload.byteLength > maxBytes) {
    return { ok: false, reason: "oversized", detail: `payload of ${payload.byteLength} bytes exceeds ${maxBytes}`, deviceId: t.deviceId };
  }
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return { ok: false, reason: "invalid_utf8", detail: "payload is not valid UTF-8", deviceId: t.deviceId };
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: "invalid_json", detail: `payload is not JSON: ${(err as Error).message}`, deviceId: t.deviceId };
  }
  const parsed = MESSAGE_SCHEMAS[t.kind].safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: "invalid_schema", detail: formatIssues(parsed.error).slice(0, 5).join("; "), deviceId: t.deviceId };
  }
  // after validation, so a payload that fails the schema costs nothing more (a walk of a 128 KB array of
  // escapes would be a device's way to burn the fleet's CPU)
  const message = (text.includes("\\u") && UNSTORABLE_ESCAPE.test(text) ? repairStrings(parsed.data) : parsed.data) as { device_id: string };
  if (message.device_id !== t.deviceId) {
    return { ok: false, reason: "device_mismatch", detail: `payload device_id '${message.device_id}' differs from the topic's '${t.deviceId}'`, deviceId: t.deviceId };
  }
  return { ok: true, kind: t.kind, deviceId: t.deviceId, message } as Decoded;
}

/** Serialises a message after validating it: a device never sends what the fleet would refuse. */
export function encodeMessage<K extends TopicKind>(kind: K, message: MessageOf<K>): Buffer {
  const parsed = MESSAGE_SCHEMAS[kind].safeParse(message);
  if (!parsed.success) throw new Error(`refusing to send an invalid ${kind} message: ${formatIssues(parsed.error).join("; ")}`);
  return Buffer.from(JSON.stringify(parsed.data));
}
