// temporary microbenchmark: variants of the per-report SQL
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../broker/store/sqlite/db.ts";
import { telemetryMessage } from "../sim/fleet/messages.ts";
import { seededRandom } from "../sim/fleet/provision.ts";

const [BATCH, N, HIST, variant, pragmas] = [Number(process.argv[2]), Number(process.argv[3]), Number(process.argv[4]), process.argv[5] ?? "", process.argv[6] ?? ""];
const dir = mkdtempSync(join(tmpdir(), "sqlb-"));
const db = openDatabase(join(dir, "f.db"));
for (const p of pragmas.split(";").filter(Boolean)) db.exec(`PRAGMA ${p}`);
if (variant.includes("wr")) db.exec("CREATE TABLE seen2 (msg_id TEXT PRIMARY KEY, device_id TEXT NOT NULL, received_at INTEGER NOT NULL) WITHOUT ROWID; CREATE INDEX seen2_r ON seen2(received_at)");
const rand = seededRandom(1);
const devs = Array.from({ length: 50 }, (_, i) => ({ id: `dev-${i}`, model: "m", region: "r", firmware: "f", appId: "a" }));
const msgs = Array.from({ length: N }, (_, i) => telemetryMessage(devs[i % 50]!, i, 1_700_000_000_000 + i, rand));
const bodies = msgs.map((m) => JSON.stringify(m));
const seen = db.prepare(`INSERT OR IGNORE INTO ${variant.includes("wr") ? "seen2" : "seen_messages"} (msg_id, device_id, received_at) VALUES (?, ?, ?)`);
const ens = db.prepare("INSERT OR IGNORE INTO devices (id, created_at) VALUES (?, ?)");
const upd = db.prepare("UPDATE devices SET telemetry = ?, last_seen = ? WHERE id = ?");
const ins = db.prepare("INSERT INTO telemetry_history (device_id, ts, body) VALUES (?, ?, ?)");
const del = db.prepare(`DELETE FROM telemetry_history WHERE device_id = ? AND ts < (SELECT ts FROM telemetry_history WHERE device_id = ? ORDER BY ts DESC LIMIT 1 OFFSET ?)`);
const t: Record<string, number> = { seen: 0, ens: 0, upd: 0, ins: 0, del: 0, commit: 0 };
const hr = () => performance.now();
const count = new Map<string, number>();
const every = variant.includes("am") ? Math.max(1, Math.floor(HIST / 10)) : 1;
const c0 = process.cpuUsage();
for (let i = 0; i < N; i += BATCH) {
  db.exec("BEGIN");
  for (let j = i; j < Math.min(N, i + BATCH); j++) {
    const m = msgs[j]!; const body = bodies[j]!;
    let a = hr();
    if (!variant.includes("noseen")) seen.run(m.msg_id, m.device_id, m.ts); let b = hr(); t.seen! += b - a;
    if (!variant.includes("noens")) ens.run(m.device_id, m.ts); a = hr(); t.ens! += a - b;
    if (!variant.includes("noupd")) upd.run(body, m.ts, m.device_id); b = hr(); t.upd! += b - a;
    ins.run(m.device_id, m.ts, body); a = hr(); t.ins! += a - b;
    const n = (count.get(m.device_id) ?? 0) + 1;
    if (n >= every) { if (!variant.includes("nodel")) del.run(m.device_id, m.device_id, HIST - 1); count.set(m.device_id, 0); } else count.set(m.device_id, n);
    b = hr(); t.del! += b - a;
  }
  const a = hr();
  db.exec("COMMIT");
  t.commit! += hr() - a;
}
const cpu = process.cpuUsage(c0);
const rows = (db.prepare("SELECT count(*) n FROM telemetry_history").get() as { n: number }).n;
console.log(`b${BATCH} ${variant} ${pragmas}: µs/msg`, Object.entries(t).map(([k, v]) => `${k} ${((v * 1000) / N).toFixed(1)}`).join(" "), "| cpu", ((cpu.user + cpu.system) / N).toFixed(1), "sys", (cpu.system / N).toFixed(1), "rows", rows);
