import type { CommandName } from "../../shared/index.ts";

/** Where a command is: queued (sent to the broker) → delivered (the device acked it) → progress → ok/error/expired. */
export type CommandStatus = "queued" | "delivered" | "progress" | "ok" | "error" | "expired";

/** A verified, decompressed support bundle. */
export interface BundleResult {
  sha256: string;
  bytes: number;
  content: unknown;
}

/** One command the fleet sent, and what came of it. */
export interface CommandRecord {
  id: string;
  deviceId: string;
  name: CommandName;
  args: Record<string, unknown>;
  issuer: string;
  createdAt: number;
  expiresAt: number;
  updatedAt: number;
  status: CommandStatus;
  progress: { step: string; done: number; total: number; detail: string } | null;
  /** The response's data (status ok). */
  data: unknown;
  /** The response's error, or the fleet's own (publish failed, never answered). */
  error: { code: string; message: string } | null;
  bundle: BundleResult | null;
}

/** Where command records live; async so a PostgreSQL store fits the same shape. */
export interface CommandStore {
  open(): Promise<void>;
  insert(r: CommandRecord): Promise<void>;
  update(r: CommandRecord): Promise<void>;
  get(id: string): Promise<CommandRecord | null>;
  list(filter?: { deviceId?: string; limit?: number }): Promise<CommandRecord[]>;
  /** Records not yet final (queued, delivered, progress). */
  unfinished(): Promise<CommandRecord[]>;
}

export const FINAL_STATUSES: readonly CommandStatus[] = ["ok", "error", "expired"];
