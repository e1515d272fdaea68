import { isConnectionError, StoreUnavailableError } from "./postgres/pool.ts";

/**
 * A message's writes were rolled back because another message in the same SQLite transaction failed
 * (tick-batch.ts): nothing is wrong with this one, and its device sends it again.
 */
export class BatchRolledBackError extends Error {
  readonly code = "batch_rolled_back";
  constructor() {
    super("store batch rolled back because a message in it failed; the devices resend");
    this.name = "BatchRolledBackError";
  }
}

// SQLite primary result codes of the database failing rather than a statement (sqlite.org/rescode.html):
// BUSY, LOCKED, NOMEM, READONLY, INTERRUPT, IOERR, CORRUPT, FULL, CANTOPEN, PROTOCOL
const SQLITE_STORE_CODES = new Set([5, 6, 7, 8, 9, 10, 11, 13, 14, 15]);
// PostgreSQL SQLSTATE classes of the server failing or refusing for now: transaction rollback (deadlock,
// serialization), insufficient resources, operator intervention (shutdown, cancel), system error, internal
const PG_STORE_CLASSES = new Set(["40", "53", "57", "58", "XX"]);

/**
 * True when the store failed (unreachable, busy, full, read-only, an I/O error, or a batch another message
 * rolled back): the message is not at fault and is tried again as it is, however often. False for an
 * error of the message's own processing (a constraint its data breaks, a bug its content reaches): the
 * ingest counts those, and a message that keeps failing becomes a dead letter (broker/ingest/attempts.ts).
 */
export function isStoreFailure(err: unknown): boolean {
  if (err instanceof StoreUnavailableError || err instanceof BatchRolledBackError || isConnectionError(err)) return true;
  const e = err as { code?: unknown; errcode?: unknown } | null;
  if (e?.code === "ERR_SQLITE_ERROR" && typeof e.errcode === "number") return SQLITE_STORE_CODES.has(e.errcode & 0xff);
  // node:sqlite's "database is not open" after close, and ours ("store is not open"): the process is stopping
  if (e?.code === "ERR_INVALID_STATE" || /\bis not open\b/.test(String((err as Error | null)?.message ?? ""))) return true;
  const code = typeof e?.code === "string" ? e.code : "";
  return /^[0-9A-Z]{5}$/.test(code) && PG_STORE_CLASSES.has(code.slice(0, 2));
}
