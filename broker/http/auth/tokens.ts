import { createHash, randomBytes } from "node:crypto";
import type { DatabaseSync } from "node:sqlite";
import type { SqlQuery } from "../../store/postgres/store.ts";
import type { Role } from "./roles.ts";

/** An API token as listed: never its secret, never its hash. */
export interface ApiToken {
  id: string;
  name: string;
  role: Role;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

/** Where API tokens live: in the fleet's own store (its SQLite file, or its PostgreSQL schema). */
export interface TokenStore {
  /** Creates a token and returns its secret once; only its hash is kept. */
  create(o: { name: string; role: Role; now?: number }): Promise<{ token: ApiToken; secret: string }>;
  /** The token a secret belongs to, or null when unknown or revoked. */
  verify(secret: string, now?: number): Promise<ApiToken | null>;
  /** Registers a secret chosen by the operator (bootstrap admin token from the environment). */
  ensure(secret: string, role: Role, name: string, now?: number): Promise<ApiToken>;
  list(): Promise<ApiToken[]>;
  revoke(id: string, now?: number): Promise<boolean>;
}

const PREFIX = "eft_";

/** A new token secret: 256 random bits, base64url, with a prefix that secret scanners can match. */
export function generateToken(): string {
  return PREFIX + randomBytes(32).toString("base64url");
}

/**
 * sha256, not scrypt: a token is 256 random bits, so no amount of hashing speed makes guessing it
 * feasible; a slow KDF only protects low-entropy passwords. A fast, unsalted hash also lets the
 * store find a token by an indexed lookup on every request instead of scanning and re-deriving.
 */
export function hashToken(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

// last_used_at is informative; writing it on every request would turn reads into writes
const TOUCH_EVERY_MS = 60_000;

type Row = { id: string; name: string; role: Role; created_at: number; last_used_at: number | null; revoked_at: number | null };
const toToken = (r: Row): ApiToken => ({ id: r.id, name: r.name, role: r.role, createdAt: r.created_at, lastUsedAt: r.last_used_at, revokedAt: r.revoked_at });

/**
 * Tokens in their own table of the fleet's SQLite file (the store lets units keep their own tables);
 * created on first use, so the constructor does no I/O and the store's migration list stays the
 * registry's and tickets'.
 */
export class SqliteTokenStore implements TokenStore {
  #db: () => DatabaseSync;
  #ready = false;

  constructor(db: () => DatabaseSync) {
    this.#db = db;
  }

  #conn(): DatabaseSync {
    const db = this.#db();
    if (!this.#ready) {
      db.exec(`CREATE TABLE IF NOT EXISTS api_tokens (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE,
        created_at INTEGER NOT NULL, last_used_at INTEGER, revoked_at INTEGER)`);
      this.#ready = true;
    }
    return db;
  }

  async create(o: { name: string; role: Role; now?: number }) {
    const secret = generateToken();
    return { token: this.#insert(secret, o.role, o.name, o.now ?? Date.now()), secret };
  }

  #insert(secret: string, role: Role, name: string, now: number): ApiToken {
    const id = "tok_" + randomBytes(6).toString("hex");
    this.#conn().prepare("INSERT INTO api_tokens (id, name, role, hash, created_at) VALUES (?, ?, ?, ?, ?)").run(id, name, role, hashToken(secret), now);
    return { id, name, role, createdAt: now, lastUsedAt: null, revokedAt: null };
  }

  async verify(secret: string, now = Date.now()): Promise<ApiToken | null> {
    const db = this.#conn();
    const row = db.prepare("SELECT * FROM api_tokens WHERE hash = ?").get(hashToken(secret)) as Row | undefined;
    if (!row || row.revoked_at !== null) return null;
    if (row.last_used_at === null || now - row.last_used_at > TOUCH_EVERY_MS) {
      db.prepare("UPDATE api_tokens SET last_used_at = ? WHERE id = ?").run(now, row.id);
      row.last_used_at = now;
    }
    return toToken(row);
  }

  async ensure(secret: string, role: Role, name: string, now = Date.now()): Promise<ApiToken> {
    const db = this.#conn();
    const row = db.prepare("SELECT * FROM api_tokens WHERE hash = ?").get(hashToken(secret)) as Row | undefined;
    if (row) {
      if (row.role !== role || row.revoked_at !== null) db.prepare("UPDATE api_tokens SET role = ?, revoked_at = NULL WHERE id = ?").run(role, row.id);
      return toToken({ ...row, role, revoked_at: null });
    }
    return this.#insert(secret, role, name, now);
  }

  async list(): Promise<ApiToken[]> {
    return (this.#conn().prepare("SELECT * FROM api_tokens ORDER BY created_at").all() as Row[]).map(toToken);
  }

  async revoke(id: string, now = Date.now()): Promise<boolean> {
    return Number(this.#conn().prepare("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL").run(now, id).changes) > 0;
  }
}

/**
 * Tokens in the PostgreSQL store's `api_tokens` table (created by its migrations), so every replica of
 * a fleet accepts the same tokens.
 */
export class PostgresTokenStore implements TokenStore {
  #db: SqlQuery;

  constructor(db: SqlQuery) {
    this.#db = db;
  }

  async create(o: { name: string; role: Role; now?: number }) {
    const secret = generateToken();
    return { token: await this.#insert(secret, o.role, o.name, o.now ?? Date.now()), secret };
  }

  async #insert(secret: string, role: Role, name: string, now: number): Promise<ApiToken> {
    const id = "tok_" + randomBytes(6).toString("hex");
    await this.#db.query("INSERT INTO api_tokens (id, name, role, hash, created_at) VALUES ($1, $2, $3, $4, $5)", [id, name, role, hashToken(secret), now]);
    return { id, name, role, createdAt: now, lastUsedAt: null, revokedAt: null };
  }

  async #byHash(secret: string): Promise<Row | undefined> {
    return (await this.#db.query("SELECT * FROM api_tokens WHERE hash = $1", [hashToken(secret)])).rows[0] as Row | undefined;
  }

  async verify(secret: string, now = Date.now()): Promise<ApiToken | null> {
    const row = await this.#byHash(secret);
    if (!row || row.revoked_at !== null) return null;
    if (row.last_used_at === null || now - row.last_used_at > TOUCH_EVERY_MS) {
      await this.#db.query("UPDATE api_tokens SET last_used_at = $1 WHERE id = $2", [now, row.id]);
      row.last_used_at = now;
    }
    return toToken(row);
  }

  async ensure(secret: string, role: Role, name: string, now = Date.now()): Promise<ApiToken> {
    const row = await this.#byHash(secret);
    if (row) {
      if (row.role !== role || row.revoked_at !== null) await this.#db.query("UPDATE api_tokens SET role = $1, revoked_at = NULL WHERE id = $2", [role, row.id]);
      return toToken({ ...row, role, revoked_at: null });
    }
    // two replicas bootstrapping the same admin secret at once: the unique hash keeps one row
    try {
      return await this.#insert(secret, role, name, now);
    } catch (err) {
      const again = (err as { code?: unknown }).code === "23505" ? await this.#byHash(secret) : undefined;
      if (!again) throw err;
      return toToken(again);
    }
  }

  async list(): Promise<ApiToken[]> {
    return ((await this.#db.query("SELECT * FROM api_tokens ORDER BY created_at")).rows as Row[]).map(toToken);
  }

  async revoke(id: string, now = Date.now()): Promise<boolean> {
    return (await this.#db.query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL", [now, id])).rowCount > 0;
  }
}

/** The token store for a fleet store: its SQLite file, or its PostgreSQL schema. */
export function tokenStoreFor(store: object): TokenStore {
  if ("db" in store) return new SqliteTokenStore(() => (store as { db: DatabaseSync }).db);
  const s = store as Partial<SqlQuery> & { driver?: unknown };
  if (s.driver === "postgres" && typeof s.query === "function") return new PostgresTokenStore(s as SqlQuery);
  throw new Error("API tokens need the fleet's sqlite or postgres store; this store keeps no tables of its own");
}
