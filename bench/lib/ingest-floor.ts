import { DatabaseSync } from "node:sqlite";
import type { AuthorizePublishHandler } from "aedes";
import { decodeMessage } from "../../shared/index.ts";

/**
 * The ingest floor (issue #9: "is ≥ 0.8 × raw aedes reachable at all?"): the least that any pipeline
 * keeping the guarantees must add to raw aedes for each report, with none of the fleet's code:
 * decode and validate it with the shared schema (UTF-8, JSON.parse, zod), store it durably keyed by its
 * msg_id (one row, which is also the dedup mark), grouped into one SQLite transaction per event-loop turn
 * in WAL mode as the fleet does, and acknowledge it only after that commit. No authentication, ACL, rate
 * limit, device registry, history trim or ticket rules: the real fleet does all of those on top.
 */
export function ingestFloor(path: string): AuthorizePublishHandler {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec("PRAGMA synchronous = NORMAL");
  db.exec("PRAGMA wal_autocheckpoint = 8000");
  db.exec("CREATE TABLE reports (msg_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, body BLOB NOT NULL)");
  const insert = db.prepare("INSERT OR IGNORE INTO reports (msg_id, device_id, body) VALUES (?, ?, ?)");
  let waiting: ((err: Error | null) => void)[] | null = null;
  const commit = () => {
    const acks = waiting!;
    waiting = null;
    let failed: Error | null = null;
    try {
      db.exec("COMMIT");
    } catch (err) {
      failed = err as Error;
      if (db.isTransaction) db.exec("ROLLBACK");
    }
    // no PUBACK for a report whose commit failed: the generator counts it as failed
    for (const ack of acks) ack(failed);
  };
  return (_client, packet, callback) => {
    const d = decodeMessage(packet.topic, packet.payload as Buffer);
    if (!d.ok) return callback(new Error(d.reason));
    if (!waiting) {
      db.exec("BEGIN");
      waiting = [];
      setImmediate(commit);
    }
    insert.run((d.message as { msg_id: string }).msg_id, d.deviceId, packet.payload as Buffer);
    waiting.push(callback);
  };
}
