import type { ProbeRun } from "../../shared/schemas/probes.ts";
import type { ProbeBudgetReport } from "../diagnosis/report.ts";

/**
 * Probes cost the device owner tokens and money (issue #4): counts billable probes and their bytes per
 * UTC day and says when the day's budget is spent. In memory: a restart forgets the count, which errs on
 * the side of one more probe, not of a silent device.
 */
export class ProbeBudget {
  readonly #maxProbes: number;
  readonly #maxBytes: number;
  readonly #wallNow: () => number;
  #day = "";
  #probes = 0;
  #bytes = 0;

  constructor(limits: { maxProbesPerDay: number; maxBytesPerDay: number }, wallNow: () => number = Date.now) {
    this.#maxProbes = limits.maxProbesPerDay;
    this.#maxBytes = limits.maxBytesPerDay;
    this.#wallNow = wallNow;
  }

  #roll(): void {
    const day = new Date(this.#wallNow()).toISOString().slice(0, 10);
    if (day !== this.#day) {
      this.#day = day;
      this.#probes = 0;
      this.#bytes = 0;
    }
  }

  /** Whether the next diagnosis may run the billable (voice and text) probes. */
  allows(): boolean {
    this.#roll();
    return this.#probes < this.#maxProbes && this.#bytes < this.#maxBytes;
  }

  /** Counts the billable runs of one diagnosis (the free status page is not counted). */
  record(runs: readonly (ProbeRun | null)[]): void {
    this.#roll();
    for (const r of runs) {
      if (!r || r.probe === "status_page" || r.result === "skipped" || r.result === "absent") continue;
      this.#probes += 1;
      this.#bytes += r.bytes_sent + r.bytes_received;
    }
  }

  report(): ProbeBudgetReport {
    this.#roll();
    return { day: this.#day, probes_today: this.#probes, bytes_today: this.#bytes, max_probes_per_day: this.#maxProbes, max_bytes_per_day: this.#maxBytes, exhausted: !this.allows() };
  }
}
