import { afterEach, describe, expect, it, vi } from "vitest";
import { cronJob } from "./local-cron.ts";

afterEach(() => vi.useRealTimers());

describe("cron jobs without node-cron's Intl-based scheduler", () => {
  it("fires on the expression's seconds in local time, and stop() leaves no timer", async () => {
    vi.useFakeTimers({ now: new Date(2025, 0, 1, 10, 0, 3, 250) });
    const fired: string[] = [];
    const job = cronJob("7-59/15 * * * * *", async () => void fired.push(`${new Date().getMinutes()}:${new Date().getSeconds()}`), { name: "t" });
    job.start();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(fired).toEqual(["0:7", "0:22", "0:37", "0:52"]);
    job.stop();
    expect(vi.getTimerCount()).toBe(0);
  });

  it("minute and hour fields: `0 */5 * * * *` runs at second 0 of every fifth minute", async () => {
    vi.useFakeTimers({ now: new Date(2025, 0, 1, 23, 58, 30) });
    const at: number[] = [];
    const job = cronJob("0 */5 * * * *", async () => void at.push(new Date().getMinutes()), { name: "t" });
    job.start();
    await vi.advanceTimersByTimeAsync(11 * 60_000);
    job.stop();
    expect(at).toEqual([0, 5]);
  });

  it("a tick that finds the previous run busy is skipped and reported, not stacked", async () => {
    vi.useFakeTimers({ now: new Date(2025, 0, 1, 0, 0, 0, 500) });
    let calls = 0;
    let overlaps = 0;
    let release = () => {};
    const job = cronJob("* * * * * *", () => new Promise<void>((r) => ((calls++), (release = r))), { name: "t", onOverlap: () => overlaps++ });
    job.start();
    await vi.advanceTimersByTimeAsync(3_600);
    expect([calls, overlaps]).toEqual([1, 3]);
    release();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(calls).toBe(2);
    job.stop();
  });

  it("day-of-week restricted schedules skip the other days", async () => {
    vi.useFakeTimers({ now: new Date(2025, 0, 1, 12, 0, 0) }); // a Wednesday
    const days: number[] = [];
    const job = cronJob("0 0 9 * * mon", async () => void days.push(new Date().getDate()), { name: "t" });
    job.start();
    await vi.advanceTimersByTimeAsync(14 * 86_400_000);
    job.stop();
    expect(days).toEqual([6, 13]);
  });
});
