import { performance } from "node:perf_hooks";

/**
 * The simulator's timers: `at(due, fn)` runs `fn` once the monotonic clock (`performance.now()`) reaches
 * `due`, never earlier and within about a millisecond later; `clear()` cancels every pending one (a socket
 * closed, the simulator stopped).
 *
 * The injected delay is what probe accuracy is measured against (`npm run bench probe`, ±10 ms), so it must
 * be the delay the clients see. A plain `setTimeout` fires late by a share of its delay on some virtual
 * machines — on the CI host of 2026-11-21, 1,000 ms came out as 1,011.7 ms and 100 ms as 102.8 — which
 * made the simulator's own error larger than the probe's. So the wait is most of the way on a timer,
 * leaving room for that lateness, and the last milliseconds on the event loop's turns against the clock.
 */
export class SimTimers {
  readonly #pending = new Set<() => void>();

  /** `fn` after `delayMs` from now. */
  after(delayMs: number, fn: () => void): void {
    this.at(performance.now() + delayMs, fn);
  }

  /** `fn` at the monotonic time `due` (from `performance.now()`), or on the next turn when that has passed. */
  at(due: number, fn: () => void): void {
    let cancel: () => void = () => {};
    const step = (): void => {
      this.#pending.delete(cancel);
      const left = due - performance.now();
      if (left <= 0) return fn();
      if (left > 3) {
        // timers here fire up to ~1.2 % + 2 ms late: aim early, then finish in short steps
        // (at most Node's longest timer, ~24.8 days; a longer delay waits in several)
        const t = setTimeout(step, Math.min(2 ** 31 - 1, Math.max(1, Math.floor(left * 0.97) - 2)));
        cancel = () => clearTimeout(t);
      } else {
        const i = setImmediate(step);
        cancel = () => clearImmediate(i);
      }
      this.#pending.add(cancel);
    };
    // always on a later turn, as setTimeout(fn, 0) was: callers send what they scheduled after returning
    const first = setImmediate(step);
    cancel = () => clearImmediate(first);
    this.#pending.add(cancel);
  }

  clear(): void {
    for (const cancel of this.#pending) cancel();
    this.#pending.clear();
  }
}
