import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { SimTimers } from "./timers.ts";

describe("simulator timers", () => {
  it("never fire before their due time, and fire on a later turn even when it has passed", async () => {
    const timers = new SimTimers();
    const early: number[] = [];
    await Promise.all([0, 1, 5, 30, 120].map((ms) => new Promise<void>((done) => {
      const due = performance.now() + ms;
      timers.at(due, () => (early.push(due - performance.now()), done()));
    })));
    expect(early.filter((left) => left > 0)).toEqual([]);
    let ran = false;
    timers.at(performance.now() - 10, () => (ran = true));
    expect(ran).toBe(false);
    await new Promise((r) => setImmediate(r));
    expect(ran).toBe(true);
  });

  it("cancel every pending timer on clear(), whichever step each is in", async () => {
    const timers = new SimTimers();
    const fired: number[] = [];
    for (const ms of [0, 2, 50]) timers.after(ms, () => fired.push(ms));
    // one turn in: the 50 ms timer sleeps on setTimeout, the 2 ms one steps on the event loop's turns
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    // a busy machine may have let the short ones fire already: whatever had not, never does
    const before = [...fired];
    timers.clear();
    await new Promise((r) => setTimeout(r, 80));
    expect(fired).toEqual(before);
    expect(fired).not.toContain(50);
  });
});
