import type { Logger } from "pino";
import type { DiagnosisMessage } from "../../shared/schemas/diagnosis.ts";
import type { InteractionEvent } from "../passive/events.ts";
import { PassiveMonitor, type PassiveTrigger } from "../passive/monitor.ts";
import { PassiveServer } from "../passive/server.ts";
import { ProbeBudget } from "../probes/budget.ts";
import type { ProbesConfig } from "../probes/config.ts";
import type { ProbeBudgetReport } from "./report.ts";
import { runDiagnosis, type DiagnosisDevice, type RunDiagnosisOptions, type SampleProviders } from "./run.ts";

export interface DiagnosisServiceOptions {
  readonly config: ProbesConfig;
  readonly device: DiagnosisDevice;
  readonly agentVersion: string;
  readonly log: Logger;
  /** The runtime's latest samples (or the samplers themselves). */
  readonly samples?: SampleProviders;
  /** Every finished diagnosis (publish it on the diagnosis topic). Errors are logged, never thrown. */
  readonly onDiagnosis: (d: DiagnosisMessage, why: { trigger: DiagnosisMessage["trigger"]; passive?: PassiveTrigger }) => void | Promise<void>;
  readonly wallNow?: () => number;
  /** Test hook: replaces runDiagnosis. */
  readonly run?: (opts: RunDiagnosisOptions) => Promise<DiagnosisMessage>;
}

/**
 * Runs the diagnosis on a slow schedule (`interval_s`, default 15 min), on demand, and when the voice
 * app's passive signals show an error burst or latency breach (rate-limited); tracks the daily probe
 * budget. The agent runtime owns one: `start()` begins the schedule and the passive endpoint, `stop()` ends both.
 */
export class DiagnosisService {
  readonly #o: DiagnosisServiceOptions;
  readonly #log: Logger;
  readonly #budget: ProbeBudget;
  readonly #monitor: PassiveMonitor;
  #server: PassiveServer | null = null;
  #timer: NodeJS.Timeout | null = null;
  #inFlight: Promise<DiagnosisMessage> | null = null;
  #passiveAddress: string | null = null;

  constructor(opts: DiagnosisServiceOptions) {
    this.#o = opts;
    this.#log = opts.log.child({ unit: "diagnosis-service" });
    const wallNow = opts.wallNow ?? Date.now;
    this.#budget = new ProbeBudget({ maxProbesPerDay: opts.config.max_probes_per_day, maxBytesPerDay: opts.config.max_bytes_per_day }, wallNow);
    this.#monitor = new PassiveMonitor(opts.config.passive, wallNow);
  }

  async start(): Promise<void> {
    const { config } = this.#o;
    if (config.interval_s > 0) {
      this.#timer = setInterval(() => void this.runNow("schedule").catch(() => {}), config.interval_s * 1000);
      this.#timer.unref?.();
    }
    if (config.passive.enabled) {
      this.#server = new PassiveServer(config.passive, this.#log, (events) => this.ingest(events));
      try {
        this.#passiveAddress = await this.#server.start();
      } catch (err) {
        // the probes are still worth running without the passive endpoint: log and carry on
        this.#log.error({ err: (err as Error).message }, "passive endpoint could not listen; fix cloud.passive.port or socket_path");
        this.#server = null;
      }
    }
  }

  async stop(): Promise<void> {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    await this.#server?.stop();
    this.#server = null;
    this.#passiveAddress = null;
    await this.#inFlight?.catch(() => {});
  }

  /** Where the voice app should POST its interactions (null when the endpoint is off). */
  get passiveAddress(): string | null {
    return this.#passiveAddress;
  }

  budget(): ProbeBudgetReport {
    return this.#budget.report();
  }

  /** The voice app's recent interactions, for the report's "frequency". */
  passiveCounts(): ReturnType<PassiveMonitor["counts"]> {
    return this.#monitor.counts();
  }

  /** Feeds passive events (the endpoint calls this); may start a diagnosis at once. */
  ingest(events: readonly InteractionEvent[]): void {
    const trigger = this.#monitor.observe(events);
    if (!trigger) return;
    this.#log.info({ reason: trigger.reason, detail: trigger.detail }, "passive signals trigger a diagnosis");
    void this.runNow("passive", null, trigger).catch(() => {});
  }

  /**
   * Runs a diagnosis now; one at a time (a request during a run joins it). Scheduled and passive runs
   * respect the daily budget; a person's or the fleet's request does not, but is counted.
   */
  runNow(trigger: DiagnosisMessage["trigger"], commandId: string | null = null, passive?: PassiveTrigger): Promise<DiagnosisMessage> {
    if (this.#inFlight) return this.#inFlight;
    const held = trigger === "schedule" || trigger === "passive";
    const run = this.#o.run ?? runDiagnosis;
    this.#inFlight = (async () => {
      try {
        const d = await run({
          config: this.#o.config,
          device: this.#o.device,
          agentVersion: this.#o.agentVersion,
          trigger,
          commandId,
          log: this.#log,
          skipBillable: held && !this.#budget.allows(),
          ...(this.#o.samples ? { samples: this.#o.samples } : {}),
          ...(this.#o.wallNow ? { wallNow: this.#o.wallNow } : {}),
        });
        this.#budget.record(d.probes);
        try {
          await this.#o.onDiagnosis(d, { trigger, ...(passive ? { passive } : {}) });
        } catch (err) {
          this.#log.error({ err: (err as Error).message }, "diagnosis consumer failed");
        }
        return d;
      } finally {
        this.#inFlight = null;
      }
    })();
    return this.#inFlight;
  }
}
