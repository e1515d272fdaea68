import type { DiagnosisMessage, StateMessage, TelemetryMessage } from "../../../shared/index.ts";
import type { Logger } from "../../log.ts";
import type {
  AuditEntry,
  DeadLetter,
  DeviceCredential,
  DeviceFilter,
  DeviceRecord,
  DiagnosisRecord,
  FleetStore,
  SeenMark,
  HistoryPoint,
  IncidentFilter,
  IncidentMembers,
  IncidentRecord,
  SilenceRecord,
  TicketFilter,
  TicketRecord,
} from "../types.ts";
import { INCIDENT_DEVICE_SAMPLE } from "../types.ts";
import { incidentBody, membersOf } from "../membership.ts";
import { PG_MIGRATIONS } from "./migrations.ts";
import { PgPool, redactUrl, type PgResult } from "./pool.ts";
import { writeTelemetry } from "./telemetry-batch.ts";
import { TurnBatch } from "./turn-batch.ts";
import { isStoreFailure } from "../failures.ts";
import { ticketState, toCredential, toDevice, toTicket, willIds, type Row } from "../rows.ts";

export { StoreUnavailableError } from "./pool.ts";

export interface PostgresStoreOptions {
  /** `postgres://user@host:5432/db`; credentials in the URL are never logged. */
  url: string;
  /** Schema holding the tables (created if missing); one per fleet, or one per test run. Absent: the URL's search_path. */
  schema?: string;
  poolSize?: number;
  /** How long one operation waits for an unreachable database before failing (pool.ts). */
  retryMs?: number;
  /** Operations allowed to wait for the database at once. */
  maxWaiting?: number;
  connectTimeoutMs?: number;
  queryTimeoutMs?: number;
  log?: Logger;
}

/** One statement through the store's pool and its retries: for units keeping their own tables (API tokens, commands). */
export interface SqlQuery {
  query(sql: string, args?: unknown[]): Promise<PgResult>;
}

const j = (v: unknown): string => JSON.stringify(v);
/**
 * A dead letter's mark: finished (a redelivery is a duplicate), at the letter's time (a replay forgets that one).
 * It takes over an unfinished mark a failed delivery left, never a finished one: another delivery stored the
 * report whole, and a replay must find it stored.
 */
const FINISHED = "ON CONFLICT (msg_id) DO UPDATE SET received_at = excluded.received_at, unfinished = false WHERE seen_messages.unfinished";
const toDeadLetter = (r: Row): DeadLetter => ({ id: Number(r.id), at: Number(r.at), target: r.target as string, attempts: Number(r.attempts), error: r.error as string, body: r.body });

/**
 * The store for several fleet replicas (external broker mode): PostgreSQL through a `pg` pool. Every
 * write that two replicas may race on is made idempotent by a unique constraint and ON CONFLICT,
 * never by a read followed by a write.
 *
 * Message ids (QoS 1 redelivery): `markSeen` only reads; the id is recorded by the report's own write
 * (applyTelemetry, applyDiagnosis) in the same statement, and that write does nothing when the id is
 * already there. A fleet that loses the database between the two can therefore never have marked a
 * report "seen" without storing it (issue #10). A diagnosis's id is recorded unfinished, and finished once its
 * ticket's statements are done: a replica killed or a database lost in between leaves it for the redelivery
 * to finish, on whichever replica that reaches. The other device kinds (command progress, responses,
 * bundle chunks) are not recorded: their consumer (broker/commands) is idempotent.
 */
export class PostgresStore implements FleetStore, SqlQuery {
  readonly driver = "postgres" as const;
  #o: PostgresStoreOptions;
  #pool: PgPool | null = null;
  // one turn's reports in one statement (turn-batch.ts); the history limit is the fleet's own, one per statement
  readonly #telemetry = new TurnBatch<{ t: TelemetryMessage; at: number; limit: number }, void>(async (items) => {
    const writes = [...Map.groupBy(items, (i) => i.limit)].map(([limit, group]) => writeTelemetry((sql, args) => this.#db.query(sql, args), group, limit));
    // every statement settles before the batch answers (drain() waits for the batch, not its parts)
    const failed = (await Promise.allSettled(writes)).find((r) => r.status === "rejected");
    if (failed) throw failed.reason;
    // a report PostgreSQL refuses (a constraint, a trigger) fails alone; an unreachable database fails them all
  }, 500, (err) => !isStoreFailure(err));
  readonly #seen = new TurnBatch<string, SeenMark>(async (ids) => {
    const known = new Map((await this.#rows("SELECT msg_id, unfinished FROM seen_messages WHERE msg_id = ANY($1::text[])", [ids])).map((r) => [r.msg_id as string, r.unfinished === true]));
    return ids.map((id): SeenMark => (!known.has(id) ? "new" : known.get(id) ? "unfinished" : "stored"));
  });
  readonly #finished = new TurnBatch<string, void>(async (ids) => {
    await this.#db.query("UPDATE seen_messages SET unfinished = false WHERE msg_id = ANY($1::text[])", [ids]);
  });

  constructor(o: PostgresStoreOptions) {
    if (o.schema !== undefined && !/^[a-z_][a-z0-9_]{0,62}$/.test(o.schema)) throw new Error(`schema '${o.schema}' must be a lower-case identifier`);
    this.#o = o;
  }

  get #db(): PgPool {
    if (!this.#pool) throw new Error("store is not open");
    return this.#pool;
  }

  /** False while the database is unreachable (from the first lost connection to the next success). */
  get available(): boolean {
    return this.#pool?.available ?? false;
  }

  /** Runs one statement in the store's schema, with the store's bounded retries. */
  query(sql: string, args: unknown[] = []): Promise<PgResult> {
    return this.#db.query(sql, args);
  }

  async #rows(sql: string, args: unknown[] = []): Promise<Row[]> {
    return (await this.#db.query(sql, args)).rows as Row[];
  }

  async #count(sql: string, args: unknown[] = []): Promise<number> {
    return (await this.#db.query(sql, args)).rowCount;
  }

  async open(): Promise<void> {
    const o = this.#o;
    const schema = o.schema;
    const pool = new PgPool({
      url: o.url,
      ...(schema ? { schema } : {}),
      poolSize: o.poolSize ?? 10,
      retryMs: o.retryMs ?? 5000,
      maxWaiting: o.maxWaiting ?? 1000,
      connectTimeoutMs: o.connectTimeoutMs ?? 5000,
      queryTimeoutMs: o.queryTimeoutMs ?? 15_000,
      ...(o.log ? { log: o.log } : {}),
    });
    pool.start();
    try {
      await pool.withClient(async (c) => {
        try {
          // replicas starting together: one migrates, the others wait on the lock (transaction-scoped)
          await c.query("BEGIN");
          await c.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`edge-fleet-migrate:${schema ?? "(url)"}`]);
          if (schema) await c.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
          await c.query("CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)");
          const applied = new Set((await c.query("SELECT version FROM schema_migrations")).rows.map((r: Row) => Number(r.version)));
          for (const m of PG_MIGRATIONS) {
            if (applied.has(m.version)) continue;
            await c.query(m.sql);
            await c.query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)", [m.version, m.name, Date.now()]);
          }
          await c.query("COMMIT");
        } catch (err) {
          await c.query("ROLLBACK").catch(() => undefined);
          throw err;
        }
      });
    } catch (err) {
      await pool.end();
      throw new Error(`the PostgreSQL store at ${redactUrl(o.url)} cannot be opened (${(err as Error).message}); check store.url and that the database accepts connections`, { cause: err });
    }
    this.#pool = pool;
  }

  async close(): Promise<void> {
    // the reports of the last turn are written before the pool goes (with the database down, that waits
    // out store.retry_ms, then they fail and their devices resend)
    await this.#seen.drain();
    await this.#telemetry.drain();
    await this.#finished.drain();
    const p = this.#pool;
    this.#pool = null;
    await p?.end();
  }

  /** Drops the schema and everything in it (tests; an operator's reset). */
  async dropSchema(): Promise<void> {
    if (!this.#o.schema) throw new Error("dropSchema needs the store's schema option; it never drops a schema it did not name");
    await this.#db.query(`DROP SCHEMA IF EXISTS ${this.#o.schema} CASCADE`);
  }

  async addCredential(c: DeviceCredential): Promise<void> {
    await this.#db.query(
      `INSERT INTO devices (id, secret_hash, credential_status, created_at, labels) VALUES ($1, $2, $3, $4, $5::jsonb)
       ON CONFLICT (id) DO UPDATE SET secret_hash = excluded.secret_hash, credential_status = excluded.credential_status, labels = excluded.labels`,
      [c.id, c.secretHash, c.status, c.createdAt, j(c.labels)],
    );
  }

  async getCredential(id: string): Promise<DeviceCredential | null> {
    const [r] = await this.#rows("SELECT id, secret_hash, credential_status, created_at, labels FROM devices WHERE id = $1 AND credential_status <> 'none'", [id]);
    return r ? toCredential(r) : null;
  }

  async setCredentialStatus(id: string, status: DeviceCredential["status"]): Promise<boolean> {
    return (await this.#count("UPDATE devices SET credential_status = $1 WHERE id = $2 AND credential_status <> 'none'", [status, id])) > 0;
  }

  async replaceSecret(id: string, secretHash: string): Promise<boolean> {
    return (await this.#count("UPDATE devices SET secret_hash = $1, credential_status = 'active' WHERE id = $2 AND credential_status <> 'none'", [secretHash, id])) > 0;
  }

  async listCredentials(f: { status?: DeviceCredential["status"] } = {}): Promise<DeviceCredential[]> {
    const rows = await this.#rows("SELECT id, secret_hash, credential_status, created_at, labels FROM devices WHERE credential_status <> 'none' AND ($1::text IS NULL OR credential_status = $1) ORDER BY id", [f.status ?? null]);
    return rows.map(toCredential);
  }

  /** What an earlier delivery of this id left; the id itself is recorded by the report's own write (class comment). */
  markSeen(msgId: string, _deviceId?: string, _receivedAt?: number, _unfinished?: boolean): Promise<SeenMark> {
    // one turn's checks in one statement, as the reports' writes (turn-batch.ts)
    return this.#seen.add(msgId);
  }

  seenMark(msgId: string): Promise<SeenMark> {
    return this.#seen.add(msgId);
  }

  finishSeen(msgId: string): Promise<void> {
    // one turn's diagnoses in one statement
    return this.#finished.add(msgId);
  }

  async forgetSeen(msgId: string, receivedAt?: number): Promise<void> {
    await this.#db.query("DELETE FROM seen_messages WHERE msg_id = $1 AND ($2::bigint IS NULL OR received_at = $2)", [msgId, receivedAt ?? null]);
  }

  async applyState(s: StateMessage, at: number): Promise<boolean> {
    const online = s.status === "online";
    const { will, current } = willIds(s);
    const r = await this.#db.query(
      `INSERT INTO devices (id, created_at, online, online_since, last_seen, agent_version, firmware_version, model, region, app_id, labels, will_msg_id)
       VALUES ($1, $2, $3, CASE WHEN $3 THEN $2::bigint END, $2, $4, $5, $6, $7, $8, $9::jsonb, CASE WHEN $3 THEN $10::text END)
       ON CONFLICT (id) DO UPDATE SET online = excluded.online,
         online_since = CASE WHEN excluded.online THEN coalesce(CASE WHEN devices.online THEN devices.online_since END, excluded.last_seen) END,
         last_seen = excluded.last_seen, agent_version = excluded.agent_version, firmware_version = excluded.firmware_version,
         model = excluded.model, region = excluded.region, app_id = excluded.app_id, labels = excluded.labels,
         will_msg_id = CASE WHEN excluded.online THEN excluded.will_msg_id ELSE devices.will_msg_id END
       WHERE $11::text IS NULL OR devices.will_msg_id IS NULL OR $11::text COLLATE "C" >= devices.will_msg_id COLLATE "C"`,
      [s.device_id, at, online, s.agent_version, s.firmware_version, s.model, s.region, s.app_id, j(s.labels), current, will],
    );
    return (r.rowCount ?? 0) > 0;
  }

  applyTelemetry(t: TelemetryMessage, at: number, historyLimit: number): Promise<void> {
    // the reports of one turn in one statement and one commit (telemetry-batch.ts): the message id, the
    // history point, the device and a trim due, all of it only for an id not recorded before
    return this.#telemetry.add({ t, at, limit: historyLimit });
  }

  async applyDiagnosis(d: DiagnosisMessage, at: number): Promise<void> {
    // as applyTelemetry: the message id, the diagnosis and the device's fault commit together, once; the id
    // unfinished until the ticket's statements are done (finishSeen)
    await this.#db.query(
      `WITH s AS (INSERT INTO seen_messages (msg_id, device_id, received_at, unfinished) VALUES ($9::text, $2::text, $8::bigint, true) ON CONFLICT DO NOTHING RETURNING 1),
       x AS (INSERT INTO diagnoses (id, device_id, ts, fault, summary, command_id, body)
         SELECT $1::text, $2::text, $3::bigint, $4::text, $5::text, $6::text, $7::jsonb WHERE EXISTS (SELECT 1 FROM s) ON CONFLICT DO NOTHING)
       INSERT INTO devices (id, created_at, fault, fault_summary, last_diagnosis_at, last_seen)
       SELECT $2::text, $8::bigint, $4::text, $5::text, $3::bigint, $8::bigint WHERE EXISTS (SELECT 1 FROM s)
       ON CONFLICT (id) DO UPDATE SET fault = excluded.fault, fault_summary = excluded.fault_summary, last_diagnosis_at = excluded.last_diagnosis_at, last_seen = excluded.last_seen`,
      [d.diagnosis_id, d.device_id, d.ts, d.verdict.fault, d.verdict.summary, d.command_id, j(d), at, d.msg_id],
    );
  }

  async getDevice(id: string): Promise<DeviceRecord | null> {
    const [r] = await this.#rows("SELECT * FROM devices WHERE id = $1", [id]);
    return r ? toDevice(r) : null;
  }

  async listDevices(f: DeviceFilter = {}): Promise<DeviceRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown) => `$${args.push(v)}`;
    if (f.online !== undefined) where.push(`online = ${arg(f.online)}`);
    if (f.fault) where.push(`fault = ${arg(f.fault)}`);
    if (f.search) {
      const p = arg(`%${f.search.replace(/[\\%_]/g, "\\$&")}%`);
      where.push(`(id ILIKE ${p} OR model ILIKE ${p} OR region ILIKE ${p})`);
    }
    if (f.label) where.push(`labels ->> ${arg(f.label.key)} = ${arg(f.label.value)}`);
    const sql = `SELECT * FROM devices ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id LIMIT ${arg(f.limit ?? 1000)} OFFSET ${arg(f.offset ?? 0)}`;
    return (await this.#rows(sql, args)).map(toDevice);
  }

  async countDevices(f: { online?: boolean } = {}): Promise<number> {
    // online: a counter kept by a trigger (migration 3); the blast radius asks for it on every diagnosis
    const [r] = f.online === undefined
      ? await this.#rows("SELECT count(*) AS n FROM devices")
      : f.online
        ? await this.#rows("SELECT n FROM fleet_counts WHERE name = 'online'")
        : await this.#rows("SELECT count(*) AS n FROM devices WHERE NOT online");
    return Number(r?.n ?? 0);
  }

  async history(id: string, since: number, limit: number): Promise<HistoryPoint[]> {
    // the newest `history_limit` points only: applyTelemetry trims the rest in chunks, a little later
    const rows = await this.#rows(
      `SELECT ts, body FROM telemetry_history WHERE device_id = $1 AND ts >= $2 ORDER BY ts DESC
       LIMIT least($3::integer, coalesce((SELECT history_limit FROM devices WHERE id = $1), $3::integer))`,
      [id, since, limit],
    );
    return rows.reverse().map((r) => ({ ts: Number(r.ts), telemetry: r.body as TelemetryMessage }));
  }

  async diagnoses(id: string, limit: number): Promise<DiagnosisRecord[]> {
    const rows = await this.#rows("SELECT * FROM diagnoses WHERE device_id = $1 ORDER BY ts DESC LIMIT $2", [id, limit]);
    return rows.map((r) => ({ id: r.id as string, deviceId: r.device_id as string, ts: Number(r.ts), fault: r.fault as DiagnosisRecord["fault"], summary: r.summary as string, commandId: (r.command_id as string | null) ?? null, message: r.body as DiagnosisMessage }));
  }

  async findOpenTicket(fingerprint: string, deviceId: string): Promise<TicketRecord | null> {
    const [r] = await this.#rows("SELECT * FROM tickets WHERE fingerprint = $1 AND device_id = $2 AND status IN ('pending', 'open', 'acknowledged')", [fingerprint, deviceId]);
    return r ? toTicket(r) : null;
  }

  async findLatestTicket(fingerprint: string, deviceId: string): Promise<TicketRecord | null> {
    const [r] = await this.#rows("SELECT * FROM tickets WHERE fingerprint = $1 AND device_id = $2 ORDER BY id DESC LIMIT 1", [fingerprint, deviceId]);
    return r ? toTicket(r) : null;
  }

  /**
   * Inserts a live ticket. When another replica opened the same device's ticket for this fingerprint a
   * moment earlier, the unique index turns this insert into one more occurrence on that ticket, unless
   * that replica counted this very diagnosis (a redelivery it was still working on): counted once.
   */
  async insertTicket(t: Omit<TicketRecord, "id">): Promise<TicketRecord> {
    const live = t.status === "pending" || t.status === "open" || t.status === "acknowledged";
    const [r] = await this.#rows(
      `INSERT INTO tickets (fingerprint, device_id, fault, family, status, severity, title, opened_at, updated_at, last_seen, occurrences, evidence, incident_id, resolved_at, closed_at, state,
         suppressed_by, flapping, healthy_since)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12::jsonb, $13, $14, $15, $16::jsonb, $17, $18, $19)
       ${live ? `ON CONFLICT (fingerprint, device_id) WHERE status IN ('pending', 'open', 'acknowledged')
         DO UPDATE SET occurrences = tickets.occurrences + CASE WHEN tickets.evidence->>'diagnosis_id' = excluded.evidence->>'diagnosis_id' THEN 0 ELSE 1 END, last_seen = excluded.last_seen, updated_at = excluded.updated_at, evidence = excluded.evidence` : ""}
       RETURNING *`,
      [t.fingerprint, t.deviceId, t.fault, t.family, t.status, t.severity, t.title, t.openedAt, t.updatedAt, t.lastSeen, t.occurrences, j(t.evidence), t.incidentId ?? null, t.resolvedAt ?? null, t.closedAt ?? null, j(ticketState(t)),
        t.suppressedBy ?? null, t.flapping ?? false, t.healthySince ?? null],
    );
    return toTicket(r!);
  }

  async updateTicket(t: TicketRecord): Promise<void> {
    // the membership trigger (migration 3) keeps the incident's counts in step with these columns
    await this.#db.query(
      `UPDATE tickets SET status = $1, severity = $2, title = $3, opened_at = $4, updated_at = $5, last_seen = $6, occurrences = $7, evidence = $8::jsonb,
         incident_id = $9, resolved_at = $10, closed_at = $11, state = $12::jsonb, suppressed_by = $14, flapping = $15, healthy_since = $16 WHERE id = $13`,
      [t.status, t.severity, t.title, t.openedAt, t.updatedAt, t.lastSeen, t.occurrences, j(t.evidence), t.incidentId, t.resolvedAt, t.closedAt, j(ticketState(t)), t.id,
        t.suppressedBy ?? null, t.flapping ?? false, t.healthySince ?? null],
    );
  }

  async deleteTicket(id: number): Promise<void> {
    await this.#db.query("DELETE FROM tickets WHERE id = $1", [id]);
  }

  async getTicket(id: number): Promise<TicketRecord | null> {
    const [r] = await this.#rows("SELECT * FROM tickets WHERE id = $1", [id]);
    return r ? toTicket(r) : null;
  }

  async listTickets(f: TicketFilter = {}): Promise<TicketRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown) => `$${args.push(v)}`;
    const statuses = f.statuses ?? (f.status ? [f.status] : []);
    if (statuses.length) where.push(`status = ANY(${arg(statuses)}::text[])`);
    if (f.fault) where.push(`fault = ${arg(f.fault)}`);
    if (f.incidentId === null) where.push("incident_id IS NULL");
    else if (f.incidentId !== undefined) where.push(`incident_id = ${arg(f.incidentId)}`);
    if (f.deviceId) where.push(`device_id = ${arg(f.deviceId)}`);
    if (f.openedBefore !== undefined) where.push(`opened_at <= ${arg(f.openedBefore)}`);
    if (f.healthySince) {
      where.push(`healthy_since <= ${arg(f.healthySince.before)}`);
      if (f.healthySince.after !== undefined) where.push(`healthy_since > ${arg(f.healthySince.after)}`);
    }
    if (f.flapping !== undefined) where.push(f.flapping ? "flapping" : "NOT flapping");
    if (f.resolvedWithin) {
      where.push(`resolved_at <= ${arg(f.resolvedWithin.before)}`);
      if (f.resolvedWithin.after !== undefined) where.push(`resolved_at > ${arg(f.resolvedWithin.after)}`);
    }
    const sql = `SELECT * FROM tickets ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ${arg(f.limit ?? 500)}`;
    return (await this.#rows(sql, args)).map(toTicket);
  }

  /** Inserts a live incident; a concurrent replica's live incident with the same key is returned instead. */
  async insertIncident(i: Omit<IncidentRecord, "id">): Promise<IncidentRecord> {
    // the id first, so the row is complete (body included) the moment another replica can see it
    const [seq] = await this.#rows("SELECT nextval(pg_get_serial_sequence('incidents', 'id')) AS id");
    const rec = incidentBody({ ...i, id: Number(seq!.id) } as IncidentRecord);
    const [r] = await this.#rows(
      `INSERT INTO incidents (id, key, status, severity, opened_at, updated_at, resolved_at, closed_at, body) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
       ON CONFLICT (key) WHERE status IN ('open', 'acknowledged') DO UPDATE SET updated_at = incidents.updated_at
       RETURNING body`,
      [rec.id, i.key, i.status, i.severity, i.openedAt, i.updatedAt, i.resolvedAt, i.closedAt, j(rec)],
    );
    return this.#withMembers(r!.body as IncidentRecord);
  }

  /** A stored body plus what the store derives from the member tickets: counts and the first device ids. */
  async #withMembers(body: IncidentRecord): Promise<IncidentRecord> {
    const [m, deviceIds] = await Promise.all([this.countIncidentMembers(body.id), this.listIncidentDevices(body.id, { limit: INCIDENT_DEVICE_SAMPLE })]);
    return { ...body, deviceIds, deviceCount: m.devices, activeDevices: m.activeDevices };
  }

  async countIncidentMembers(id: number): Promise<IncidentMembers> {
    const [r] = await this.#rows("SELECT live, active, active_devices, flapping, devices FROM incident_counts WHERE incident_id = $1", [id]);
    return membersOf(r);
  }

  async listIncidentDevices(id: number, page: { limit?: number; offset?: number } = {}): Promise<string[]> {
    const rows = await this.#rows("SELECT device_id FROM incident_devices WHERE incident_id = $1 ORDER BY device_id LIMIT $2 OFFSET $3", [id, page.limit ?? 100_000, page.offset ?? 0]);
    return rows.map((r) => r.device_id as string);
  }

  async setMemberSeverity(incidentId: number, severity: TicketRecord["severity"]): Promise<void> {
    await this.#db.query("UPDATE tickets SET severity = $1 WHERE incident_id = $2 AND status IN ('pending', 'open', 'acknowledged') AND severity <> $1", [severity, incidentId]);
  }

  async updateIncident(i: IncidentRecord): Promise<void> {
    await this.#db.query("UPDATE incidents SET key = $1, status = $2, severity = $3, opened_at = $4, updated_at = $5, resolved_at = $6, closed_at = $7, body = $8::jsonb WHERE id = $9", [
      i.key, i.status, i.severity, i.openedAt, i.updatedAt, i.resolvedAt, i.closedAt, j(incidentBody(i)), i.id,
    ]);
  }

  async getIncident(id: number): Promise<IncidentRecord | null> {
    const [r] = await this.#rows("SELECT body FROM incidents WHERE id = $1", [id]);
    return r ? this.#withMembers(r.body as IncidentRecord) : null;
  }

  async listIncidents(f: IncidentFilter = {}): Promise<IncidentRecord[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const arg = (v: unknown) => `$${args.push(v)}`;
    if (f.statuses?.length) where.push(`status = ANY(${arg(f.statuses)}::text[])`);
    if (f.key !== undefined) where.push(`key = ${arg(f.key)}`);
    const sql = `SELECT body FROM incidents ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT ${arg(f.limit ?? 500)}`;
    return Promise.all((await this.#rows(sql, args)).map((r) => this.#withMembers(r.body as IncidentRecord)));
  }

  async putSilence(x: SilenceRecord): Promise<void> {
    await this.#db.query(
      `INSERT INTO silences (id, starts_at, ends_at, created_at, body) VALUES ($1, $2, $3, $4, $5::jsonb)
       ON CONFLICT (id) DO UPDATE SET starts_at = excluded.starts_at, ends_at = excluded.ends_at, body = excluded.body`,
      [x.id, x.startsAt, x.endsAt, x.createdAt, j(x)],
    );
  }

  async getSilence(id: string): Promise<SilenceRecord | null> {
    const [r] = await this.#rows("SELECT body FROM silences WHERE id = $1", [id]);
    return r ? (r.body as SilenceRecord) : null;
  }

  async listSilences(): Promise<SilenceRecord[]> {
    return (await this.#rows("SELECT body FROM silences ORDER BY starts_at DESC")).map((r) => r.body as SilenceRecord);
  }

  async addAudit(e: AuditEntry): Promise<void> {
    await this.#db.query("INSERT INTO audit (at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5::jsonb)", [e.at, e.actor, e.action, e.subject, j(e.detail)]);
  }

  async listAudit(subject?: string, limit = 500): Promise<AuditEntry[]> {
    const rows = subject === undefined
      ? await this.#rows("SELECT * FROM audit ORDER BY id DESC LIMIT $1", [limit])
      : await this.#rows("SELECT * FROM audit WHERE subject = $1 ORDER BY id DESC LIMIT $2", [subject, limit]);
    return rows.map((r) => ({ id: Number(r.id), at: Number(r.at), actor: r.actor as string, action: r.action as string, subject: r.subject as string, detail: (r.detail as Record<string, unknown>) ?? {} }));
  }

  async addDeadLetter(d: DeadLetter, seen?: { msgId: string; deviceId: string }): Promise<void> {
    const args = [d.at, d.target, d.attempts, d.error, j(d.body ?? null)];
    if (!seen) return void (await this.#db.query("INSERT INTO dead_letters (at, target, attempts, error, body) VALUES ($1, $2, $3, $4, $5::jsonb)", args));
    // one statement, so the dead letter and its message id are recorded together or not at all
    await this.#db.query(
      `WITH s AS (INSERT INTO seen_messages (msg_id, device_id, received_at) VALUES ($6, $7, $1) ${FINISHED})
       INSERT INTO dead_letters (at, target, attempts, error, body) VALUES ($1, $2, $3, $4, $5::jsonb)`,
      [...args, seen.msgId, seen.deviceId],
    );
  }

  async listDeadLetters(limit = 500): Promise<DeadLetter[]> {
    return (await this.#rows("SELECT * FROM dead_letters ORDER BY id DESC LIMIT $1", [limit])).map(toDeadLetter);
  }

  async getDeadLetter(id: number): Promise<DeadLetter | null> {
    const [r] = await this.#rows("SELECT * FROM dead_letters WHERE id = $1", [id]);
    return r ? toDeadLetter(r) : null;
  }

  async claimDeadLetter(id: number, now: number, until: number): Promise<boolean> {
    return (await this.#count("UPDATE dead_letters SET claimed_until = $1 WHERE id = $2 AND (claimed_until IS NULL OR claimed_until < $3)", [until, id, now])) > 0;
  }

  async releaseDeadLetter(id: number, claimedUntil: number, error: string, seen: { msgId: string; deviceId: string; at: number }): Promise<void> {
    // one statement: the letter released and its id recorded together; a holder whose claim lapsed records nothing
    await this.#db.query(
      `WITH u AS (UPDATE dead_letters SET claimed_until = NULL, error = $2 WHERE id = $1 AND claimed_until = $6 RETURNING id)
       INSERT INTO seen_messages (msg_id, device_id, received_at) SELECT $3, $4, $5 WHERE EXISTS (SELECT 1 FROM u) ${FINISHED}`,
      [id, error, seen.msgId, seen.deviceId, seen.at, claimedUntil],
    );
  }

  async deleteDeadLetter(id: number, claimedUntil?: number): Promise<boolean> {
    return (await this.#count("DELETE FROM dead_letters WHERE id = $1 AND ($2::bigint IS NULL OR claimed_until = $2)", [id, claimedUntil ?? null])) > 0;
  }

  async purge(c: { closedBefore: number; historyBefore: number; seenBefore: number; deadLettersBefore: number }): Promise<{ tickets: number; incidents: number; history: number; seen: number; deadLetters: number }> {
    return {
      tickets: await this.#count("DELETE FROM tickets WHERE status = 'closed' AND coalesce(closed_at, updated_at) < $1", [c.closedBefore]),
      incidents: await this.#count("DELETE FROM incidents WHERE status = 'closed' AND coalesce(closed_at, updated_at) < $1", [c.closedBefore]),
      history: await this.#count("DELETE FROM telemetry_history WHERE ts < $1", [c.historyBefore]),
      seen: await this.#count("DELETE FROM seen_messages WHERE received_at < $1", [c.seenBefore]),
      deadLetters: await this.#count("DELETE FROM dead_letters WHERE at < $1", [c.deadLettersBefore]),
    };
  }
}
