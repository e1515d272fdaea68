/**
 * What the HTTP layer needs from the units it exposes, as narrow interfaces: the ticket engine
 * (issue #6), silences, and the command service (issue #5). fleet.ts passes the real units; a route
 * whose unit is absent answers 503 `unavailable` instead of failing.
 */
import type { SilenceRecord, TicketRecord } from "../store/types.ts";

/** A ticket as the API shows it: the store's record plus the engine's fields when it has them. */
export type ApiTicket = TicketRecord & { sla?: unknown };

export interface TicketActions {
  get(id: number): Promise<ApiTicket | null>;
  acknowledge(id: number, actor: string): Promise<ApiTicket | null>;
  resolve(id: number, actor: string, note: string | null): Promise<ApiTicket | null>;
  assign(id: number, actor: string, assignee: string | null): Promise<ApiTicket | null>;
  comment(id: number, actor: string, text: string): Promise<ApiTicket | null>;
}

/** A silence as the API shows it: the stored record without its internal expiry mark. */
export type ApiSilence = Omit<SilenceRecord, "expiredAt">;

/** Silences (broker/silences/service.ts); `create` throws an error named SilenceError for a bad request. */
export interface SilenceActions {
  list(): Promise<ApiSilence[]>;
  create(o: { matchers: Record<string, string>; startsAt: number; endsAt: number; comment: string; createdBy: string }): Promise<ApiSilence>;
  remove(id: string, actor: string): Promise<boolean>;
}

/** An incident (many devices, one fault) as the API shows it. */
export interface ApiIncident {
  id: number;
  status: string;
  severity: string;
  title: string;
}

/** The incident side of the ticket engine (broker/tickets/actions.ts). */
export interface IncidentActions {
  listIncidents(f?: { statuses?: ("open" | "acknowledged" | "resolved" | "closed")[]; limit?: number }): Promise<ApiIncident[]>;
  getIncident(id: number): Promise<{ incident: ApiIncident; tickets: unknown[]; audit: unknown[] } | null>;
  acknowledgeIncident(id: number, actor: string): Promise<ApiIncident | null>;
  resolveIncident(id: number, actor: string, note: string | null): Promise<ApiIncident | null>;
  assignIncident(id: number, actor: string, assignee: string | null): Promise<ApiIncident | null>;
  commentIncident(id: number, actor: string, text: string): Promise<ApiIncident | null>;
}

/** What the routes read of a remote command's record (broker/commands/types.ts CommandRecord, which is sent whole). */
export interface ApiCommand {
  id: string;
  deviceId: string;
  name: string;
  status: string;
  args?: Record<string, unknown>;
  issuer?: string;
  /** A finished bundle command's verified, decompressed bundle. */
  bundle?: { sha256: string; bytes: number; content?: unknown } | null;
}

/** What a replay did: processed (or already stored), or why not; the dead letter as it was. */
export type ReplayResult =
  | { ok: true; outcome: string; deadLetter: { id?: number; at: number; target: string; attempts: number; error: string; body: unknown } }
  | { ok: false; reason: "not_a_report" | "stale" | "busy" | "failed" | "unavailable"; message: string };

/** Dead letters (broker/ingest/replay.ts): a device report that kept failing, processed again once its cause is fixed. */
export interface DeadLetterActions {
  replay(id: number, actor: string): Promise<ReplayResult | null>;
  /** Discards one (audited): "gone" when there is none, "busy" while a replay or another discard holds it. */
  discard(id: number, actor: string): Promise<"discarded" | "gone" | "busy">;
}

export interface CommandActions {
  send(o: { deviceId: string; name: string; args: Record<string, unknown>; issuer: string; ttlS: number }): Promise<ApiCommand> | ApiCommand;
  get(id: string): Promise<ApiCommand | null> | ApiCommand | null;
  /** Every change of a command's record, when the service emits them (CommandService is an EventEmitter). */
  on?(event: "update", fn: (c: ApiCommand) => void): unknown;
  off?(event: "update", fn: (c: ApiCommand) => void): unknown;
}
