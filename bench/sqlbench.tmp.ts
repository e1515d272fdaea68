// temporary microbenchmark (not committed): CPU per telemetry report in SqliteStore, by statement
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../broker/store/sqlite/store.ts";
import { telemetryMessage } from "../sim/fleet/messages.ts";
import { seededRandom } from "../sim/fleet/provision.ts";

const BATCH = Number(process.argv[2] ?? 40);
const N = Number(process.argv[3] ?? 60000);
const HIST = Number(process.argv[4] ?? 500);
const dir = mkdtempSync(join(tmpdir(), "sqlb-"));
const s = new SqliteStore(join(dir, "f.db"));
await s.open();
const rand = seededRandom(1);
const devs = Array.from({ length: 50 }, (_, i) => ({ id: `dev-${i}`, model: "m", region: "r", firmware: "f", appId: "a" }));
const msgs = Array.from({ length: N }, (_, i) => telemetryMessage(devs[i % 50]!, i, 1_700_000_000_000 + i, rand));
const t: Record<string, number> = { seen: 0, tel: 0, commit: 0 };
const hr = () => performance.now();
const c0 = process.cpuUsage();
for (let i = 0; i < N; i += BATCH) {
  s.db.exec("BEGIN");
  for (let j = i; j < Math.min(N, i + BATCH); j++) {
    const m = msgs[j]!;
    let a = hr();
    await s.markSeen(m.msg_id, m.device_id, m.ts);
    let b = hr(); t.seen! += b - a;
    await s.applyTelemetry(m, m.ts, HIST);
    a = hr(); t.tel! += a - b;
  }
  const a = hr();
  s.db.exec("COMMIT");
  t.commit! += hr() - a;
}
const cpu = process.cpuUsage(c0);
console.log(`batch ${BATCH}: per msg µs`, Object.fromEntries(Object.entries(t).map(([k, v]) => [k, ((v * 1000) / N).toFixed(1)])), "cpu µs/msg", ((cpu.user + cpu.system) / N).toFixed(1), "sys", (cpu.system / N).toFixed(1));
