/**
 * The fleet's dedup insert alone, with random (v4) against time-ordered (v7) message ids: the
 * `seen_messages` table and index as the SQLite store creates them, 150,000 inserts after 150,000, committed
 * 400 at a time as the ingest's per-tick batches are. Prints CPU per insert and the kernel's share of it
 * (writing WAL pages). `node bench/dedup-ids.ts` — a measurement behind docs/scaling.md, not one of the
 * five `npm run bench` benchmarks. Runs each kind twice, alternating, since this host is shared.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { DatabaseSync } from "node:sqlite";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { newMessageId } from "../shared/ids.ts";

const ROWS = 150_000;
const BATCH = 400;
const ids = { v4: () => randomUUID().replaceAll("-", ""), v7: () => newMessageId() };

function measure(kind: keyof typeof ids): { cpuUs: number; sysUs: number } {
  const dir = mkdtempSync(join(tmpdir(), "edge-dedup-"));
  const db = new DatabaseSync(join(dir, "dedup.db"));
  try {
    // the store's own settings (broker/store/sqlite/db.ts) and schema (migrations.ts)
    db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 8000");
    db.exec("CREATE TABLE seen_messages (msg_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, received_at INTEGER NOT NULL); CREATE INDEX seen_messages_received ON seen_messages(received_at)");
    const insert = db.prepare("INSERT OR IGNORE INTO seen_messages (msg_id, device_id, received_at) VALUES (?, ?, ?)");
    const fill = () => {
      db.exec("BEGIN");
      for (let i = 1; i <= ROWS; i++) {
        insert.run(ids[kind](), `dev-${i % 50}`, Date.now());
        if (i % BATCH === 0) db.exec("COMMIT; BEGIN");
      }
      db.exec("COMMIT");
    };
    fill(); // a table of ROWS already, as a fleet that has been running
    const t0 = process.cpuUsage();
    fill();
    const c = process.cpuUsage(t0);
    return { cpuUs: (c.user + c.system) / ROWS, sysUs: c.system / ROWS };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log("| ids | CPU per insert (µs) | of which kernel (µs) |\n|---|---:|---:|");
for (const kind of ["v4", "v7", "v4", "v7"] as const) {
  const r = measure(kind);
  console.log(`| ${kind} | ${r.cpuUs.toFixed(2)} | ${r.sysUs.toFixed(2)} |`);
}
