import { setTimeout as sleep } from "node:timers/promises";
import pg from "pg";
import type { Logger } from "../../log.ts";

export interface PgPoolOptions {
  url: string;
  /** search_path for every connection; absent: whatever the URL's `options` say (default public). */
  schema?: string;
  poolSize: number;
  /** A connection attempt (TCP + startup) that takes longer fails and is retried. */
  connectTimeoutMs: number;
  /** A statement without an answer this long is abandoned and its connection dropped (a black-holed link). */
  queryTimeoutMs: number;
  /** How long one operation waits for an unreachable database, retrying with backoff, before it fails. */
  retryMs: number;
  /** Operations allowed to wait for the database at once; past it they fail at once (bounded memory). */
  maxWaiting: number;
  log?: Logger;
}

/** Thrown when the database cannot be reached within the retry budget; callers treat it as "try later". */
export class StoreUnavailableError extends Error {
  readonly code = "store_unavailable";
  /** The HTTP API answers 503 (broker/http/app.ts uses an error's statusCode): try again later. */
  readonly statusCode = 503;
}

/** A row as pg returns it (int8 already parsed to a number by the pool's type parser). */
export type PgRow = Record<string, unknown>;
export interface PgResult {
  rows: PgRow[];
  rowCount: number;
}

const INT8_OID = 20;
// epoch milliseconds and ids fit in 2^53; pg returns int8 as a string unless told otherwise
const types = {
  getTypeParser: ((oid: number, format?: "text" | "binary") =>
    oid === INT8_OID ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? "text")) as pg.CustomTypesConfig["getTypeParser"],
};

const NET_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);

/** True for a lost or refused connection (retry later), false for an error of the statement itself. */
export function isConnectionError(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : "";
  // SQLSTATE class 08: connection exception; 57P01-03: the server is shutting down or starting
  if (NET_CODES.has(code) || code.startsWith("08") || /^57P0[123]$/.test(code)) return true;
  return /Connection terminated|connection error|Query read timeout|timeout exceeded when trying to connect|not queryable/i.test(String(e?.message ?? ""));
}

/** Credentials in a connection URL are never logged. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:[redacted]@");
}

// reads may be retried after a connection died mid-statement; a write may have committed, so it is not
const READ = /^\s*SELECT\b/i;

/**
 * A `pg` pool that survives the database going away (issue #10). While PostgreSQL is unreachable an
 * operation retries with exponential backoff (100 ms doubling to 2 s) for up to `retryMs`, then fails
 * with StoreUnavailableError; at most `maxWaiting` operations wait at once. The ingest runs before the
 * PUBACK, so a failed write closes the device's connection and the report stays in its spool: nothing is
 * acknowledged that is not stored, and the waiting set is the only buffer. One error is logged when the
 * database is lost and one line when it is back; a dead idle client never reaches the process as an
 * unhandled 'error'.
 */
export class PgPool {
  #o: PgPoolOptions;
  #pool: pg.Pool | null = null;
  #abort = new AbortController();
  #waiting = 0;
  #down: { since: number; failed: number } | null = null;

  constructor(o: PgPoolOptions) {
    this.#o = o;
  }

  /** False from the first lost connection until a statement succeeds again. */
  get available(): boolean {
    return this.#down === null;
  }

  /** Creates the pool (connections are made on demand). */
  start(): void {
    if (this.#pool) return;
    this.#abort = new AbortController();
    const pool = new pg.Pool({
      connectionString: this.#o.url,
      max: this.#o.poolSize,
      types,
      connectionTimeoutMillis: this.#o.connectTimeoutMs,
      query_timeout: this.#o.queryTimeoutMs,
      keepAlive: true,
      ...(this.#o.schema ? { options: `-c search_path=${this.#o.schema}` } : {}),
    });
    // pg emits 'error' on the pool when an idle client loses its connection; unhandled, it would end
    // the process. The client is discarded by the pool; the next query connects afresh.
    pool.on("error", (err) => this.#o.log?.debug({ err: err.message }, "idle PostgreSQL connection lost"));
    this.#pool = pool;
  }

  async end(): Promise<void> {
    this.#abort.abort();
    const p = this.#pool;
    this.#pool = null;
    await p?.end();
  }

  /** One client for a multi-statement transaction (migrations); no retries. */
  async withClient<T>(fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
    const c = await this.#p().connect();
    let broken: Error | undefined;
    const onError = (err: Error) => (broken = err);
    c.on("error", onError);
    try {
      return await fn(c);
    } catch (err) {
      if (isConnectionError(err)) broken = err as Error;
      throw err;
    } finally {
      c.off("error", onError);
      c.release(broken);
    }
  }

  /** Runs one statement, waiting (bounded) for an unreachable database; see the class comment. */
  async query(sql: string, args: unknown[] = []): Promise<PgResult> {
    const pool = this.#p();
    const deadline = Date.now() + this.#o.retryMs;
    let attempt = 0;
    let counted = false;
    try {
      for (;;) {
        let lost: unknown;
        try {
          return await this.#once(pool, sql, args);
        } catch (err) {
          if (!(err instanceof Retry)) throw err;
          lost = err.cause;
        }
        this.#lost(lost);
        if (!counted) {
          if (this.#waiting >= this.#o.maxWaiting) throw this.#unavailable(`${this.#waiting} operations are already waiting for it`);
          this.#waiting++;
          counted = true;
        }
        const delay = Math.min(2000, 100 * 2 ** attempt++);
        if (Date.now() + delay > deadline) throw this.#unavailable(`unreachable for ${this.#o.retryMs} ms: ${(lost as Error)?.message ?? lost}`);
        try {
          await sleep(delay, undefined, { signal: this.#abort.signal });
        } catch {
          throw new StoreUnavailableError("the PostgreSQL store was closed while waiting for the database");
        }
      }
    } finally {
      if (counted) this.#waiting--;
    }
  }

  async #once(pool: pg.Pool, sql: string, args: unknown[]): Promise<PgResult> {
    let c: pg.PoolClient;
    try {
      c = await pool.connect();
    } catch (err) {
      // nothing was sent: always safe to retry, unless the server refused us for good (auth, no such database)
      const code = (err as { code?: unknown }).code;
      if (typeof code === "string" && /^(28|3D)/.test(code)) throw err;
      throw new Retry(err);
    }
    let broken: Error | undefined;
    const onError = (err: Error) => (broken = err);
    c.on("error", onError);
    try {
      const r = await c.query(sql, args);
      this.#back();
      return { rows: r.rows as PgRow[], rowCount: r.rowCount ?? 0 };
    } catch (err) {
      if (!isConnectionError(err)) throw err;
      broken = err as Error;
      // a read may run twice; so may a statement whose socket write failed (an idle pooled connection
      // the server or the network had already closed): it never reached the server
      if (READ.test(sql) || (err as { syscall?: unknown }).syscall === "write") throw new Retry(err);
      this.#lost(err);
      // the statement may or may not have committed: the caller's message is redelivered, and every
      // report write is idempotent by its message id (store.ts), so failing here loses nothing
      throw this.#unavailable(`the connection was lost during a write: ${(err as Error).message}`);
    } finally {
      c.off("error", onError);
      c.release(broken);
    }
  }

  #p(): pg.Pool {
    if (!this.#pool) throw new Error("store is not open");
    return this.#pool;
  }

  #unavailable(why: string): StoreUnavailableError {
    if (this.#down) this.#down.failed++;
    return new StoreUnavailableError(`the PostgreSQL store is unavailable (${why}); the operation was not done, retry later`);
  }

  #lost(err: unknown): void {
    if (this.#down) return;
    this.#down = { since: Date.now(), failed: 0 };
    this.#o.log?.error(
      { url: redactUrl(this.#o.url), err: (err as Error)?.message ?? String(err), retry_ms: this.#o.retryMs },
      "PostgreSQL is unreachable; store operations retry and then fail, so devices keep unacknowledged reports and resend them once it is back",
    );
  }

  #back(): void {
    const d = this.#down;
    if (!d) return;
    this.#down = null;
    this.#o.log?.info({ down_ms: Date.now() - d.since, failed_operations: d.failed }, "PostgreSQL is reachable again");
  }
}

/** Internal marker: the attempt may be repeated (nothing reached the database, or it was a read). */
class Retry extends Error {
  constructor(cause: unknown) {
    super("retry", { cause });
  }
}
