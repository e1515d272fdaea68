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

/** A new unique message id (UUID v4 without dashes: 32 characters, valid for MessageId). */
export function newMessageId(): string {
  return globalThis.crypto.randomUUID().replaceAll("-", "");
}
