import type { Logger } from "pino";
import type { z } from "zod";
import { maskString } from "../../shared/redact.ts";
import type { SamplerHealth } from "../../shared/schemas/telemetry.ts";
import { cronJob } from "../runtime/local-cron.ts";
import type { Sampler } from "./types.ts";

/** The per-sampler counters telemetry carries (shared `SamplerHealth`). */
export type SamplerHealthRecord = z.infer<typeof SamplerHealth>;

/** A scheduled job as the runner needs it; node-cron's ScheduledTask fits, and tests pass a manual one. */
export interface ScheduledJob {
  start(): void;
  stop(): void;
}

/** Creates a job that calls `fn` on the cron expression, never twice at once; `onOverlap` when a tick is skipped. */
export type ScheduleFn = (expression: string, fn: () => Promise<void>, opts: { name: string; onOverlap: () => void }) => ScheduledJob;

/** Time as the runner sees it: injectable so tests drive timeouts and jitter without the wall clock. */
export interface RunnerClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  /** In [0, 1): picks the start jitter. */
  random(): number;
}

/** Where and how often one sampler runs. */
export interface SamplerSchedule {
  cron: string;
  timeoutMs: number;
}

/** How one run ended, as `runOnce` reports it. */
export interface RunOutcome {
  name: string;
  status: "ok" | "error" | "timeout" | "skipped";
  result?: unknown;
  error?: string;
  durationMs: number | null;
}

export interface RunnerOptions {
  samplers: readonly Sampler[];
  schedules: Readonly<Record<string, SamplerSchedule>>;
  /** Each job starts after a random delay up to this, so a fleet does not sample in lockstep. */
  jitterMs: number;
  log: Logger;
  clock?: RunnerClock;
  schedule?: ScheduleFn;
  /** Called with every successful result (the telemetry builder keeps the latest). */
  onResult?: (name: string, result: unknown) => void;
}

const realClock: RunnerClock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
  random: () => Math.random(),
};

/** A cron schedule with `noOverlap`: a tick that finds the previous run still busy is skipped and reported. */
export const cronSchedule: ScheduleFn = (expression, fn, { name, onOverlap }) => cronJob(expression, fn, { name, onOverlap });

/**
 * Runs samplers on their schedules, isolating each: a throw or a hang past the timeout is counted against
 * that sampler (its AbortSignal fires) and the others carry on. `stop()` leaves no timer behind.
 */
export class SamplerRunner {
  readonly #opts: RunnerOptions;
  readonly #clock: RunnerClock;
  readonly #health = new Map<string, SamplerHealthRecord>();
  readonly #latest = new Map<string, unknown>();
  /** Runs whose sampler promise has not settled yet (even past its timeout): the overlap guard. */
  readonly #inFlight = new Map<string, AbortController>();
  readonly #timers = new Set<unknown>();
  #jobs: ScheduledJob[] = [];

  constructor(opts: RunnerOptions) {
    this.#opts = opts;
    this.#clock = opts.clock ?? realClock;
    for (const s of opts.samplers) {
      this.#health.set(s.name, { name: s.name, runs: 0, errors: 0, timeouts: 0, skipped_overlaps: 0, last_duration_ms: null, last_error: null });
    }
  }

  /** Names of the samplers this runner holds. */
  get names(): string[] {
    return this.#opts.samplers.map((s) => s.name);
  }

  /** Schedules every sampler, each after its own random start delay. */
  start(): void {
    if (this.#jobs.length > 0 || this.#timers.size > 0) return;
    const schedule = this.#opts.schedule ?? cronSchedule;
    for (const sampler of this.#opts.samplers) {
      const sch = this.#schedule(sampler.name);
      const job = schedule(sch.cron, () => this.#run(sampler).then(() => undefined), {
        name: `sampler:${sampler.name}`,
        onOverlap: () => this.#countOverlap(sampler.name),
      });
      this.#jobs.push(job);
      const delay = Math.floor(this.#clock.random() * this.#opts.jitterMs);
      const t = this.#clock.setTimeout(() => {
        this.#timers.delete(t);
        job.start();
      }, delay);
      this.#timers.add(t);
    }
  }

  /** Stops every job, cancels pending start delays and timeouts, and aborts runs in flight. */
  stop(): void {
    for (const t of this.#timers) this.#clock.clearTimeout(t);
    this.#timers.clear();
    for (const job of this.#jobs) job.stop();
    this.#jobs = [];
    for (const ac of this.#inFlight.values()) ac.abort(new Error("runner stopped"));
  }

  /** Runs the named samplers (all when `only` is absent) once, concurrently, each isolated. */
  async runOnce(only?: readonly string[]): Promise<RunOutcome[]> {
    const chosen = this.#opts.samplers.filter((s) => !only || only.includes(s.name));
    return Promise.all(chosen.map((s) => this.#run(s)));
  }

  /** Per-sampler counters, in sampler order (a copy). */
  health(): SamplerHealthRecord[] {
    return this.#opts.samplers.map((s) => ({ ...this.#health.get(s.name)! }));
  }

  /** The latest successful result of each sampler. */
  latest(): Record<string, unknown> {
    return Object.fromEntries(this.#latest);
  }

  #schedule(name: string): SamplerSchedule {
    const sch = this.#opts.schedules[name];
    if (!sch) throw new Error(`no schedule configured for sampler "${name}"`);
    return sch;
  }

  #countOverlap(name: string): void {
    const h = this.#health.get(name)!;
    h.skipped_overlaps++;
    this.#opts.log.warn({ sampler: name }, "sampler still busy from the previous run: tick skipped");
  }

  async #run(sampler: Sampler): Promise<RunOutcome> {
    const name = sampler.name;
    const h = this.#health.get(name)!;
    if (this.#inFlight.has(name)) {
      this.#countOverlap(name);
      return { name, status: "skipped", durationMs: null };
    }
    const { timeoutMs } = this.#schedule(name);
    const ac = new AbortController();
    this.#inFlight.set(name, ac);
    const t0 = this.#clock.now();
    let timer: unknown;
    const timedOut = new Promise<{ kind: "timeout" }>((resolve) => {
      timer = this.#clock.setTimeout(() => resolve({ kind: "timeout" }), timeoutMs);
      this.#timers.add(timer);
    });
    // Promise.resolve().then: a sampler that throws synchronously is caught like one that rejects
    const work = Promise.resolve()
      .then(() => sampler.sample(ac.signal))
      .then((value) => ({ kind: "ok" as const, value }), (err: unknown) => ({ kind: "error" as const, err }));
    void work.finally(() => {
      if (this.#inFlight.get(name) === ac) this.#inFlight.delete(name);
    });
    const outcome = await Promise.race([work, timedOut]);
    this.#clock.clearTimeout(timer);
    this.#timers.delete(timer);
    const durationMs = Math.max(0, this.#clock.now() - t0);
    h.runs++;
    h.last_duration_ms = durationMs;
    if (outcome.kind === "timeout") {
      ac.abort(new Error(`timed out after ${timeoutMs} ms`));
      h.timeouts++;
      h.last_error = `timed out after ${timeoutMs} ms`;
      this.#opts.log.warn({ sampler: name, timeout_ms: timeoutMs }, "sampler timed out");
      return { name, status: "timeout", error: h.last_error, durationMs };
    }
    if (outcome.kind === "error") {
      const msg = maskString(outcome.err instanceof Error ? outcome.err.message : String(outcome.err)).slice(0, 300);
      h.errors++;
      h.last_error = msg;
      this.#opts.log.error({ sampler: name, err: msg }, "sampler failed");
      return { name, status: "error", error: msg, durationMs };
    }
    this.#latest.set(name, outcome.value);
    this.#opts.onResult?.(name, outcome.value);
    return { name, status: "ok", result: outcome.value, durationMs };
  }
}
