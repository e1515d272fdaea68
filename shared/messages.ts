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

/** JSON.parse reviver: U+0000 in strings and keys becomes U+FFFD (keys rebuilt with data properties, so `__proto__` stays a key). */
function withoutNul(_key: string, value: unknown): unknown {
  if (typeof value === "string") return value.includes("\0") ? value.replaceAll("\0", "\uFFFD") : value;
  if (value === null || typeof value !== "object" || Array.isArray(value) || !Object.keys(value).some((k) => k.includes("\0"))) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.replaceAll("\0", "\uFFFD"), v]));
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
    // U+0000 is valid JSON but PostgreSQL text and jsonb cannot hold it: a report carrying one would fail
    // to store on every redelivery and block its device's spool. Replaced (keys too) by U+FFFD.
    json = text.includes("\\u0000") ? JSON.parse(text, withoutNul) : JSON.parse(text);
  } catch (err) {
    return { ok: false, reason: "invalid_json", detail: `payload is not JSON: ${(err as Error).message}`, deviceId: t.deviceId };
  }
  const parsed = MESSAGE_SCHEMAS[t.kind].safeParse(json);
  if (!parsed.success) {
    return { ok: false, reason: "invalid_schema", detail: formatIssues(parsed.error).slice(0, 5).join("; "), deviceId: t.deviceId };
  }
  const message = parsed.data as { device_id: string };
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
