import { describe, expect, it } from "vitest";
import { BatchRolledBackError } from "../failures.ts";
import { TurnBatch } from "./turn-batch.ts";

const turn = () => new Promise((r) => setImmediate(r));

describe("one batch per event-loop turn", () => {
  it("runs a turn's calls together, each answered with its own result, and a busier turn as several", async () => {
    const runs: number[][] = [];
    const b = new TurnBatch<number, number>(async (xs) => (runs.push(xs), xs.map((x) => x * 10)), 3);
    const first = await Promise.all([1, 2, 3, 4, 5].map((x) => b.add(x)));
    expect(first).toEqual([10, 20, 30, 40, 50]);
    expect(runs).toEqual([[1, 2, 3], [4, 5]]);
    await turn();
    expect(await b.add(6)).toBe(60);
    expect(runs).toHaveLength(3);
  });

  it("fails every call of a failed batch with its error, and the next turn's calls run afresh", async () => {
    let fail = true;
    const b = new TurnBatch<number, number>(async (xs) => {
      if (fail) throw new Error("database unreachable");
      return xs;
    });
    const got = await Promise.allSettled([1, 2].map((x) => b.add(x)));
    expect(got.map((g) => (g.status === "rejected" ? (g.reason as Error).message : g.value))).toEqual(["database unreachable", "database unreachable"]);
    fail = false;
    expect(await b.add(3)).toBe(3);
  });

  it("fails the batch, not the process, when the writer throws at once or answers for the wrong number of calls", async () => {
    const thrower = new TurnBatch<number, number>(() => {
      throw new Error("bad statement");
    });
    await expect(Promise.all([thrower.add(1), thrower.add(2)])).rejects.toThrow("bad statement");
    const short = new TurnBatch<number, number>(async () => [1]);
    await expect(Promise.all([short.add(1), short.add(2)])).rejects.toThrow(/answered 1 results for 2 calls/);
  });

  it("with split, runs a batch that one item fails again in halves, so only that item fails; the database failing fails them all", async () => {
    const runs: string[][] = [];
    const own = (x: string) => Object.assign(new Error(`${x} breaks a constraint`), { code: "23514" });
    let down = false;
    const b = new TurnBatch<string, string>(
      async (xs) => {
        runs.push(xs);
        if (down) throw Object.assign(new Error("connection refused"), { code: "ECONNREFUSED" });
        const bad = xs.find((x) => x.startsWith("bad"));
        if (bad) throw own(bad);
        return xs.map((x) => x.toUpperCase());
      },
      500,
      (err) => (err as { code?: string }).code === "23514",
    );
    const got = await Promise.allSettled(["a", "b", "bad", "c", "d"].map((x) => b.add(x)));
    expect(got.map((g) => (g.status === "rejected" ? (g.reason as Error).message : g.value))).toEqual(["A", "B", "bad breaks a constraint", "C", "D"]);
    // halves in order, down to the culprit alone: 5 → 3 + 2 → 2 + 1 → 1 + 1
    expect(runs).toEqual([["a", "b", "bad", "c", "d"], ["a", "b", "bad"], ["a", "b"], ["bad"], ["c", "d"]]);
    runs.length = 0;
    down = true;
    const all = await Promise.allSettled(["e", "f", "g"].map((x) => b.add(x)));
    expect(all.every((g) => g.status === "rejected" && (g.reason as Error).message === "connection refused")).toBe(true);
    expect(runs).toEqual([["e", "f", "g"]]);
  });

  it("caps the statements a batch may take when its items keep failing by themselves: the unresolved ones fail unattributed", async () => {
    let runs = 0;
    const b = new TurnBatch<number, number>(
      async () => {
        runs++;
        throw Object.assign(new Error("refused by a trigger that refuses everything"), { code: "P0001" });
      },
      500,
      () => true,
    );
    const got = await Promise.allSettled(Array.from({ length: 100 }, (_, i) => b.add(i)));
    // 100 items: at most 4 × ceil(log2 100) + 1 = 29 statements, not 2 × 100 − 1 = 199
    expect(runs).toBeLessThanOrEqual(29);
    const reasons = got.map((g) => (g as PromiseRejectedResult).reason as Error);
    expect(got.every((g) => g.status === "rejected")).toBe(true);
    // the few isolated alone failed with their own error; the rest with one that blames none of them
    const own = reasons.filter((r) => r.message.includes("trigger")).length;
    expect(own).toBeGreaterThan(0);
    expect(own).toBeLessThan(runs);
    expect(reasons.filter((r) => r instanceof BatchRolledBackError)).toHaveLength(100 - own);
  });

  it("drains: what is pending runs and every batch in flight settles before drain() resolves", async () => {
    const done: number[] = [];
    const b = new TurnBatch<number, void>(async (xs) => {
      await new Promise((r) => setTimeout(r, 20));
      done.push(...xs);
    });
    const calls = [b.add(1), b.add(2)];
    await b.drain();
    expect(done).toEqual([1, 2]);
    await Promise.all(calls);
  });
});
