import { z } from "zod";
import { DeviceId, EpochMs, MessageId } from "../ids.ts";
import { SCHEMA_VERSION } from "../version.ts";

/**
 * How one probe or sampler ended. A failed probe is data, not an exception (the telegraf model):
 * `absent` = the thing does not exist here, `unavailable` = exists but we may not read it.
 */
export const ProbeResult = z.enum(["ok", "timeout", "refused", "absent", "unavailable", "error", "skipped"]);
export type ProbeResult = z.infer<typeof ProbeResult>;

/** Fields every message carries (issue #2): schema version, device id, timestamp, message id. */
export const envelope = {
  v: z.literal(SCHEMA_VERSION),
  device_id: DeviceId,
  ts: EpochMs,
  msg_id: MessageId,
};

/** A finite measurement; NaN and ±Infinity are refused by zod numbers. */
export const Num = z.number();
export const NullableNum = z.number().nullable();
/** Free text from a device, bounded so that one message cannot carry a novel. */
export const Text = (max = 500) => z.string().max(max);
