import { isConnectionError, StoreUnavailableError } from "./postgres/pool.ts";

/**
 * A message's writes were rolled back because another message in the same transaction failed (SQLite,
 * tick-batch.ts), or a PostgreSQL batch could not be narrowed down to the report that failed it
 * (turn-batch.ts): nothing is known against this one, and its device sends it again.
 */
export class BatchRolledBackError extends Error {
  readonly code = "batch_rolled_back";
  constructor() {
    super("store batch rolled back because a message in it failed; the devices resend");
    this.name = "BatchRolledBackError";
  }
}

// SQLite primary result codes a report's own data causes (sqlite.org/rescode.html): TOOBIG, CONSTRAINT,
// MISMATCH, RANGE. Every other code is the database's (BUSY, READONLY, IOERR, FULL, a missing table...).
const SQLITE_REPORT_CODES = new Set([18, 19, 20, 25]);
// PostgreSQL SQLSTATE classes a report's own data causes: data exception, integrity constraint violation,
// PL/pgSQL raise (a trigger). Every other class is the database's: read-only, authentication, a missing
// database, table or privilege, a lock timeout, resources, shutdown, deadlock (it runs again).
const PG_REPORT_CLASSES = new Set(["22", "23", "P0"]);

/**
 * False only when the error is the report's own: a value the database refuses (a constraint, a trigger,
 * a bad value), or a bug its content reaches (an error without a code, or one of Node's ERR_* argument
 * errors). The ingest counts those, and a report that keeps failing becomes a dead letter
 * (broker/ingest/pipeline.ts). True for everything the database, the system or the store does
 * (unreachable, busy, full, read-only, a system call's errno, an abort, not open, a neighbour's rolled-back
 * batch): the report is refused as it is and sent again, however often, and never counted.
 *
 * A constraint or trigger that refuses every report therefore dead-letters every report: they are kept, and
 * the `dead_lettered` refusals counter (edge_fleet_refusals_total) says so at once.
 */
export function isStoreFailure(err: unknown): boolean {
  if (err instanceof StoreUnavailableError || err instanceof BatchRolledBackError || isConnectionError(err)) return true;
  const e = err as { code?: unknown; errcode?: unknown; message?: unknown } | null;
  if (e?.code === "ERR_SQLITE_ERROR") return !(typeof e.errcode === "number" && SQLITE_REPORT_CODES.has(e.errcode & 0xff));
  const code = typeof e?.code === "string" ? e.code : "";
  if (/^[0-9A-Z]{5}$/.test(code)) return !PG_REPORT_CLASSES.has(code.slice(0, 2));
  // a system call's errno (ENOSPC, EACCES...), an abort (shutdown), node:sqlite's "database is not open" after close
  if (/^E[A-Z0-9]+$/.test(code) || code === "ABORT_ERR" || code === "ERR_INVALID_STATE") return true;
  // ours ("store is not open"): the process is stopping
  return !code && /\bstore is not open\b/.test(String(e?.message ?? ""));
}
