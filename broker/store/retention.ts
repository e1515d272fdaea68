import type { FleetConfig } from "../config/schema.ts";
import type { Logger } from "../log.ts";
import type { Scheduler } from "../tickets/scheduler.ts";
import type { FleetStore } from "./types.ts";

const DAY = 86_400_000;

/** Periodic retention: closed tickets and incidents, telemetry history, old message ids and dead letters. */
export class Retention {
  #o: { store: FleetStore; config: FleetConfig; scheduler: Scheduler; log: Logger };
  #cancel: (() => void) | null = null;

  constructor(o: { store: FleetStore; config: FleetConfig; scheduler: Scheduler; log: Logger }) {
    this.#o = o;
  }

  start(): void {
    this.#cancel ??= this.#o.scheduler.every(this.#o.config.retention.interval_ms, () => void this.run());
  }

  stop(): void {
    this.#cancel?.();
    this.#cancel = null;
  }

  async run(): Promise<{ tickets: number; incidents: number; history: number; seen: number; deadLetters: number } | null> {
    const { store, config, scheduler, log } = this.#o;
    const now = scheduler.now();
    try {
      const r = await store.purge({
        closedBefore: now - config.retention.closed_days * DAY,
        historyBefore: now - config.registry.retention_days * DAY,
        seenBefore: now - config.retention.dedup_days * DAY,
        deadLettersBefore: now - config.retention.dead_letter_days * DAY,
      });
      if (r.tickets + r.incidents + r.history + r.seen + r.deadLetters > 0) log.info(r, "retention purge");
      return r;
    } catch (err) {
      log.error({ err }, "retention purge failed");
      return null;
    }
  }
}
