import { z } from "zod";
import { Label, MessageId } from "../ids.ts";
import { envelope, Text } from "./common.ts";

/** Label keys are lower-case identifiers: this also keeps `__proto__` out of any record we build. */
export const LabelKey = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, "label keys must be lower-case identifiers");

export const Labels = z
  .record(LabelKey, Label)
  .refine((o) => Object.keys(o).length <= 16, "at most 16 labels");

/** Retained device state; the same shape, with status offline, is the device's Last Will. */
export const StateMessage = z.object({
  ...envelope,
  status: z.enum(["online", "offline"]),
  reason: z.enum(["startup", "shutdown", "will", "reload"]),
  agent_version: Text(32),
  firmware_version: Text(64).nullable(),
  model: Text(64).nullable(),
  region: Text(64).nullable(),
  app_id: Text(128).nullable(),
  labels: Labels,
  keepalive_s: z.number().int().min(5).max(3600),
  /**
   * On an online state: the msg_id of the Last Will registered for this connection (a time-ordered id
   * from newMessageId). A will older than it, published late (a dead cluster broker's, or after a
   * takeover), is then ignored instead of marking a connected device offline. Absent from older agents.
   */
  will_msg_id: MessageId.optional(),
});
export type StateMessage = z.infer<typeof StateMessage>;
