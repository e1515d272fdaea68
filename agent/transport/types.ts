import type { MessageOf, TopicKind } from "../../shared/index.ts";

export type DeviceKind = Exclude<TopicKind, "command">;

/** How the agent reaches the fleet; the runtime depends on this, not on MQTT.js. */
export interface Transport {
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Queues a report; resolves once it is durably queued (spooled), not once it is delivered. */
  send<K extends DeviceKind>(kind: K, message: MessageOf<K>): Promise<void>;
  /** Raw command payloads addressed to this device; the command unit validates them. */
  onCommand(handler: (payload: Buffer) => void): void;
  readonly connected: boolean;
  /** Spool figures for telemetry. */
  spoolStatus(): { depth: number; dropped_total: number; mode: "disk" | "memory"; condition: string | null };
  /** Bytes published today (bandwidth budget). */
  bytesSentToday(): number;
}
