import type { TelemetryMessage } from "../../../shared/index.ts";
import type { PgResult } from "./pool.ts";

/**
 * The telemetry reports of one event-loop turn (turn-batch.ts), written by one statement and one commit (issue #9).
 * Alone, each report was one statement with its own commit, and PostgreSQL spent ~600–800 µs of CPU
 * per report (`npm run bench ingest`, its PostgreSQL phase): most of it the commit and the per-statement
 * work, the same for one row as for hundreds. Batched, those costs are shared by every report in the turn.
 *
 * What the statement does, all of it or nothing: records each message id (a redelivered one, already
 * recorded, changes nothing), appends each new report to its device's history, updates each device once
 * with its newest report by the report's own time capped at its arrival (one older than the stored one goes
 * to the history only; a device clock running ahead pins nothing)
 * and its report count, and trims the history of the devices whose count crossed a
 * multiple of a tenth of the limit (`history()` reads no further than the newest `limit` points). Rows
 * are locked in id order, so two replicas' batches over the same devices wait for each other rather
 * than deadlock. The statement shares one snapshot: a trim keeps the `limit` newest points it sees and
 * this batch's points come on top, so a spooled report older than all of them falls outside what
 * `history()` reads instead of pushing out a newer point.
 */
const SQL = `
WITH input AS (
  -- a report redelivered within the turn counts once: its first arrival
  SELECT DISTINCT ON (msg_id) * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[]) WITH ORDINALITY AS x(msg_id, device_id, body, ts, received_at, ord)
  ORDER BY msg_id, ord
),
s AS (
  INSERT INTO seen_messages (msg_id, device_id, received_at)
  SELECT msg_id, device_id, received_at FROM input ORDER BY msg_id
  ON CONFLICT DO NOTHING RETURNING msg_id
),
fresh AS (SELECT input.* FROM input JOIN s USING (msg_id)),
latest AS (
  SELECT DISTINCT ON (device_id) device_id, body, received_at, least(ts, received_at) AS at_ts, count(*) OVER (PARTITION BY device_id) AS n
  FROM fresh ORDER BY device_id, least(ts, received_at) DESC, ord DESC
),
d AS (
  INSERT INTO devices (id, created_at, telemetry, telemetry_ts, last_seen, history_seq, history_limit)
  SELECT device_id, received_at, body::jsonb, at_ts, received_at, n, $6::integer FROM latest ORDER BY device_id
  ON CONFLICT (id) DO UPDATE SET
    telemetry = CASE WHEN devices.telemetry_ts > excluded.telemetry_ts THEN devices.telemetry ELSE excluded.telemetry END,
    telemetry_ts = greatest(devices.telemetry_ts, excluded.telemetry_ts),
    last_seen = excluded.last_seen,
    history_seq = devices.history_seq + excluded.history_seq, history_limit = excluded.history_limit
  RETURNING id, history_seq
),
h AS (INSERT INTO telemetry_history (device_id, ts, body) SELECT device_id, ts, body::jsonb FROM fresh ORDER BY ord),
due AS (SELECT d.id FROM d JOIN latest ON latest.device_id = d.id WHERE d.history_seq / $7::bigint > (d.history_seq - latest.n) / $7::bigint)
DELETE FROM telemetry_history t USING due
WHERE t.device_id = due.id AND t.ts < (SELECT x.ts FROM telemetry_history x WHERE x.device_id = due.id ORDER BY x.ts DESC OFFSET $8 LIMIT 1)`;

/** A statement PostgreSQL rolled back whole to break a deadlock or a serialization conflict: safe to run again. */
const RETRYABLE = new Set(["40P01", "40001"]);

/**
 * Writes one turn's telemetry reports (all with the same history limit) in one statement. A deadlock
 * (retention's purge deletes old history across devices in its own order, say) rolls the statement back
 * whole; it is idempotent by message id, so it runs again, up to three times, before its reports fail.
 */
export async function writeTelemetry(query: (sql: string, args: unknown[]) => Promise<PgResult>, items: readonly { t: TelemetryMessage; at: number }[], limit: number): Promise<void> {
  const args = [
    items.map((i) => i.t.msg_id),
    items.map((i) => i.t.device_id),
    items.map((i) => JSON.stringify(i.t)),
    items.map((i) => i.t.ts),
    items.map((i) => i.at),
    limit,
    Math.max(1, Math.ceil(limit / 10)),
    Math.max(0, limit - 1),
  ];
  for (let attempt = 1; ; attempt++) {
    try {
      await query(SQL, args);
      return;
    } catch (err) {
      if (attempt >= 3 || !RETRYABLE.has(String((err as { code?: unknown }).code))) throw err;
    }
  }
}
