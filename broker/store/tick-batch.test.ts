import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { afterEach, describe, expect, it } from "vitest";
import { telemetryMsg } from "../testing/messages.ts";
import { SqliteStore } from "./sqlite/store.ts";
import { BatchRolledBackError } from "./failures.ts";
import { batchPerTick, batchStats, oneTransaction } from "./tick-batch.ts";
import type { FleetStore } from "./types.ts";

let dir: string | null = null;
let store: FleetStore | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = null;
});

async function open(): Promise<{ store: FleetStore; path: string }> {
  dir = mkdtempSync(join(tmpdir(), "tick-batch-"));
  const path = join(dir, "fleet.db");
  store = batchPerTick(new SqliteStore(path));
  await store.open();
  return { store, path };
}

/** What another connection (a restarted fleet, a backup) would find in the file right now. */
function storedIds(path: string): string[] {
  const other = new DatabaseSync(path, { readOnly: true });
  try {
    return (other.prepare("SELECT msg_id FROM seen_messages ORDER BY msg_id").all() as { msg_id: string }[]).map((r) => r.msg_id);
  } finally {
    other.close();
  }
}

describe("one SQLite transaction per event-loop turn", () => {
  it("commits the writes of one turn together, and resolves each only once it is committed (the PUBACK follows storage)", async () => {
    const { store, path } = await open();
    const ids = Array.from({ length: 20 }, (_, i) => `msg-${String(i).padStart(4, "0")}`);
    const seenAtResolve: number[] = [];
    await Promise.all(ids.map((id) => store.markSeen(id, "dev-a", 1).then(() => seenAtResolve.push(storedIds(path).length))));
    // every write was visible to another connection by the time its promise resolved
    expect(seenAtResolve).toEqual(ids.map(() => 20));
    expect(batchStats(store)).toEqual({ commits: 1, writes: 20 });
    expect(await store.markSeen("msg-0000", "dev-a", 2)).toBe("stored");
  });

  it("commits a report's dedup mark and its effects together inside oneTransaction", async () => {
    const { store, path } = await open();
    const t = telemetryMsg("dev-a", 1_800_000_000_000, 1);
    await oneTransaction(async () => {
      await store.markSeen(t.msg_id, t.device_id, t.ts);
      // inside the scope a write does not wait for its own commit, so nothing is in the file yet
      expect(storedIds(path)).toEqual([]);
      await store.applyTelemetry(t, t.ts, 10);
    });
    expect(storedIds(path)).toEqual([t.msg_id]);
    expect((await store.history("dev-a", 0, 10)).map((p) => p.telemetry.seq)).toEqual([1]);
    expect(batchStats(store)).toEqual({ commits: 1, writes: 2 });
  });
});

describe("a message that fails halfway", () => {
  it("rolls back its dedup mark with the batch, so the resent report is stored, not dropped as a duplicate", async () => {
    const dir = mkdtempSync(join(tmpdir(), "edge-batch-fail-"));
    const inner = new SqliteStore(join(dir, "fleet.db"));
    await inner.open();
    const store = batchPerTick(inner);
    try {
      const failing = oneTransaction(async () => {
        await store.markSeen("msg-half-stored", "dev-1", 1);
        throw new Error("applyTelemetry failed");
      });
      await expect(failing).rejects.toThrow("applyTelemetry failed");
      // the failure is answered after the rollback, so even a redelivery straight back is new, not a duplicate
      expect(await oneTransaction(() => store.markSeen("msg-half-stored", "dev-1", 2))).toBe("new");
    } finally {
      await inner.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("refuses a message whose writes spanned turns when an earlier turn's batch was rolled back by another message", async () => {
    const { store, path } = await open();
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    // A writes in turn 1, then waits (as a diagnosis waits for the ticket engine), then writes in a later turn
    const a = oneTransaction(async () => {
      await store.markSeen("msg-a", "dev-a", 1);
      await held;
      await store.markSeen("msg-a-effect", "dev-a", 1);
      return "a";
    });
    // B fails in turn 1: turn 1's batch, A's first write included, is rolled back
    const b = oneTransaction(async () => {
      await store.markSeen("msg-b", "dev-b", 1);
      throw new Error("B's own failure");
    });
    await expect(b).rejects.toThrow("B's own failure");
    release();
    // A's first write was rolled back, so its later one is refused before it is made: nothing of A is
    // stored, and A is refused (its device resends), never acknowledged half-stored
    await expect(a).rejects.toBeInstanceOf(BatchRolledBackError);
    expect(storedIds(path)).toEqual([]);
  });
});
