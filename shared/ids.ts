import { z } from "zod";

/**
 * Device ids appear inside MQTT topics and file names, so they exclude the MQTT wildcards `+` and
 * `#`, the level separator `/`, `$` (reserved topics, MQTT 3.1.1 §4.7.2) and whitespace.
 */
export const DEVICE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/;

/** Schema for a device id. */
export const DeviceId = z
  .string()
  .regex(DEVICE_ID_PATTERN, "must be 1-64 characters of letters, digits, '_', '.', ':' or '-', starting with a letter or digit");

/** Message ids let the fleet drop QoS 1 redeliveries; any unique token of 8-64 safe characters works. */
export const MessageId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/, "must be 8-64 characters of letters, digits, '_' or '-'");

/** Milliseconds since the Unix epoch; bounded so a garbage number cannot become a date. */
export const EpochMs = z
  .number()
  .int()
  .min(946_684_800_000, "must be a time after 2000-01-01 in epoch milliseconds")
  .max(4_102_444_800_000, "must be a time before 2100-01-01 in epoch milliseconds");

/** A short label value (region, model, firmware...). */
export const Label = z.string().min(1).max(64);

/** True for an id newMessageId() makes (UUID v7, no dashes): those compare in time order as strings. */
export function isTimeOrderedId(id: string): boolean {
  return /^[0-9a-f]{12}7[0-9a-f]{3}[89ab][0-9a-f]{15}$/.test(id);
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
const rand = new Uint8Array(10);

/**
 * A new unique message id: a UUID v7 without dashes (32 hex characters, valid for MessageId) — 48 bits
 * of milliseconds, then 74 random bits. Time-ordered ids land at the end of the fleet's dedup index
 * instead of at a random page of it (issue #9: a random id dirtied one 4 KB page per report); uniqueness
 * is the random part's, as with v4. The fleet accepts any MessageId, so older devices' v4 ids still work.
 */
export function newMessageId(now = Date.now()): string {
  globalThis.crypto.getRandomValues(rand);
  const ms = now.toString(16).padStart(12, "0").slice(-12);
  // version 7 in the 13th hex digit, RFC 9562 variant (10xx) in the 17th
  return ms + "7" + HEX[rand[0]!]!.slice(1) + HEX[rand[1]!]! + HEX[(rand[2]! & 0x3f) | 0x80]! + HEX[rand[3]!]! + rand.subarray(4).reduce((s, b) => s + HEX[b]!, "");
}
