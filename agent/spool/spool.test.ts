import { mkdtempSync, readdirSync, rmSync, statSync, truncateSync, writeFileSync, appendFileSync } from "node:fs";
import { open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import type { SpoolIo } from "./segment-log.ts";
import { Spool, type SpoolOptions } from "./spool.ts";

const log = pino({ level: "silent" });
const dirs: string[] = [];
const spools: Spool[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "spool-"));
  dirs.push(d);
  return d;
}

async function openSpool(o: Partial<SpoolOptions> & { dir: string | null }): Promise<Spool> {
  const s = new Spool({ maxMessages: 100, maxBytes: 1024 * 1024, memoryFallbackMessages: 5, log, headWriteDelayMs: 0, ...o });
  await s.open();
  spools.push(s);
  return s;
}

const texts = (s: Spool) => s.peek(-1, 1000).map((r) => r.payload.toString());

afterEach(async () => {
  for (const s of spools.splice(0)) await s.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("disk spool", () => {
  it("keeps reports in order across a restart and forgets only acknowledged ones", async () => {
    const dir = tempDir();
    const a = await openSpool({ dir });
    for (let i = 0; i < 5; i++) await a.append("telemetry", Buffer.from(`r${i}`));
    const [first, second] = a.peek(-1, 2);
    a.ack(first!.seq);
    a.ack(second!.seq);
    await a.close();
    spools.pop();

    const b = await openSpool({ dir });
    expect(texts(b)).toEqual(["r2", "r3", "r4"]);
    expect(b.peek(-1, 10).map((r) => r.kind)).toEqual(["telemetry", "telemetry", "telemetry"]);
    // new reports continue after the recovered ones
    await b.append("diagnosis", Buffer.from("r5"));
    expect(texts(b)).toEqual(["r2", "r3", "r4", "r5"]);
    expect(b.status()).toMatchObject({ depth: 4, mode: "disk", condition: null });
  });

  it("recovers everything up to a torn tail left by a power cut mid-write", async () => {
    const dir = tempDir();
    const a = await openSpool({ dir });
    for (let i = 0; i < 3; i++) await a.append("telemetry", Buffer.from(`report-${i}`));
    // simulate the process dying without close(): no head written, and a half-written frame at the end
    const seg = readdirSync(dir).find((n) => n.endsWith(".seg"))!;
    const size = statSync(join(dir, seg)).size;
    appendFileSync(join(dir, seg), Buffer.from([0, 0, 0, 40, 1, 2, 3]));
    spools.pop();

    const b = await openSpool({ dir });
    expect(texts(b)).toEqual(["report-0", "report-1", "report-2"]);
    expect(statSync(join(dir, seg)).size).toBe(size);
    // and a frame cut in half (not only trailing garbage) is dropped, the rest kept
    truncateSync(join(dir, seg), size - 3);
    await b.close();
    spools.pop();
    const c = await openSpool({ dir });
    expect(texts(c)).toEqual(["report-0", "report-1"]);
  });

  it("replays from the start when the head file is corrupt (the fleet dedups by msg_id)", async () => {
    const dir = tempDir();
    const a = await openSpool({ dir });
    await a.append("telemetry", Buffer.from("x"));
    await a.close();
    spools.pop();
    writeFileSync(join(dir, "head.json"), "{not json");
    const b = await openSpool({ dir });
    expect(texts(b)).toEqual(["x"]);
  });

  it("drops the oldest when full, counts the drops, and keeps the count across a restart", async () => {
    const dir = tempDir();
    const a = await openSpool({ dir, maxMessages: 10 });
    for (let i = 0; i < 15; i++) await a.append("telemetry", Buffer.from(`r${i}`));
    expect(texts(a)).toEqual(Array.from({ length: 10 }, (_, i) => `r${i + 5}`));
    expect(a.status()).toMatchObject({ depth: 10, dropped_total: 5 });
    await a.close();
    spools.pop();
    const b = await openSpool({ dir, maxMessages: 10 });
    expect(b.status()).toMatchObject({ depth: 10, dropped_total: 5 });
    expect(texts(b)[0]).toBe("r5");
  });

  it("bounds the bytes too", async () => {
    const s = await openSpool({ dir: tempDir(), maxBytes: 250 });
    for (let i = 0; i < 5; i++) await s.append("telemetry", Buffer.alloc(100, i));
    expect(s.status()).toMatchObject({ depth: 2, dropped_total: 3 });
  });

  it("deletes segment files once every record in them is acknowledged", async () => {
    const dir = tempDir();
    const s = await openSpool({ dir, segmentBytes: 64 });
    for (let i = 0; i < 6; i++) await s.append("telemetry", Buffer.alloc(40, i));
    expect(readdirSync(dir).filter((n) => n.endsWith(".seg")).length).toBeGreaterThan(2);
    for (const r of s.peek(-1, 10)) s.ack(r.seq);
    await s.close();
    spools.pop();
    expect(readdirSync(dir).filter((n) => n.endsWith(".seg")).length).toBeLessThanOrEqual(1);
  });

  it("on ENOSPC keeps running in memory within its bound, reports the condition, and goes back to disk later", async () => {
    const dir = tempDir();
    let full = false;
    const io: SpoolIo = {
      async open(path, flags) {
        const h = await open(path, flags);
        return {
          write: ((...args: Parameters<typeof h.write>) => {
            if (full) return Promise.reject(Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" }));
            return h.write(...args);
          }) as typeof h.write,
          datasync: () => h.datasync(),
          truncate: (n?: number) => h.truncate(n),
          close: () => h.close(),
        };
      },
    };
    let now = 1_000_000;
    const s = await openSpool({ dir, io, memoryFallbackMessages: 3, diskRetryMs: 60_000, now: () => now });
    await s.append("telemetry", Buffer.from("on-disk"));
    full = true;
    for (let i = 0; i < 5; i++) await expect(s.append("telemetry", Buffer.from(`mem${i}`))).resolves.toBeUndefined();
    expect(s.status()).toMatchObject({ mode: "memory", dropped_total: 2 });
    expect(s.status().condition).toMatch(/disk full/);
    expect(texts(s)).toEqual(["on-disk", "mem2", "mem3", "mem4"]);

    full = false;
    now += 60_000;
    await s.append("telemetry", Buffer.from("back"));
    expect(s.status()).toMatchObject({ mode: "disk", condition: null });
    expect(texts(s)).toEqual(["on-disk", "mem2", "mem3", "mem4", "back"]);
  });

  it("a spool directory that cannot be created degrades to memory with a condition, not a crash", async () => {
    const file = join(tempDir(), "not-a-dir");
    writeFileSync(file, "");
    const s = await openSpool({ dir: join(file, "spool") });
    await s.append("telemetry", Buffer.from("x"));
    expect(s.status().mode).toBe("memory");
    expect(s.status().condition).toMatch(/disk unusable/);
    expect(texts(s)).toEqual(["x"]);
  });
});
