/**
 * The timers a unit uses, injectable so tests drive pending periods, hold-downs, SLA clocks and
 * retry backoff without waiting (STYLE.md: no wall clock in tests).
 */
export interface Scheduler {
  now(): number;
  every(ms: number, fn: () => void): () => void;
  after(ms: number, fn: () => void): () => void;
}

/** The real timers; `unref` so a pending retry never keeps a stopping process alive. */
export function systemScheduler(now: () => number = Date.now): Scheduler {
  return {
    now,
    every(ms, fn) {
      const t = setInterval(fn, ms);
      t.unref();
      return () => clearInterval(t);
    },
    after(ms, fn) {
      const t = setTimeout(fn, ms);
      t.unref();
      return () => clearTimeout(t);
    },
  };
}
