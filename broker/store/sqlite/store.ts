import type { DatabaseSync, StatementSync } from "node:sqlite";
import type { DiagnosisMessage, StateMessage, TelemetryMessage } from "../../../shared/index.ts";
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
import { openDatabase } from "./db.ts";
import { incidentBody, membersOf } from "../membership.ts";
import { LIMIT, OFFSET, ticketFilterSql } from "./queries.ts";
import { insertedTicket, json, ticketState as ticketStateOf, toCredential, toDevice, toTicket, willIds, type Row } from "../rows.ts";

/** Ticket bookkeeping is stored as JSON text in SQLite. */
const ticketState = (t: Omit<TicketRecord, "id">): string => JSON.stringify(ticketStateOf(t));

const toDeadLetter = (r: Row): DeadLetter => ({ id: r.id as number, at: r.at as number, target: r.target as string, attempts: r.attempts as number, error: r.error as string, body: json(r.body, null) });

/** Reports of a device between two reads of its history count, so points it may hold over its limit (at least 1). */
const trimSlack = (limit: number): number => Math.max(1, Math.ceil(limit / 10));

/** The embedded store: one SQLite file in WAL mode (node:sqlite, no native addon). */
export class SqliteStore implements FleetStore {
  readonly driver = "sqlite" as const;
  #path: string;
  #db: DatabaseSync | null = null;
  #stmts = new Map<string, StatementSync>();
  /** Reports per device until applyTelemetry next reads its history count (a schedule, not state to trust). */
  #trimDue = new Map<string, number>();

  constructor(path: string) {
    this.#path = path;
  }

  async open(): Promise<void> {
    this.#db = openDatabase(this.#path);
  }

  async close(): Promise<void> {
    this.#stmts.clear();
    this.#trimDue.clear();
    this.#db?.close();
    this.#db = null;
  }

  /** The open database, for the units (tickets, commands) that keep their own tables in the same file. */
  get db(): DatabaseSync {
    if (!this.#db) throw new Error("store is not open");
    return this.#db;
  }

  #q(sql: string): StatementSync {
    let s = this.#stmts.get(sql);
    if (!s) {
      s = this.db.prepare(sql);
      this.#stmts.set(sql, s);
    }
    return s;
  }

  async addCredential(c: DeviceCredential): Promise<void> {
    this.#q(`INSERT INTO devices (id, secret_hash, credential_status, created_at, labels) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET secret_hash = excluded.secret_hash, credential_status = excluded.credential_status, labels = excluded.labels`)
      .run(c.id, c.secretHash, c.status, c.createdAt, JSON.stringify(c.labels));
  }

  async getCredential(id: string): Promise<DeviceCredential | null> {
    const r = this.#q("SELECT id, secret_hash, credential_status, created_at, labels FROM devices WHERE id = ? AND credential_status != 'none'").get(id) as Row | undefined;
    if (!r) return null;
    return toCredential(r);
  }

  async setCredentialStatus(id: string, status: DeviceCredential["status"]): Promise<boolean> {
    return Number(this.#q("UPDATE devices SET credential_status = ? WHERE id = ? AND credential_status != 'none'").run(status, id).changes) > 0;
  }

  async replaceSecret(id: string, secretHash: string): Promise<boolean> {
    return Number(this.#q("UPDATE devices SET secret_hash = ?, credential_status = 'active' WHERE id = ? AND credential_status != 'none'").run(secretHash, id).changes) > 0;
  }

  async listCredentials(f: { status?: DeviceCredential["status"] } = {}): Promise<DeviceCredential[]> {
    const rows = this.#q("SELECT id, secret_hash, credential_status, created_at, labels FROM devices WHERE credential_status != 'none' AND (?1 IS NULL OR credential_status = ?1) ORDER BY id")
      .all(f.status ?? null) as Row[];
    return rows.map(toCredential);
  }

  async markSeen(msgId: string, deviceId: string, receivedAt: number, unfinished = false): Promise<SeenMark> {
    if (Number(this.#q("INSERT OR IGNORE INTO seen_messages (msg_id, device_id, received_at, unfinished) VALUES (?, ?, ?, ?)").run(msgId, deviceId, receivedAt, unfinished ? 1 : 0).changes) > 0) return "new";
    // a redelivery (off the hot path): finished, or stored by a delivery that did not finish its effects
    return this.seenMark(msgId);
  }

  async seenMark(msgId: string): Promise<SeenMark> {
    const r = this.#q("SELECT unfinished FROM seen_messages WHERE msg_id = ?").get(msgId) as Row | undefined;
    return r === undefined ? "new" : r.unfinished === 1 ? "unfinished" : "stored";
  }

  async finishSeen(msgId: string): Promise<void> {
    this.#q("UPDATE seen_messages SET unfinished = 0 WHERE msg_id = ?").run(msgId);
  }

  async forgetSeen(msgId: string, receivedAt?: number): Promise<void> {
    this.#q("DELETE FROM seen_messages WHERE msg_id = ?1 AND (?2 IS NULL OR received_at = ?2)").run(msgId, receivedAt ?? null);
  }

  #ensureDevice(id: string, at: number): void {
    this.#q("INSERT OR IGNORE INTO devices (id, created_at) VALUES (?, ?)").run(id, at);
  }

  async applyState(s: StateMessage, receivedAt: number): Promise<boolean> {
    this.#ensureDevice(s.device_id, receivedAt);
    const online = s.status === "online" ? 1 : 0;
    const { will, current } = willIds(s);
    return Number(this.#q(`UPDATE devices SET online = ?, online_since = CASE WHEN ? = 1 THEN coalesce(CASE WHEN online = 1 THEN online_since END, ?) ELSE NULL END,
             last_seen = ?, agent_version = ?, firmware_version = ?, model = ?, region = ?, app_id = ?, labels = ?,
             will_msg_id = CASE WHEN ? = 1 THEN ? ELSE will_msg_id END
             WHERE id = ? AND (? IS NULL OR will_msg_id IS NULL OR ? >= will_msg_id)`)
      .run(online, online, receivedAt, receivedAt, s.agent_version, s.firmware_version, s.model, s.region, s.app_id, JSON.stringify(s.labels), online, current, s.device_id, will, will).changes) > 0;
  }

  async applyTelemetry(t: TelemetryMessage, receivedAt: number, historyLimit: number): Promise<void> {
    const body = JSON.stringify(t);
    // register (or create) the device, keep its newest report by the report's time capped at its arrival (one
    // that arrives after a newer one goes to the history only; a clock running ahead pins nothing), count its
    // history: one statement
    this.#q(`INSERT INTO devices (id, created_at, telemetry, telemetry_ts, last_seen, history_count, history_limit) VALUES (?, ?, ?, ?, ?, 1, ?)
             ON CONFLICT(id) DO UPDATE SET telemetry = CASE WHEN telemetry_ts > excluded.telemetry_ts THEN telemetry ELSE excluded.telemetry END,
               telemetry_ts = max(coalesce(telemetry_ts, excluded.telemetry_ts), excluded.telemetry_ts),
               last_seen = excluded.last_seen, history_count = history_count + 1, history_limit = excluded.history_limit`)
      .run(t.device_id, receivedAt, body, Math.min(t.ts, receivedAt), receivedAt, historyLimit);
    this.#q("INSERT INTO telemetry_history (device_id, ts, body) VALUES (?, ?, ?)").run(t.device_id, t.ts, body);
    // Bounded history, trimmed in chunks (issue #9: a DELETE per report cost ~7 µs, this ~1.7): every
    // `slack` reports of a device (and at its first since start) the count is read and the points past
    // the limit, oldest by ts, go in one DELETE, so a device holds at most limit + slack points.
    // `history()` reads no further than the newest `historyLimit`, so readers see exactly those. The
    // schedule is only a hint kept in memory; the count in the device row, committed with the rows, is
    // the truth (reading it back with every report, RETURNING, cost 1.4 µs).
    const slack = trimSlack(historyLimit);
    const due = this.#trimDue.get(t.device_id) ?? 1;
    if (due > 1) {
      this.#trimDue.set(t.device_id, due - 1);
      return;
    }
    this.#trimDue.set(t.device_id, slack);
    const { history_count: held } = this.#q("SELECT history_count FROM devices WHERE id = ?").get(t.device_id) as { history_count: number };
    if (held > historyLimit) {
      const dropped = Number(this.#q(`DELETE FROM telemetry_history WHERE rowid IN (SELECT rowid FROM telemetry_history WHERE device_id = ? ORDER BY ts ${LIMIT})`)
        .run(t.device_id, held - historyLimit).changes);
      this.#q("UPDATE devices SET history_count = history_count - ? WHERE id = ?").run(dropped, t.device_id);
    }
  }

  async applyDiagnosis(d: DiagnosisMessage, receivedAt: number): Promise<void> {
    this.#ensureDevice(d.device_id, receivedAt);
    this.#q("INSERT OR IGNORE INTO diagnoses (id, device_id, ts, fault, summary, command_id, body) VALUES (?, ?, ?, ?, ?, ?, ?)")
      .run(d.diagnosis_id, d.device_id, d.ts, d.verdict.fault, d.verdict.summary, d.command_id, JSON.stringify(d));
    this.#q("UPDATE devices SET fault = ?, fault_summary = ?, last_diagnosis_at = ?, last_seen = ? WHERE id = ?")
      .run(d.verdict.fault, d.verdict.summary, d.ts, receivedAt, d.device_id);
  }

  async getDevice(id: string): Promise<DeviceRecord | null> {
    const r = this.#q("SELECT * FROM devices WHERE id = ?").get(id) as Row | undefined;
    return r ? toDevice(r) : null;
  }

  async listDevices(f: DeviceFilter = {}): Promise<DeviceRecord[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (f.online !== undefined) {
      where.push("online = ?");
      args.push(f.online ? 1 : 0);
    }
    if (f.fault) {
      where.push("fault = ?");
      args.push(f.fault);
    }
    if (f.search) {
      where.push("(id LIKE ? ESCAPE '\\' OR model LIKE ? ESCAPE '\\' OR region LIKE ? ESCAPE '\\')");
      args.push(...Array(3).fill(`%${f.search.replace(/[\\%_]/g, "\\$&")}%`));
    }
    if (f.label) {
      where.push("json_extract(labels, ?) = ?");
      args.push(`$.${f.label.key}`, f.label.value);
    }
    const sql = `SELECT * FROM devices ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id ${LIMIT} ${OFFSET}`;
    return (this.db.prepare(sql).all(...args, f.limit ?? 1000, f.offset ?? 0) as Row[]).map(toDevice);
  }

  async history(id: string, since: number, limit: number): Promise<HistoryPoint[]> {
    // the newest `history_limit` points only: applyTelemetry trims the rest in chunks, a little later
    const rows = this.#q(`SELECT ts, body FROM telemetry_history WHERE device_id = ? AND ts >= ? ORDER BY ts DESC
                          LIMIT min(?, coalesce((SELECT history_limit FROM devices WHERE id = ?), ?))`).all(id, since, limit, id, limit) as Row[];
    return rows.reverse().map((r) => ({ ts: r.ts as number, telemetry: JSON.parse(r.body as string) as TelemetryMessage }));
  }

  async diagnoses(id: string, limit: number): Promise<DiagnosisRecord[]> {
    const rows = this.#q(`SELECT * FROM diagnoses WHERE device_id = ? ORDER BY ts DESC ${LIMIT}`).all(id, limit) as Row[];
    return rows.map((r) => ({ id: r.id as string, deviceId: r.device_id as string, ts: r.ts as number, fault: r.fault as DiagnosisRecord["fault"], summary: r.summary as string, commandId: (r.command_id as string | null) ?? null, message: JSON.parse(r.body as string) as DiagnosisMessage }));
  }

  async findOpenTicket(fingerprint: string, deviceId: string): Promise<TicketRecord | null> {
    const r = this.#q("SELECT * FROM tickets WHERE fingerprint = ? AND device_id = ? AND status IN ('pending','open','acknowledged')").get(fingerprint, deviceId) as Row | undefined;
    return r ? toTicket(r) : null;
  }

  async findLatestTicket(fingerprint: string, deviceId: string): Promise<TicketRecord | null> {
    const r = this.#q("SELECT * FROM tickets WHERE fingerprint = ? AND device_id = ? ORDER BY id DESC LIMIT 1").get(fingerprint, deviceId) as Row | undefined;
    return r ? toTicket(r) : null;
  }

  async insertTicket(t: Omit<TicketRecord, "id">): Promise<TicketRecord> {
    const res = this.#q(`INSERT INTO tickets (fingerprint, device_id, fault, family, status, severity, title, opened_at, updated_at, last_seen, occurrences, evidence, incident_id, resolved_at, closed_at, state,
                           suppressed_by, flapping, healthy_since)
                         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(t.fingerprint, t.deviceId, t.fault, t.family, t.status, t.severity, t.title, t.openedAt, t.updatedAt, t.lastSeen, t.occurrences, JSON.stringify(t.evidence),
        t.incidentId ?? null, t.resolvedAt ?? null, t.closedAt ?? null, ticketState(t), t.suppressedBy ?? null, t.flapping ? 1 : 0, t.healthySince ?? null);
    // not read back (issue #9: the read and its JSON parse were a fifth of the insert in an outage storm); this
    // store is the only writer, so the row holds exactly what was written
    return insertedTicket(t, Number(res.lastInsertRowid));
  }

  async updateTicket(t: TicketRecord): Promise<void> {
    // the membership triggers (migration 3) keep the incident's counts in step with these columns
    this.#q(`UPDATE tickets SET status = ?, severity = ?, title = ?, opened_at = ?, updated_at = ?, last_seen = ?, occurrences = ?, evidence = ?,
             incident_id = ?, resolved_at = ?, closed_at = ?, state = ?, suppressed_by = ?, flapping = ?, healthy_since = ? WHERE id = ?`)
      .run(t.status, t.severity, t.title, t.openedAt, t.updatedAt, t.lastSeen, t.occurrences, JSON.stringify(t.evidence), t.incidentId, t.resolvedAt, t.closedAt, ticketState(t),
        t.suppressedBy ?? null, t.flapping ? 1 : 0, t.healthySince ?? null, t.id);
  }

  async deleteTicket(id: number): Promise<void> {
    this.#q("DELETE FROM tickets WHERE id = ?").run(id);
  }

  async getTicket(id: number): Promise<TicketRecord | null> {
    const r = this.#q("SELECT * FROM tickets WHERE id = ?").get(id) as Row | undefined;
    return r ? toTicket(r) : null;
  }

  async listTickets(f: TicketFilter = {}): Promise<TicketRecord[]> {
    const { where, args } = ticketFilterSql(f);
    // the filter shapes are few, so their statements are cached like the fixed ones
    return (this.#q(`SELECT * FROM tickets ${where} ORDER BY id DESC ${LIMIT}`).all(...args, f.limit ?? 500) as Row[]).map(toTicket);
  }

  async insertIncident(i: Omit<IncidentRecord, "id">): Promise<IncidentRecord> {
    const res = this.#q("INSERT INTO incidents (key, status, severity, opened_at, updated_at, resolved_at, closed_at, body) VALUES (?, ?, ?, ?, ?, ?, ?, '{}')")
      .run(i.key, i.status, i.severity, i.openedAt, i.updatedAt, i.resolvedAt, i.closedAt);
    const rec = { ...i, id: Number(res.lastInsertRowid) };
    await this.updateIncident(rec);
    return this.#withMembers(incidentBody(rec));
  }

  async updateIncident(i: IncidentRecord): Promise<void> {
    this.#q("UPDATE incidents SET key = ?, status = ?, severity = ?, opened_at = ?, updated_at = ?, resolved_at = ?, closed_at = ?, body = ? WHERE id = ?")
      .run(i.key, i.status, i.severity, i.openedAt, i.updatedAt, i.resolvedAt, i.closedAt, JSON.stringify(incidentBody(i)), i.id);
  }

  /** A stored body plus what the store derives from the member tickets: counts and the first device ids. */
  #withMembers(body: IncidentRecord): IncidentRecord {
    // the sample as one string, not 100 row objects: ~12 µs instead of ~40, and a storm reads it per
    // diagnosis (issue #9). The subquery picks the first ids by id; group_concat's order is SQLite's to
    // choose, so they are sorted again here (device ids are ASCII without spaces: same order as SQLite's).
    const r = this.#q(`SELECT devices, active_devices, (SELECT group_concat(device_id, ' ') FROM (SELECT device_id FROM incident_devices WHERE incident_id = ?1 ORDER BY device_id ${LIMIT})) AS ids
                       FROM incident_counts WHERE incident_id = ?1`).get(body.id, INCIDENT_DEVICE_SAMPLE) as Row | undefined;
    const ids = typeof r?.ids === "string" && r.ids !== "" ? r.ids.split(" ").sort() : [];
    return { ...body, deviceIds: ids, deviceCount: Number(r?.devices ?? 0), activeDevices: Number(r?.active_devices ?? 0) };
  }

  #members(id: number): IncidentMembers {
    const r = this.#q("SELECT live, active, active_devices, flapping, devices FROM incident_counts WHERE incident_id = ?").get(id) as Row | undefined;
    return membersOf(r);
  }

  async countIncidentMembers(id: number): Promise<IncidentMembers> {
    return this.#members(id);
  }

  async listIncidentDevices(id: number, page: { limit?: number; offset?: number } = {}): Promise<string[]> {
    const rows = this.#q(`SELECT device_id FROM incident_devices WHERE incident_id = ? ORDER BY device_id ${LIMIT} ${OFFSET}`).all(id, page.limit ?? 100_000, page.offset ?? 0) as Row[];
    return rows.map((r) => r.device_id as string);
  }

  async setMemberSeverity(incidentId: number, severity: TicketRecord["severity"]): Promise<void> {
    this.#q("UPDATE tickets SET severity = ? WHERE incident_id = ? AND status IN ('pending', 'open', 'acknowledged') AND severity != ?").run(severity, incidentId, severity);
  }

  async getIncident(id: number): Promise<IncidentRecord | null> {
    const r = this.#q("SELECT body FROM incidents WHERE id = ?").get(id) as Row | undefined;
    return r ? this.#withMembers(JSON.parse(r.body as string) as IncidentRecord) : null;
  }

  async listIncidents(f: IncidentFilter = {}): Promise<IncidentRecord[]> {
    const where: string[] = [];
    const args: (string | number)[] = [];
    if (f.statuses?.length) {
      where.push(`status IN (${f.statuses.map(() => "?").join(",")})`);
      args.push(...f.statuses);
    }
    if (f.key !== undefined) {
      where.push("key = ?");
      args.push(f.key);
    }
    const sql = `SELECT body FROM incidents ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC ${LIMIT}`;
    return (this.#q(sql).all(...args, f.limit ?? 500) as Row[]).map((r) => this.#withMembers(JSON.parse(r.body as string) as IncidentRecord));
  }

  async putSilence(x: SilenceRecord): Promise<void> {
    this.#q(`INSERT INTO silences (id, starts_at, ends_at, created_at, body) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT(id) DO UPDATE SET starts_at = excluded.starts_at, ends_at = excluded.ends_at, body = excluded.body`)
      .run(x.id, x.startsAt, x.endsAt, x.createdAt, JSON.stringify(x));
  }

  async getSilence(id: string): Promise<SilenceRecord | null> {
    const r = this.#q("SELECT body FROM silences WHERE id = ?").get(id) as Row | undefined;
    return r ? (JSON.parse(r.body as string) as SilenceRecord) : null;
  }

  async listSilences(): Promise<SilenceRecord[]> {
    return (this.#q("SELECT body FROM silences ORDER BY starts_at DESC").all() as Row[]).map((r) => JSON.parse(r.body as string) as SilenceRecord);
  }

  async addAudit(e: AuditEntry): Promise<void> {
    this.#q("INSERT INTO audit (at, actor, action, subject, detail) VALUES (?, ?, ?, ?, ?)").run(e.at, e.actor, e.action, e.subject, JSON.stringify(e.detail));
  }

  async listAudit(subject?: string, limit = 500): Promise<AuditEntry[]> {
    const rows = (subject === undefined
      ? this.#q(`SELECT * FROM audit ORDER BY id DESC ${LIMIT}`).all(limit)
      : this.#q(`SELECT * FROM audit WHERE subject = ? ORDER BY id DESC ${LIMIT}`).all(subject, limit)) as Row[];
    return rows.map((r) => ({ id: r.id as number, at: r.at as number, actor: r.actor as string, action: r.action as string, subject: r.subject as string, detail: json(r.detail, {}) }));
  }

  async addDeadLetter(d: DeadLetter, seen?: { msgId: string; deviceId: string }): Promise<void> {
    // the same transaction: the ingest calls it inside oneTransaction, and a lone call runs autocommit twice at worst
    if (seen) this.#recordFinished(seen.msgId, seen.deviceId, d.at);
    this.#q("INSERT INTO dead_letters (at, target, attempts, error, body) VALUES (?, ?, ?, ?, ?)").run(d.at, d.target, d.attempts, d.error, JSON.stringify(d.body));
  }

  async listDeadLetters(limit = 500): Promise<DeadLetter[]> {
    return (this.#q(`SELECT * FROM dead_letters ORDER BY id DESC ${LIMIT}`).all(limit) as Row[]).map(toDeadLetter);
  }

  async getDeadLetter(id: number): Promise<DeadLetter | null> {
    const r = this.#q("SELECT * FROM dead_letters WHERE id = ?").get(id) as Row | undefined;
    return r ? toDeadLetter(r) : null;
  }

  async claimDeadLetter(id: number, now: number, until: number): Promise<boolean> {
    return Number(this.#q("UPDATE dead_letters SET claimed_until = ? WHERE id = ? AND (claimed_until IS NULL OR claimed_until < ?)").run(until, id, now).changes) > 0;
  }

  async releaseDeadLetter(id: number, claimedUntil: number, error: string, seen: { msgId: string; deviceId: string; at: number }): Promise<void> {
    // a holder whose claim lapsed records nothing: the mark is the current claim's business
    if (Number(this.#q("UPDATE dead_letters SET claimed_until = NULL, error = ? WHERE id = ? AND claimed_until = ?").run(error, id, claimedUntil).changes) === 0) return;
    this.#recordFinished(seen.msgId, seen.deviceId, seen.at);
  }

  /**
   * A dead letter's mark: finished (a redelivery is a duplicate), at the letter's time (a replay forgets that one).
   * It takes over an unfinished mark a failed delivery left, never a finished one: another delivery stored the
   * report whole, and a replay must find it stored.
   */
  #recordFinished(msgId: string, deviceId: string, at: number): void {
    this.#q("INSERT INTO seen_messages (msg_id, device_id, received_at) VALUES (?, ?, ?) ON CONFLICT (msg_id) DO UPDATE SET received_at = excluded.received_at, unfinished = 0 WHERE unfinished = 1")
      .run(msgId, deviceId, at);
  }

  async deleteDeadLetter(id: number, claimedUntil?: number): Promise<boolean> {
    return Number(this.#q("DELETE FROM dead_letters WHERE id = ?1 AND (?2 IS NULL OR claimed_until = ?2)").run(id, claimedUntil ?? null).changes) > 0;
  }

  async countDevices(f: { online?: boolean } = {}): Promise<number> {
    // online: a counter kept by triggers (migration 3); the blast radius asks for it on every diagnosis
    const r = (f.online === undefined
      ? this.#q("SELECT count(*) AS n FROM devices").get()
      : f.online
        ? this.#q("SELECT n FROM fleet_counts WHERE name = 'online'").get()
        : this.#q("SELECT count(*) AS n FROM devices WHERE online = 0").get()) as Row;
    return Number(r.n);
  }

  async purge(c: { closedBefore: number; historyBefore: number; seenBefore: number; deadLettersBefore: number }): Promise<{ tickets: number; incidents: number; history: number; seen: number; deadLetters: number }> {
    const n = (x: { changes: number | bigint }) => Number(x.changes);
    return {
      tickets: n(this.#q("DELETE FROM tickets WHERE status = 'closed' AND coalesce(closed_at, updated_at) < ?").run(c.closedBefore)),
      incidents: n(this.#q("DELETE FROM incidents WHERE status = 'closed' AND coalesce(closed_at, updated_at) < ?").run(c.closedBefore)),
      history: this.#purgeHistory(c.historyBefore),
      seen: n(this.#q("DELETE FROM seen_messages WHERE received_at < ?").run(c.seenBefore)),
      deadLetters: n(this.#q("DELETE FROM dead_letters WHERE at < ?").run(c.deadLettersBefore)),
    };
  }

  /** Deletes history older than `before` and brings the per-device counts (see applyTelemetry) back in step. */
  #purgeHistory(before: number): number {
    const purged = Number(this.#q("DELETE FROM telemetry_history WHERE ts < ?").run(before).changes);
    if (purged > 0) this.#q("UPDATE devices SET history_count = (SELECT count(*) FROM telemetry_history h WHERE h.device_id = devices.id) WHERE history_count > 0").run();
    return purged;
  }
}
