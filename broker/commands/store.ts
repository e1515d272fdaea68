import type { DatabaseSync } from "node:sqlite";
import type { SqlQuery } from "../store/postgres/store.ts";
import { LIMIT } from "../store/sqlite/queries.ts";
import type { CommandRecord, CommandStore } from "./types.ts";

const UNFINISHED = new Set(["queued", "delivered", "progress"]);

/** Command records in memory (tests, and fleets without a database). */
export class MemoryCommandStore implements CommandStore {
  #rows = new Map<string, CommandRecord>();
  async open(): Promise<void> {}
  async insert(r: CommandRecord): Promise<void> {
    this.#rows.set(r.id, structuredClone(r));
  }
  async update(r: CommandRecord): Promise<void> {
    this.#rows.set(r.id, structuredClone(r));
  }
  async get(id: string): Promise<CommandRecord | null> {
    const r = this.#rows.get(id);
    return r ? structuredClone(r) : null;
  }
  async list(f: { deviceId?: string; limit?: number } = {}): Promise<CommandRecord[]> {
    return [...this.#rows.values()]
      .filter((r) => !f.deviceId || r.deviceId === f.deviceId)
      .sort((a, b) => b.createdAt - a.createdAt)
      .slice(0, f.limit ?? 100)
      .map((r) => structuredClone(r));
  }
  async unfinished(): Promise<CommandRecord[]> {
    return [...this.#rows.values()].filter((r) => UNFINISHED.has(r.status)).map((r) => structuredClone(r));
  }
}

/**
 * Command records in the fleet's SQLite database (the store's `db`). The table is this unit's own and is
 * created here, so the store's migrations need not know about commands.
 */
export class SqliteCommandStore implements CommandStore {
  #db: () => DatabaseSync;

  /** `db` is a getter because the fleet store opens its database in start(), after wiring. */
  constructor(db: () => DatabaseSync) {
    this.#db = db;
  }

  async open(): Promise<void> {
    this.#db().exec(`CREATE TABLE IF NOT EXISTS commands (
      id TEXT PRIMARY KEY,
      device_id TEXT NOT NULL,
      status TEXT NOT NULL,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL,
      body TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS commands_device ON commands (device_id, created_at);
    CREATE INDEX IF NOT EXISTS commands_status ON commands (status);`);
  }

  async insert(r: CommandRecord): Promise<void> {
    this.#db()
      .prepare("INSERT INTO commands (id, device_id, status, created_at, updated_at, body) VALUES (?, ?, ?, ?, ?, ?)")
      .run(r.id, r.deviceId, r.status, r.createdAt, r.updatedAt, JSON.stringify(r));
  }

  async update(r: CommandRecord): Promise<void> {
    this.#db().prepare("UPDATE commands SET status = ?, updated_at = ?, body = ? WHERE id = ?").run(r.status, r.updatedAt, JSON.stringify(r), r.id);
  }

  async get(id: string): Promise<CommandRecord | null> {
    const row = this.#db().prepare("SELECT body FROM commands WHERE id = ?").get(id) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as CommandRecord) : null;
  }

  async list(f: { deviceId?: string; limit?: number } = {}): Promise<CommandRecord[]> {
    const limit = Math.min(Math.max(f.limit ?? 100, 1), 1000);
    const rows = (f.deviceId
      ? this.#db().prepare(`SELECT body FROM commands WHERE device_id = ? ORDER BY created_at DESC ${LIMIT}`).all(f.deviceId, limit)
      : this.#db().prepare(`SELECT body FROM commands ORDER BY created_at DESC ${LIMIT}`).all(limit)) as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as CommandRecord);
  }

  async unfinished(): Promise<CommandRecord[]> {
    const rows = this.#db().prepare("SELECT body FROM commands WHERE status IN ('queued', 'delivered', 'progress')").all() as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as CommandRecord);
  }
}

/**
 * Command records in the PostgreSQL store's `commands` table (created by its migrations): every replica
 * sees every command, so a device's answer arriving at one replica completes a command sent by another.
 */
export class PostgresCommandStore implements CommandStore {
  #db: SqlQuery;

  constructor(db: SqlQuery) {
    this.#db = db;
  }

  async open(): Promise<void> {}

  async insert(r: CommandRecord): Promise<void> {
    await this.#db.query("INSERT INTO commands (id, device_id, status, created_at, updated_at, body) VALUES ($1, $2, $3, $4, $5, $6::jsonb)", [
      r.id, r.deviceId, r.status, r.createdAt, r.updatedAt, JSON.stringify(r),
    ]);
  }

  async update(r: CommandRecord): Promise<void> {
    await this.#db.query("UPDATE commands SET status = $1, updated_at = $2, body = $3::jsonb WHERE id = $4", [r.status, r.updatedAt, JSON.stringify(r), r.id]);
  }

  async get(id: string): Promise<CommandRecord | null> {
    const [row] = (await this.#db.query("SELECT body FROM commands WHERE id = $1", [id])).rows;
    return row ? (row.body as CommandRecord) : null;
  }

  async list(f: { deviceId?: string; limit?: number } = {}): Promise<CommandRecord[]> {
    const limit = Math.min(Math.max(f.limit ?? 100, 1), 1000);
    const { rows } = f.deviceId
      ? await this.#db.query("SELECT body FROM commands WHERE device_id = $1 ORDER BY created_at DESC LIMIT $2", [f.deviceId, limit])
      : await this.#db.query("SELECT body FROM commands ORDER BY created_at DESC LIMIT $1", [limit]);
    return rows.map((r) => r.body as CommandRecord);
  }

  async unfinished(): Promise<CommandRecord[]> {
    const { rows } = await this.#db.query("SELECT body FROM commands WHERE status IN ('queued', 'delivered', 'progress')");
    return rows.map((r) => r.body as CommandRecord);
  }
}

/** The command store for a fleet store: its SQLite file, its PostgreSQL schema, or memory for anything else. */
export function commandStoreFor(store: object): CommandStore {
  if ("db" in store) return new SqliteCommandStore(() => (store as { db: DatabaseSync }).db);
  const s = store as Partial<SqlQuery> & { driver?: unknown };
  if (s.driver === "postgres" && typeof s.query === "function") return new PostgresCommandStore(s as SqlQuery);
  return new MemoryCommandStore();
}
