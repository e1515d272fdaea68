import { AsyncLocalStorage } from "node:async_hooks";
import { BatchRolledBackError } from "./failures.ts";
import type { SqliteStore } from "./sqlite/store.ts";
import type { FleetStore } from "./types.ts";

// methods that only read: they neither open the batch transaction nor wait for its commit
const READ_ONLY = /^(get|list|find|count|history$|diagnoses$|seenMark$)/;
const PASS_THROUGH = new Set(["open", "close", "driver", "db", "constructor"]);

/**
 * Writes made inside `oneTransaction(fn)` do not wait for their own commit: the whole of `fn` (it awaits
 * only the store, i.e. microtasks) lands in one batch, and `oneTransaction` waits for that commit. The
 * ingest uses it so a message's dedup mark commits together with its effects (issue #10: a fleet
 * killed between two commits had marked a report "seen" without storing it, and the redelivery was then
 * dropped as a duplicate). A module-level constant, not state: each run carries its own record.
 */
interface Batch {
  promise: Promise<void>;
  /** A message in this batch failed halfway: the whole batch rolls back rather than commit half a message. */
  poisoned: boolean;
  /** Rolled back (poisoned, or its COMMIT failed): a message that wrote in it writes nothing more. */
  rolledBack: boolean;
}
const scope = new AsyncLocalStorage<{ batches: Set<Batch> }>();

/**
 * Runs `fn` with its store writes grouped into one transaction; resolves after that commit. When `fn`
 * fails after some writes (its dedup mark, say), the batch holding them is rolled back and every
 * message in it is refused: its device keeps the report and resends it, instead of the half-stored
 * message being acknowledged later as a duplicate.
 */
export async function oneTransaction<T>(fn: () => Promise<T>): Promise<T> {
  const s: { batches: Set<Batch> } = { batches: new Set() };
  let result: T;
  try {
    result = await scope.run(s, fn);
  } catch (err) {
    for (const b of s.batches) b.poisoned = true;
    // answered once the batch is rolled back, as a success is once it commits: a redelivery that comes
    // straight back must not find this attempt's uncommitted dedup mark and pass for a duplicate
    await Promise.allSettled([...s.batches].map((b) => b.promise));
    throw err;
  }
  // Every batch it wrote in must commit, not only the last: a message whose ticket work waited for the
  // engine spans turns, and an earlier batch rolled back (another message failed in it) refuses it too.
  if (s.batches.size === 1) {
    // the usual case, on the ingest's hot path: one batch, awaited as it is
    for (const b of s.batches) await b.promise;
    return result;
  }
  const failed = (await Promise.allSettled([...s.batches].map((b) => b.promise))).find((r) => r.status === "rejected");
  if (failed) throw failed.reason;
  return result;
}

/**
 * Groups every store write made during one event-loop turn into one SQLite transaction, committed on
 * `setImmediate`; each write's promise resolves only after that commit, so a PUBACK still follows
 * durable storage. Measured on the ingest benchmark (issue #9): one autocommit per statement costs
 * ~300 µs per telemetry report (three statements, each its own WAL commit), one commit per turn
 * ~75 µs. Reads are served at once from the same connection.
 */
export function batchPerTick(store: SqliteStore): FleetStore {
  let current: Batch | null = null;
  // transactions committed and writes they held (bench/ingest.ts reports the mean batch)
  const stats = { commits: 0, writes: 0 };

  const begin = (): Batch | null => {
    stats.writes++;
    if (current) return current;
    const db = store.db;
    // a transaction someone else opened on this connection (migrations, a unit's own): join it as is
    if (db.isTransaction) return null;
    db.exec("BEGIN");
    stats.commits++;
    const batch: Batch = { promise: Promise.resolve(), poisoned: false, rolledBack: false };
    batch.promise = new Promise<void>((resolve, reject) =>
      setImmediate(() => {
        current = null;
        try {
          if (batch.poisoned) {
            batch.rolledBack = true;
            db.exec("ROLLBACK");
            return reject(new BatchRolledBackError());
          }
          db.exec("COMMIT");
          resolve();
        } catch (err) {
          batch.rolledBack = true;
          try {
            db.exec("ROLLBACK");
          } catch {
            /* already rolled back by SQLite */
          }
          reject(err as Error);
        }
      }),
    );
    // a batch whose only writers failed has nobody awaiting it: its rejection must not become unhandled
    batch.promise.catch(() => undefined);
    current = batch;
    return batch;
  };

  // one wrapper per method, made on first use: the ingest calls several per message
  const wrapped = new Map<string, unknown>();
  const wrap = (target: SqliteStore, prop: string, value: unknown): unknown => {
    if (typeof value !== "function") return value;
    const fn = value as (...a: unknown[]) => Promise<unknown>;
    if (PASS_THROUGH.has(prop) || READ_ONLY.test(prop)) return fn.bind(target);
    return async (...args: unknown[]) => {
      const inScope = scope.getStore();
      // a message whose earlier turn was rolled back (another message failed in it) is refused whole:
      // writing its later steps would commit them without the first (a ticket without its diagnosis)
      if (inScope) for (const b of inScope.batches) if (b.rolledBack) throw new BatchRolledBackError();
      const batch = begin();
      if (inScope && batch) inScope.batches.add(batch);
      const result = await fn.apply(target, args);
      // inside oneTransaction, it waits for the commit of every batch the message wrote in
      if (!inScope && batch) await batch.promise;
      return result;
    };
  };

  return new Proxy(store, {
    get(target, prop) {
      if (prop === "batchStats") return stats;
      // the target as receiver: getters such as SqliteStore.db read private fields, which a Proxy receiver lacks
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      if (typeof prop !== "string") return (value as (...a: unknown[]) => unknown).bind(target);
      let w = wrapped.get(prop);
      if (w === undefined) wrapped.set(prop, (w = wrap(target, prop, value)));
      return w;
    },
  }) as unknown as FleetStore;
}

/** Transactions committed by a `batchPerTick` store and the writes they held; null for any other store. */
export function batchStats(store: FleetStore): { commits: number; writes: number } | null {
  return ((store as unknown as { batchStats?: { commits: number; writes: number } }).batchStats) ?? null;
}
