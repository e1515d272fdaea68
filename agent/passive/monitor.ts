import type { PassiveConfig } from "../probes/config.ts";
import type { InteractionEvent } from "./events.ts";

/** Why the passive signals asked for a diagnosis now. */
export interface PassiveTrigger {
  readonly reason: "error_burst" | "latency_breach";
  readonly detail: string;
  readonly errors: number;
  readonly interactions: number;
}

/**
 * Keeps the voice app's recent interactions in a sliding window and decides when they warrant an
 * immediate diagnosis: an error burst or repeated latency breaches, at most once per `min_interval_s`
 * (active probes cost the owner money). Pure apart from the injected clock.
 */
export class PassiveMonitor {
  readonly #cfg: PassiveConfig;
  readonly #now: () => number;
  #events: { at: number; ev: InteractionEvent }[] = [];
  #lastTriggerAt = -Infinity;
  #suppressed = 0;

  constructor(cfg: PassiveConfig, now: () => number = Date.now) {
    this.#cfg = cfg;
    this.#now = now;
  }

  /** Records events; returns a trigger when one is due and not rate-limited. */
  observe(events: readonly InteractionEvent[]): PassiveTrigger | null {
    const now = this.#now();
    for (const ev of events) this.#events.push({ at: now, ev });
    this.#prune(now);
    const { errors, interactions, breaches } = this.counts();
    let trigger: PassiveTrigger | null = null;
    if (errors >= this.#cfg.error_burst_count) {
      const last = [...this.#events].reverse().find((e) => !e.ev.ok)?.ev;
      trigger = { reason: "error_burst", errors, interactions, detail: `${errors} failed interactions in ${this.#cfg.error_burst_window_s} s (last: ${last?.stage ?? "?"} ${last?.error_code ?? ""})` };
    } else if (breaches >= this.#cfg.latency_breach_count) {
      trigger = { reason: "latency_breach", errors, interactions, detail: `${breaches} interactions slower than ${this.#cfg.latency_breach_ms} ms in ${this.#cfg.error_burst_window_s} s` };
    }
    if (!trigger) return null;
    if (now - this.#lastTriggerAt < this.#cfg.min_interval_s * 1000) {
      this.#suppressed += 1;
      return null;
    }
    this.#lastTriggerAt = now;
    return trigger;
  }

  /** Counts in the current window (for the report's "frequency"). */
  counts(): { errors: number; interactions: number; breaches: number; windowS: number; suppressed: number } {
    this.#prune(this.#now());
    let errors = 0;
    let breaches = 0;
    for (const { ev } of this.#events) {
      if (!ev.ok) errors += 1;
      if (ev.latency_ms !== null && ev.latency_ms > this.#cfg.latency_breach_ms) breaches += 1;
    }
    return { errors, interactions: this.#events.length, breaches, windowS: this.#cfg.error_burst_window_s, suppressed: this.#suppressed };
  }

  #prune(now: number): void {
    const from = now - this.#cfg.error_burst_window_s * 1000;
    if (this.#events.length && this.#events[0]!.at < from) this.#events = this.#events.filter((e) => e.at >= from);
    // bound memory even under a flood of events inside the window
    if (this.#events.length > 10_000) this.#events = this.#events.slice(-10_000);
  }
}
