import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { z } from "zod";
import { cronSchedule, type RunnerClock, type ScheduleFn, SamplerRunner } from "./runner.ts";
import type { Sampler } from "./types.ts";

const log = pino({ level: "silent" });

/** A clock whose timers fire only when the test advances it. */
class ManualClock implements RunnerClock {
  t = 0;
  timers = new Map<number, { at: number; fn: () => void }>();
  #id = 0;
  rnd = 0.5;
  now = () => this.t;
  random = () => this.rnd;
  setTimeout = (fn: () => void, ms: number) => {
    const id = ++this.#id;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clearTimeout = (h: unknown) => void this.timers.delete(h as number);
  async advance(ms: number) {
    this.t += ms;
    for (const [id, tm] of [...this.timers]) {
      if (tm.at <= this.t) {
        this.timers.delete(id);
        tm.fn();
      }
    }
    await flush();
  }
}

const flush = () => new Promise((r) => setImmediate(r));

/** A scheduler the test ticks by hand. */
function manualScheduler() {
  const jobs: { name: string; fn: () => Promise<void>; started: boolean; stopped: boolean }[] = [];
  const schedule: ScheduleFn = (_expr, fn, { name }) => {
    const job = { name, fn, started: false, stopped: false };
    jobs.push(job);
    return { start: () => void (job.started = true), stop: () => void (job.stopped = true) };
  };
  return { jobs, schedule };
}

function sampler(name: string, sample: (signal: AbortSignal) => Promise<unknown>): Sampler {
  return { name, configSchema: z.unknown(), init: () => undefined, sample };
}

const schedules = { good: { cron: "* * * * * *", timeoutMs: 1000 }, bad: { cron: "* * * * * *", timeoutMs: 1000 }, hang: { cron: "* * * * * *", timeoutMs: 1000 } };

describe("SamplerRunner", () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it("isolates a throwing sampler: the others report and the error is counted with its message", async () => {
    const runner = new SamplerRunner({
      samplers: [sampler("good", async () => ({ verdict: "ok" })), sampler("bad", () => { throw new Error("parser exploded"); })],
      schedules,
      jitterMs: 0,
      log,
      clock: new ManualClock(),
    });
    const out = await runner.runOnce();
    expect(out.map((o) => o.status)).toEqual(["ok", "error"]);
    expect(out[0]!.result).toEqual({ verdict: "ok" });
    const h = runner.health();
    expect(h[0]).toMatchObject({ name: "good", runs: 1, errors: 0, last_error: null });
    expect(h[1]).toMatchObject({ name: "bad", runs: 1, errors: 1, last_error: "parser exploded" });
    expect(runner.latest()).toEqual({ good: { verdict: "ok" } });
  });

  it("times out a hanging sampler, aborts its signal, and skips its next run while it still hangs", async () => {
    const clock = new ManualClock();
    let seen: AbortSignal | null = null;
    const runner = new SamplerRunner({
      samplers: [sampler("hang", (signal) => { seen = signal; return new Promise(() => undefined); }), sampler("good", async () => 1)],
      schedules,
      jitterMs: 0,
      log,
      clock,
    });
    const pending = runner.runOnce();
    await flush();
    await clock.advance(1000);
    const out = await pending;
    expect(out.find((o) => o.name === "hang")).toMatchObject({ status: "timeout", error: "timed out after 1000 ms", durationMs: 1000 });
    expect(out.find((o) => o.name === "good")?.status).toBe("ok");
    expect(seen!.aborted).toBe(true);
    const again = await runner.runOnce(["hang"]);
    expect(again[0]!.status).toBe("skipped");
    expect(runner.health()[0]).toMatchObject({ runs: 1, timeouts: 1, skipped_overlaps: 1, last_error: "timed out after 1000 ms" });
    expect(clock.timers.size).toBe(0);
  });

  it("starts each job after its jitter delay and stop() cancels pending starts and stops jobs", async () => {
    const clock = new ManualClock();
    clock.rnd = 0.25;
    const { jobs, schedule } = manualScheduler();
    const runner = new SamplerRunner({ samplers: [sampler("good", async () => 1), sampler("bad", async () => 2)], schedules, jitterMs: 8000, log, clock, schedule });
    runner.start();
    expect(jobs.map((j) => j.started)).toEqual([false, false]);
    await clock.advance(1999);
    expect(jobs.every((j) => !j.started)).toBe(true);
    await clock.advance(1);
    expect(jobs.every((j) => j.started)).toBe(true);
    await jobs[0]!.fn();
    expect(runner.health()[0]!.runs).toBe(1);
    runner.stop();
    expect(jobs.every((j) => j.stopped)).toBe(true);
    expect(clock.timers.size).toBe(0);
  });

  it("stop() before the jitter elapses never starts a job", async () => {
    const clock = new ManualClock();
    const { jobs, schedule } = manualScheduler();
    const runner = new SamplerRunner({ samplers: [sampler("good", async () => 1)], schedules, jitterMs: 10_000, log, clock, schedule });
    runner.start();
    runner.stop();
    await clock.advance(20_000);
    expect(jobs[0]!.started).toBe(false);
    expect(clock.timers.size).toBe(0);
  });

  it("runs on a node-cron schedule without overlap and leaves no timer after stop()", async () => {
    vi.useFakeTimers({ now: new Date("2025-01-01T00:00:00.500Z") });
    let calls = 0;
    let release: (() => void) | null = null;
    const slow = sampler("good", () => {
      calls++;
      return new Promise((r) => { release = () => r(calls); });
    });
    const runner = new SamplerRunner({ samplers: [slow], schedules: { good: { cron: "* * * * * *", timeoutMs: 60_000 } }, jitterMs: 0, log, schedule: cronSchedule });
    runner.start();
    await vi.advanceTimersByTimeAsync(3_600);
    // the first run is still busy: later ticks are skipped, not stacked
    expect(calls).toBe(1);
    expect(runner.health()[0]!.skipped_overlaps).toBeGreaterThanOrEqual(2);
    release!();
    await vi.advanceTimersByTimeAsync(1_100);
    expect(calls).toBe(2);
    runner.stop();
    release!();
    await vi.advanceTimersByTimeAsync(0);
    expect(vi.getTimerCount()).toBe(0);
  });
});
