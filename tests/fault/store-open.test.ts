import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SqliteStore } from "../../broker/store/sqlite/store.ts";

/** Fleet store faults: a clear error and a refusal to start, never silent data loss (issue #10). */
describe("fleet store: locked or corrupt SQLite file", () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), "edge-store-"))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const serve = (dbPath: string) => {
    const cfg = join(dir, "fleet.json");
    writeFileSync(cfg, JSON.stringify({ mqtt: { host: "127.0.0.1", port: 0 }, http: { host: "127.0.0.1", port: 0 }, store: { driver: "sqlite", path: dbPath }, log: { level: "silent" } }));
    return spawnSync(process.execPath, ["broker/cli/main.ts", "serve", "--config", cfg], { encoding: "utf8", timeout: 20_000 });
  };

  it("a corrupt file: edge-fleet refuses to start with one sentence and leaves the file untouched", () => {
    const db = join(dir, "fleet.db");
    const garbage = Buffer.concat([Buffer.from("SQLite format 3\0"), Buffer.alloc(4096, 0x5a)]);
    writeFileSync(db, garbage);
    const r = serve(db);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/fleet database .* is corrupt .*restore it from a backup or move it aside/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    // nothing was "repaired" or truncated behind the operator's back
    expect(Buffer.compare(readFileSync(db), garbage)).toBe(0);
  });

  it("a file locked by another process: edge-fleet refuses to start and says what to do", () => {
    const path = join(dir, "fleet.db");
    const holder = new DatabaseSync(path);
    holder.exec("CREATE TABLE t (x)");
    holder.exec("BEGIN EXCLUSIVE");
    try {
      const r = serve(path);
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(/is locked by another process; stop the other edge-fleet/);
    } finally {
      holder.exec("ROLLBACK");
      holder.close();
    }
  });

  it("a healthy file keeps its data across restarts (migrations are applied once)", async () => {
    const path = join(dir, "fleet.db");
    const a = new SqliteStore(path);
    await a.open();
    await a.addCredential({ id: "dev-1", secretHash: "scrypt$1$1$1$a$b", status: "active", createdAt: 1, labels: {} });
    await a.close();
    const b = new SqliteStore(path);
    await b.open();
    expect((await b.getCredential("dev-1"))?.id).toBe("dev-1");
    await b.close();
  });
});
