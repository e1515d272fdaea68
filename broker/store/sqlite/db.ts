import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { MIGRATIONS } from "./migrations.ts";

/** A store problem a person must act on (locked, corrupt, unwritable); the fleet refuses to start. */
export class StoreOpenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreOpenError";
  }
}

/**
 * Opens the SQLite file in WAL mode and applies pending migrations. A locked or corrupt file is a
 * StoreOpenError with one sentence saying what to do: we never start on a database we cannot trust.
 */
export function openDatabase(path: string): DatabaseSync {
  if (path !== ":memory:") mkdirSync(dirname(path), { recursive: true });
  let db: DatabaseSync | undefined;
  try {
    db = new DatabaseSync(path, { timeout: 2000 });
    const check = db.prepare("PRAGMA quick_check").get() as { quick_check: string } | undefined;
    if (check?.quick_check !== "ok") throw new Error(`integrity check failed: ${check?.quick_check ?? "no answer"}`);
    db.exec("PRAGMA journal_mode = WAL");
    // NORMAL in WAL mode loses at most the last transactions on power loss, never consistency (sqlite.org/wal.html).
    db.exec("PRAGMA synchronous = NORMAL");
    // Checkpoint every ~32 MB of WAL instead of SQLite's 4 MB. Under sustained ingest a commit of one
    // event-loop turn writes ~400 pages, so the default checkpointed every other commit and copied the
    // hot pages (device rows, index tails) again each time: 8,000 pages took ~10 µs of CPU off every
    // report at 150,000 stored reports (issue #9, bench/ingest.ts). The WAL file stays at most ~32 MB.
    db.exec("PRAGMA wal_autocheckpoint = 8000");
    db.exec("PRAGMA foreign_keys = ON");
    migrate(db);
    return db;
  } catch (err) {
    db?.close();
    const msg = (err as Error).message;
    if (/locked|busy/i.test(msg)) {
      throw new StoreOpenError(`the fleet database ${path} is locked by another process; stop the other edge-fleet (or tool) using it and start again`);
    }
    if (/not a database|malformed|integrity|corrupt/i.test(msg)) {
      throw new StoreOpenError(`the fleet database ${path} is corrupt (${msg}); restore it from a backup or move it aside to start with an empty one`);
    }
    throw new StoreOpenError(`the fleet database ${path} cannot be opened (${msg}); check the path and its permissions`);
  }
}

function migrate(db: DatabaseSync): void {
  db.exec("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)");
  const applied = new Set((db.prepare("SELECT version FROM schema_migrations").all() as { version: number }[]).map((r) => r.version));
  for (const m of MIGRATIONS) {
    if (applied.has(m.version)) continue;
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(m.sql);
      db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)").run(m.version, m.name, Date.now());
      db.exec("COMMIT");
    } catch (err) {
      db.exec("ROLLBACK");
      throw err;
    }
  }
}
